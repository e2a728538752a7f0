"""Smoke tests of the benchmarks (tiny settings), and the loss equivalence of ganzoo's loop with
the textbook reference loop."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch

import ganzoo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import memory, sample_rate, train_step
from benchmarks.train_step import Case

TINY = {"width": 8, "latent_dim": 16}


def test_reference_loop_gives_ganzoos_losses(mnist_root: Path) -> None:
    rows = train_step.check_equivalence(
        mnist_root, steps=3, batch_size=16, architecture_options=TINY, limit=512
    )
    assert len(rows) == 3
    for row in rows:
        assert row["ganzoo_d"] == pytest.approx(row["ref_d"], rel=1e-4, abs=1e-5), row
        assert row["ganzoo_g"] == pytest.approx(row["ref_g"], rel=1e-4, abs=1e-5), row
    # the losses move, so the check compares three different updates, not one value three times
    assert len({round(r["ganzoo_d"], 6) for r in rows}) == 3


def test_compare_runs_both_loops(mnist_root: Path) -> None:
    case = Case("tiny", "dcgan", "mnist", 16, {"limit": 512}, TINY)
    result = train_step.compare(case, mnist_root, 1, 1, 1, channels_last=True, threads=1)
    for name in ("reference", "ganzoo", "ganzoo tuned", "reference, 1 thread"):
        assert result[name] > 0
    assert result["gflop_per_iter"]["ganzoo"] > 0


def test_compare_points_and_levers(mnist_root: Path) -> None:
    ring = Case("ring", "gan", "ring-8", 32, {"size": 512}, {})
    assert train_step.compare(ring, mnist_root, 1, 1, 0)["ganzoo"] > 0
    case = Case("tiny", "dcgan", "mnist", 16, {"limit": 256}, TINY)
    names = ["NCHW (channels_last=False)", "fused Adam", "zero_grad(set_to_none=False)"]
    rates = train_step.levers(case, 1, 1, 0, names=names)
    assert set(rates) == set(names) and all(r > 0 for r in rates.values())


def test_flop_accounting() -> None:
    assert train_step.peak_gflops(2, 2.5) == pytest.approx(160.0)
    case = Case("tiny", "dcgan", "mnist", 8, {}, TINY)
    rates = train_step.pass_rates(case, channels_last=True, threads=1, reps=1)
    assert rates["G fwd+bwd"]["gflop"] > 0 and rates["D fwd+bwd"]["gflops"] > 0


def test_sample_rate_measures_both_modes() -> None:
    model = ganzoo.build("dcgan", data="mnist", **TINY)
    result = sample_rate.measure(model, 8, 1)
    assert set(result) == {"no_grad", "inference_mode"}
    assert all(math.isfinite(v) and v > 0 for v in result.values())


def test_memory_helpers(mnist_root: Path) -> None:
    result = memory.train(steps=4, width=8, latent=16, batch=16, log_every=2)
    assert [s for s, _ in result["samples"]] == [2, 4]
    assert result["peak_mib"] > 0
    assert memory.growth([(0, 100.0), (10, 101.0), (20, 100.5), (100, 103.0)]) == 2.0


def test_pixel_coverage_separates_one_digit_from_ten(
    mnist_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.diagnostics import pixel_coverage

    monkeypatch.setattr(pixel_coverage, "_model_names", lambda: ["dcgan-mnist"])
    rows = dict(pixel_coverage.measure(200, root=str(mnist_root)))
    assert list(rows) == ["dcgan-mnist", "real, 10 digits", "real, 5 digits", "real, 1 digit"]
    assert rows["real, 1 digit"]["coverage"] < 0.5 < rows["real, 10 digits"]["coverage"]
    assert rows["dcgan-mnist"]["coverage"] > rows["real, 1 digit"]["coverage"]
    assert all(0.5 < r["ratio"] < 2 for r in rows.values())


def test_stacked_marginals_floor_and_channels() -> None:
    from benchmarks import stacked_marginals

    # a uniform generator's KL at n samples is about (K - 1) / 2n: 999 / 20000 at n = 10,000
    assert stacked_marginals.uniform_floor(10000) == pytest.approx(999 / 20000, rel=0.1)
    labels = torch.tensor([0, 123, 999, 450])
    assert [d.tolist() for d in stacked_marginals.split(labels)] == [
        [0, 1, 9, 4],
        [0, 2, 9, 5],
        [0, 3, 9, 0],
    ]
    r = stacked_marginals.measure("dcgan-stacked-mnist", 300)
    assert [sum(h) for h in r.channels] == [300, 300, 300]
    assert r.sum_channel_kl == pytest.approx(sum(r.channel_kl))
    assert 0 < r.joint_kl < 3
