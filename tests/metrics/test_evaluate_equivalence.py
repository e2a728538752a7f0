"""Fast evaluation gives the numbers the slow one gave, and reports its progress (issue 16, item 5).

The expected values were printed by the evaluation code before it was made fast (commit 95f393f:
every metric recomputed its own k-NN distances, the reference features and NDB's k-means were
recomputed in every process) on the fixed setup below, run from a ``git worktree`` of that commit.
The fast code computes each distance matrix once and caches what depends on real data alone on
disk; it must reproduce them to float rounding: counts (modes, ndb, precision, recall, coverage
are shares of counts) exactly, and continuous values to a relative 1e-9. A second evaluation,
read from the disk cache, must give the same numbers again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.gan import GANModel
from ganzoo.metrics import density_coverage, evaluate, kmeans, ndb, precision_recall
from ganzoo.metrics.manifold import knn_radii

REL = 1e-7
"""Relative tolerance of continuous values (fid, score, kl, density, a radius sum): float
rounding. The BLAS's thread count alone moves the floor's FID by 1.6e-12 relative (1 thread vs 2);
on the same thread count and CPU the fast code gives the same bits as the code before. The values
were printed on an AMD EPYC; on an Intel Xeon the same code gives FID 17.619930988 (2e-9
relative: oneDNN picks other kernels per CPU), so the bound leaves room for the CPU."""

BEFORE_METRICS = {
    "fid": 17.619930953235354,
    "score": 6.262774845706354,
    "modes": 10.0,
    "kl": 0.12254252012958944,
    "precision": 0.6,
    "recall": 0.6775,
    "density": 0.3945,
    "coverage": 0.435,
    "ndb": 7.0,
    "ndb_fraction": 0.07,
}
BEFORE_FLOORS = {
    "fid": 2.615982761875614,
    "score": 9.713943663465846,
    "modes": 10.0,
    "kl": 0.012758709784100146,
    "precision": 0.89,
    "recall": 0.865,
    "density": 0.974,
    "coverage": 0.945,
    "ndb": 3.0,
    "ndb_fraction": 0.03,
}
EXACT = {"modes", "ndb", "ndb_fraction", "precision", "recall", "coverage"}


OLD_WEIGHTS = Path(__file__).parents[1] / "fixtures" / "dcgan-mnist-28px-2026.generator.safetensors"
"""The generator the values above were printed with: dcgan-mnist as shipped until issue 15's
recipe replaced it (28 px, width 64; sha256 e771f8bd...)."""


def old_dcgan_mnist() -> GANModel:
    """dcgan-mnist as it was when the values above were printed, in eval mode."""
    from ganzoo.weights import load_module_file

    model = ganzoo.build("dcgan", data="mnist", width=64, latent_dim=100)
    load_module_file(model.generator, OLD_WEIGHTS)
    return model.eval()


def _same(got: dict[str, float], want: dict[str, float]) -> None:
    assert set(got) == set(want)
    for key, value in want.items():
        if key in EXACT:
            assert got[key] == value, key
        else:
            assert got[key] == pytest.approx(value, rel=REL, abs=0.0), key


def test_dcgan_mnist_all_default_metrics_match_the_values_before(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    data = ganzoo.build("mnist", train=False, limit=1000)  # reference 500, floor 400
    model = old_dcgan_mnist()
    steps: list[tuple[str, int, int]] = []
    res = evaluate(model, data, n=400, seed=3, progress=lambda *a: steps.append(a))
    _same(res.metrics, BEFORE_METRICS)
    _same(res.floors, BEFORE_FLOORS)
    # what depends on real data alone is on disk now: classifier features, k-NN tables, the
    # floor's fake-real statistics, NDB's bins
    cached = {p.parent.name for p in (tmp_path / "cache").rglob("*.safetensors")}
    assert cached == {"mnist-classifier", "knn-v1", "knn-cross-v1", "ndb-kmeans-v1"}
    # progress: 1 sample chunk, 3 sets' features, 6 metrics on the samples and on the floor
    total = 1 + 3 + 6 * 2
    assert {t for _, _, t in steps} == {total}
    done = [d for _, d, _ in steps]
    assert done == sorted(done) and done[0] == 0 and steps[-1] == ("done", total, total)
    started = [s for s, _, _ in steps]
    for step in ("sampling 400", "mnist-classifier features: samples", "dc", "ndb (floor)"):
        assert step in started
    # a new process would read the cache: clear the in-process memos and evaluate again
    again = evaluate(model, ganzoo.build("mnist", train=False, limit=1000), n=400, seed=3)
    assert again.metrics == res.metrics and again.floors == res.floors


def test_function_level_metrics_match_the_values_before() -> None:
    g = torch.Generator().manual_seed(5)
    real = torch.randn(700, 16, generator=g, dtype=torch.float64)
    fake = torch.randn(650, 16, generator=g, dtype=torch.float64) * 1.1 + 0.1
    assert precision_recall(real, fake, 3) == {"precision": 0.6307692307692307, "recall": 0.89}
    dc = density_coverage(real, fake, 5)
    assert dc["coverage"] == 0.8957142857142857
    assert dc["density"] == pytest.approx(0.6501538461538462, rel=REL, abs=0.0)
    assert float(knn_radii(real, 4).sum()) == pytest.approx(2406.919566596979, rel=REL)
    raw = torch.rand(900, 1, 8, 8, generator=g)
    raw2 = torch.rand(700, 1, 8, 8, generator=g) ** 1.3
    centres = kmeans(raw.flatten(1), 20, seed=0)
    assert float(centres.double().sum()) == pytest.approx(638.7865942716599, rel=REL)
    assert ndb(raw, raw2, bins=20) == {"ndb": 10.0, "ndb_fraction": 0.5}


def test_prd_and_dc_share_one_pass_and_match_the_plain_functions() -> None:
    from ganzoo.building import build_entry, dataset_spec
    from ganzoo.interfaces import SampleSet
    from ganzoo.metrics import manifold

    g = torch.Generator().manual_seed(7)
    spec = dataset_spec("ring-8")
    ref = SampleSet(torch.randn(300, 2, generator=g), spec)
    gen = SampleSet(torch.randn(200, 2, generator=g) * 0.8, spec)
    calls = []
    real_cross = manifold.cross_stats
    prd, dc = build_entry("prd"), build_entry("dc")
    try:
        manifold.cross_stats = lambda *a, **k: calls.append(1) or real_cross(*a, **k)
        got = {**prd.compute(gen, ref), **dc.compute(gen, ref)}
    finally:
        manifold.cross_stats = real_cross
    assert len(calls) == 1  # one fake-real pass served both metrics
    real, fake = ref.x[:200].double(), gen.x.double()
    assert got == {**precision_recall(real, fake, 3), **density_coverage(real, fake, 5)}


def test_cli_progress_bar_only_on_a_terminal_and_not_when_quiet(monkeypatch) -> None:
    import io
    import sys

    from ganzoo.cli.evaluate_cmds import _progress_bar

    with _progress_bar(enabled=True) as progress:  # pytest's stderr is not a terminal
        assert progress is None
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", tty)
    with _progress_bar(enabled=False) as progress:  # -q
        assert progress is None
    with _progress_bar(enabled=True) as progress:
        assert progress is not None
        progress("sampling 1,000", 0, 3)
        progress("fid", 2, 3)
        progress("done", 3, 3)
    assert "evaluate: " in tty.getvalue()
