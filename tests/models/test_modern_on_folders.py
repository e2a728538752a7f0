"""Issue 14's "done when": the modern architectures train on a generated 64x64 RGB image folder
through ``ganzoo train`` and through ``ganzoo.train``, with either augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.cli import main

SMALL = {
    "sngan-resnet": {"width": 4, "latent_dim": 8},
    "biggan": {"width": 2, "latent_dim": 12, "shared_dim": 4},
    "stylegan2": {"width": 2, "latent_dim": 8, "mapping_layers": 1, "max_channels": 8},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 RGB images of 80x64 (center-cropped to 64x64 by the data set) in two class folders."""
    root = tmp_path_factory.mktemp("rgb-folder")
    rng = np.random.default_rng(0)
    for i in range(12):
        img = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
        img[16:48, 24:56, i % 3] = 255  # a coloured square: images differ in a learnable way
        path = root / ("red-green" if i % 2 else "blue") / f"{i:02d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(path)
    return root


def _sets(arch: str) -> list[str]:
    return [f"--set=architecture_options.{k}={v}" for k, v in SMALL[arch].items()]


@pytest.mark.parametrize(
    ("arch", "augment"), [("sngan-resnet", "ada"), ("biggan", "diffaugment"), ("stylegan2", "ada")]
)
def test_cli_trains_on_a_64px_rgb_folder(
    arch: str, augment: str, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["train", arch, "--data", str(folder), "--steps", "2", "-b", "4", "-q"]
    args += ["--resolution", "64"]
    args += ["--augment", augment, "--diagnostics", "none", "--out", str(out), *_sets(arch)]
    args += ["--set=sample_every=2", "--set=checkpoint_every=2", "--set=num_samples=4"]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["augment"] == augment and config["data"] == "image-folder"
    model = ganzoo.load(str(out))
    x = model.sample(3, seed=0)
    assert x.shape == (3, 3, 64, 64) and torch.isfinite(x).all()
    assert model.data.num_classes == 2  # the class folders


def test_python_api_trains_on_the_folder_with_ada(
    folder: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    model = ganzoo.train(
        "stylegan2",
        str(folder),
        out=str(tmp_path / "run"),
        steps=2,
        batch_size=4,
        augment="ada",
        data_options={"resolution": 64},
        architecture_options=SMALL["stylegan2"],
        diagnostics=[],
        sample_every=10**9,
        checkpoint_every=10**9,
        progress=False,
    )
    x = model.sample(2, seed=1)
    assert x.shape == (2, 3, 64, 64) and torch.isfinite(x).all()
