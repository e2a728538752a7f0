"""Latent tools (issue 16): interpolation, per-class grids, GIFs, truncation, in Python and CLI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.latents import (
    class_grid,
    interpolate,
    is_gaussian,
    lerp,
    save_gif,
    seed_latents,
    slerp,
)


@pytest.fixture(scope="module")
def dcgan() -> object:
    return ganzoo.load("dcgan-mnist")


@pytest.fixture(scope="module")
def acgan() -> object:
    return ganzoo.load("acgan-mnist")


def test_interpolation_endpoints_equal_the_two_seeds_samples(dcgan) -> None:
    frames = interpolate(dcgan, steps=7, seeds=(3, 11))
    assert frames.shape == (1, 7, *dcgan.data.shape)  # (1, 32, 32): MNIST padded to 32 px
    # the same latents exactly; the images to float rounding (CPU kernels vary with batch size)
    z = seed_latents(dcgan, [3, 11])
    path = slerp(z[:1], z[1:], torch.linspace(0, 1, 7))
    assert torch.equal(path[0, 0], z[0]) and torch.equal(path[0, -1], z[1])
    for frame, seed in ((frames[0, 0], 3), (frames[0, -1], 11)):
        assert (frame - dcgan.sample(1, seed=seed)[0].cpu()).abs().max() < 1e-5
    assert not torch.equal(frames[0, 3], frames[0, 0])


def test_conditional_endpoints_and_class(acgan) -> None:
    frames = interpolate(acgan, steps=4, seeds=(1, 2), y=7)
    assert (frames[0, 0] - acgan.sample(1, y=7, seed=1)[0].cpu()).abs().max() < 1e-5
    assert (frames[0, -1] - acgan.sample(1, y=7, seed=2)[0].cpu()).abs().max() < 1e-5
    start = interpolate(acgan, steps=2, seeds=(1, 2))[0, 0]  # class 0, as sample(1) draws
    assert (start - acgan.sample(1, seed=1)[0].cpu()).abs().max() < 1e-5


def test_slerp_keeps_the_norm_between_equal_norm_ends() -> None:
    a, b = torch.randn(5, 100), torch.randn(5, 100)
    b = b / b.norm(dim=1, keepdim=True) * a.norm(dim=1, keepdim=True)
    path = slerp(a, b, torch.linspace(0, 1, 9))
    assert torch.allclose(path.norm(dim=2), a.norm(dim=1, keepdim=True).expand(5, 9), rtol=1e-5)
    mid = lerp(a, b, torch.tensor([0.5]))[:, 0].norm(dim=1)
    assert (mid < a.norm(dim=1) * 0.9).all()  # the chord dips inside the sphere (z ~ N(0, I))
    same = slerp(a, a.clone(), torch.linspace(0, 1, 3))  # parallel rows fall back to lerp
    assert torch.allclose(same, a.unsqueeze(1).expand(5, 3, 100)) and not same.isnan().any()


def test_random_pairs_and_structured_latents_are_linear() -> None:
    info = ganzoo.build("infogan").eval()
    assert not is_gaussian(info) and is_gaussian(ganzoo.build("dcgan"))
    frames = interpolate(info, steps=3, pairs=2, seed=5)
    assert frames.shape == (2, 3, 1, 28, 28)


def test_per_class_grid_shares_latents_across_classes(acgan) -> None:
    grid = class_grid(acgan, per_class=4, seed=9)
    assert grid.shape == (10, 4, 1, 32, 32)
    y3 = acgan.generator.sample(4, y=3, seed=9).cpu()
    assert torch.allclose(grid[3], y3, atol=1e-5)  # a batch of 40 vs 4: 1.4e-6 of rounding
    with pytest.raises(ConfigError, match="conditional"):
        class_grid(ganzoo.load("dcgan-mnist"))


def test_truncation_where_the_architecture_has_it() -> None:
    torch.manual_seed(0)
    big = ganzoo.build("biggan", data="mnist").eval()
    plain = interpolate(big, steps=3, seeds=(0, 1))
    tight = interpolate(big, steps=3, seeds=(0, 1), truncation=0.5)
    assert tight.shape == plain.shape and not torch.equal(tight, plain)
    with pytest.raises(ConfigError, match="no truncation trick"):
        interpolate(ganzoo.build("dcgan"), steps=2, seeds=(0, 1), truncation=0.5)


def test_gif_frames(dcgan, tmp_path: Path) -> None:
    frames = interpolate(dcgan, steps=5, pairs=4)
    path = save_gif(frames, tmp_path / "x.gif", fps=10)
    with Image.open(path) as gif:
        assert gif.n_frames == 8  # 5 forward, 3 back (bounce)
        assert gif.info["duration"] == 100 and gif.info["loop"] == 0


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    # a busy machine's one-line thread hint (issue 16, item 7) is not part of these errors
    err = "".join(ln for ln in err.splitlines(keepends=True) if not ln.startswith("hint: "))
    return code, out, err


def test_cli_interpolate_grid_gif_tensors_and_per_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dcgan
) -> None:
    png, gif, npz = tmp_path / "i.png", tmp_path / "i.gif", tmp_path / "i.npz"
    code, out, _ = run(
        ["sample", "dcgan-mnist", "--interpolate", "--seed", "3", "--to", "11", "--steps", "6",
         "--out", str(png)], capsys,
    )  # fmt: skip
    assert (
        code == 0 and "spherical interpolation of dcgan-mnist (1 x 6 frames, seeds 3 and 11)" in out
    )
    assert Image.open(png).size == (6 * 34 + 2, 34 + 2)  # one row of 6 cells of 32+2 px
    code, out, _ = run(["sample", "dcgan-mnist", "--interpolate", "--pairs", "3", "--steps",
                        "4", "--out", str(npz)], capsys)  # fmt: skip
    import numpy as np

    assert code == 0 and np.load(npz)["samples"].shape == (3, 4, 1, 32, 32)  # padded MNIST
    code, _, _ = run(["sample", "dcgan-mnist", "--interpolate", "--out", str(gif)], capsys)
    assert code == 0 and Image.open(gif).n_frames == 18  # 10 steps, bounce
    code, out, _ = run(["sample", "acgan-mnist", "--per-class", "--nrow", "5", "--out",
                        str(tmp_path / "c.png")], capsys)  # fmt: skip
    assert code == 0 and "10 classes x 5 samples" in out
    assert Image.open(tmp_path / "c.png").size == (5 * 34 + 2, 10 * 34 + 2)  # 32+2 px cells
    code, _, _ = run(["sample", "dcgan-mnist", "-n", "12", "--nrow", "6", "--out",
                      str(tmp_path / "n.png")], capsys)  # fmt: skip
    assert code == 0 and Image.open(tmp_path / "n.png").size == (6 * 34 + 2, 2 * 34 + 2)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--class", "3"], "unconditional"),
        (["--interpolate", "--class", "3"], "unconditional"),
        (["--per-class"], "conditional"),
        (["--truncation", "0.7"], "no truncation trick"),
        (["--truncation", "-1"], ">= 0"),
        (["--out", "x.gif"], ".gif goes with --interpolate"),
        (["--to", "3"], "go with --interpolate"),
        (["--interpolate", "--steps", "1"], "not in 2..256"),
        (["--interpolate", "--to", "1", "--pairs", "2"], "--to draws one path"),
        (["--interpolate", "--per-class"], "pick one"),
    ],
)
def test_cli_bad_latent_options_are_one_line(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = ["--out", str(tmp_path / "x.png")] if "--out" not in args else []
    code, _, err = run(["sample", "dcgan-mnist", *args, *out], capsys)
    assert code != 0 and err.startswith("error: ") and err.count("\n") == 1, err
    assert needle in err, err
    assert "Traceback" not in err and not math.isnan(code)
