"""Smoke tests of the 32 px rows of `benchmarks.train_step` (issue 14): the textbook loops over
the sngan-resnet and stylegan2 modules run (tiny widths, 2 steps) and keep the architectures'
defaults, the two sides of a comparison get the same options, `ConvTimer` counts and times
what torch's FLOP counter counts, and both loops can be profiled in turn in one process."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import train_step
from benchmarks.reference import textbook_modern
from benchmarks.train_step import CASES_32PX, Case, ConvTimer
from ganzoo.building import architecture_spec


@pytest.mark.parametrize("arch", ["sngan-resnet", "stylegan2"])
def test_textbook_loop_trains_the_modules(
    arch: str, mnist_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 2 iterations: stylegan2's lazy R1 and path-length steps both fire at iteration 0
    argv = [arch, "--steps", "2", "-b", "8", "--width", "4", "--workers", "0"]
    result = textbook_modern.main([*argv, "--dataroot", str(mnist_root)])
    n_dis = textbook_modern.ARCH_SETTINGS[arch]["n_dis"]
    assert result["steps"] == 2 and result["images"] == 2 * 8 * n_dis
    assert result["images_per_second"] > 0
    assert math.isfinite(result["last_loss_d"]) and math.isfinite(result["last_loss_g"])
    assert capsys.readouterr().out.splitlines()[-1].startswith(textbook_modern.RESULT_TAG + " {")


@pytest.mark.parametrize("arch", ["sngan-resnet", "stylegan2"])
def test_textbook_settings_are_the_architectures_defaults(arch: str) -> None:
    spec = architecture_spec(arch)
    mine = textbook_modern.ARCH_SETTINGS[arch]
    opt = spec.optimizer
    assert opt.name == "adam"
    assert mine["lr"] == opt.lr_g == opt.lr_d
    assert tuple(mine["betas"]) == tuple(opt.betas)
    assert mine["n_dis"] == opt.n_critic
    # the loops write these losses by hand: hinge (SNGAN) and the logistic non-saturating one
    assert spec.default_loss == {"sngan-resnet": "hinge", "stylegan2": "non-saturating"}[arch]


def test_both_sides_get_the_same_options() -> None:
    for case in CASES_32PX:
        plan = train_step.process_plan(case, 16)
        a, b = list(plan.a.argv), list(plan.b.argv)
        n = str(max(1, round(16 * case.step_scale)))
        width = str(case.architecture_options["width"])
        for argv in (a, b):
            assert argv[argv.index("--steps") + 1] == n
            assert argv[argv.index("-b") + 1] == str(case.batch_size)
            assert case.architecture in argv
        assert f"architecture_options.width={width}" in a and "--resolution" in a
        assert b[b.index("--width") + 1] == width
    with pytest.raises(ValueError, match="MNIST padded to 32 px"):
        train_step.process_plan(Case("x", "dcgan", "mnist", 8, {}, {"width": 8}), 4)


def test_conv_timer_counts_what_the_flop_counter_counts() -> None:
    conv = nn.Conv2d(4, 6, 3, padding=1)
    grouped = nn.Conv2d(6, 6, 3, padding=1, groups=2)
    x = torch.randn(2, 4, 8, 8)

    def step() -> None:
        grouped(conv(x)).sum().backward()

    expected = train_step.count_flops(step)
    timer = ConvTimer()
    with timer:
        step()
    assert sum(c.flops for c in timer.calls) == expected
    assert all(c.seconds > 0 for c in timer.calls)
    kinds = [c.key for c in timer.calls]
    assert sum(k.startswith("fwd") for k in kinds) == 2
    assert sum(k.startswith("bwd") for k in kinds) == 2
    assert any("groups 2" in k for k in kinds)


def test_conv_rates_of_a_tiny_step() -> None:
    case = Case("tiny", "stylegan2", "mnist", 4, {"resolution": 32, "limit": 64}, {"width": 4})
    r = train_step.conv_rates(case, 1, threads=1, top=3)
    assert r["threads"] == 1 and r["steps"] == 1 and len(r["sgemm_readings"]) == 1
    assert r["conv_gflop"] > 0 and 0 < r["conv_seconds"] < r["step_seconds"]
    assert r["fraction"] == pytest.approx(r["conv_gflops"] / r["sgemm_gflops"])
    assert len(r["top"]) == 3 and r["top"][0]["ms"] >= r["top"][-1]["ms"]


def test_both_loops_profiled_in_turn(mnist_root: Path) -> None:
    case = Case("tiny", "stylegan2", "mnist", 4, {"resolution": 32, "limit": 64}, {"width": 4})
    steppers = {
        "ganzoo": train_step.make_trainer(case).train_step,
        "textbook": train_step.textbook_stepper(case, mnist_root, 2),
    }
    r = train_step.profile_convs(steppers, 1, threads=1, top=2)
    assert set(r) == {"ganzoo", "textbook"}
    assert all(v["conv_gflop"] > 0 and len(v["sgemm_readings"]) == 1 for v in r.values())
    # iteration 1 (no regulariser): ganzoo's G step reuses the D step's fakes, the textbook
    # runs G forward again, so the textbook does more convolution work
    assert r["ganzoo"]["conv_gflop"] < r["textbook"]["conv_gflop"]
