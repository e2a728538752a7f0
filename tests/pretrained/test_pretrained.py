"""The pretrained zoo: every registered model loads offline from its bundled, sha256-pinned file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ganzoo
from ganzoo.loading import pretrained
from ganzoo.loading.pretrained import package_dir, verify_weight_file
from ganzoo.registry import get_registry

REQUIRED = {
    "dcgan-mnist",
    "gan-mnist",
    "cgan-mnist",
    "wgan-gp-mnist",
    "lsgan-mnist",
    "sngan-mnist",
    "acgan-mnist",
    "dcgan-stacked-mnist",
}
MODELS = [spec.name for spec in ganzoo.list_entries("model")]


def test_zoo_has_every_required_model() -> None:
    assert set(MODELS) >= REQUIRED


def test_bundled_weights_fit_the_budget() -> None:
    total = sum(
        wf.size for spec in ganzoo.list_entries("model") for wf in spec.weights if wf.bundled
    )
    assert 0 < total <= 25 * 1024 * 1024


@pytest.mark.parametrize("name", MODELS)
def test_model_entry_is_pinned_and_reported(name: str) -> None:
    spec = ganzoo.info(name)
    assert spec["key_metric"] in spec["metrics"]
    assert spec["reproduce"].startswith(  # cards built before ganzoo reproduce: ganzoo train
        (f"ganzoo reproduce {name}", "ganzoo train ganzoo/pretrained/recipes/")
    )
    recipe = Path(ganzoo.__file__).parent / "pretrained" / "recipes" / f"{name}.yaml"
    assert recipe.is_file()
    weights = get_registry().get(name).spec.weights
    # the sampling generator ships in the package; other parts (a discriminator) may be Hub-only
    assert [wf.role for wf in weights if wf.bundled] in (["generator"], ["ema_generator"])
    for wf in weights:
        if wf.bundled:
            verify_weight_file(package_dir() / wf.bundled, wf, name)  # size or sha256 mismatch


@pytest.mark.parametrize("name", MODELS)
def test_model_loads_and_samples(name: str) -> None:
    model = ganzoo.load(name)
    assert model.pretrained is not None and model.pretrained.name == name
    a = model.sample(8, seed=3)
    assert a.shape == (8, *model.data.shape)
    assert a.min() >= -1 and a.max() <= 1
    assert a.equal(model.sample(8, seed=3))
    assert not a.equal(model.sample(8, seed=4))


def test_dcgan_mnist_draws_every_digit() -> None:
    import torch

    from ganzoo.metrics.classifier import classify

    model = ganzoo.load("dcgan-mnist")
    samples = model.sample(1000, seed=0)
    _, probs = classify(samples)
    labels = probs.argmax(1)
    assert torch.bincount(labels, minlength=10).gt(0).all()


def test_sample_cli_works_offline(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf"),
        "HF_ENDPOINT": "http://127.0.0.1:9",
    }
    out = tmp_path / "grid.png"
    r = subprocess.run(
        [sys.executable, "-m", "ganzoo", "sample", "dcgan-mnist", "-n", "16", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tampered_bundled_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from ganzoo.errors import WeightsError

    spec = get_registry().get("dcgan-mnist").spec
    fake_pkg = tmp_path / "ganzoo"
    target = fake_pkg / spec.weights[0].bundled
    target.parent.mkdir(parents=True)
    shutil.copyfile(package_dir() / spec.weights[0].bundled, target)
    with open(target, "r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\x00\x01\x02\x03")
    monkeypatch.setattr(pretrained, "package_dir", lambda: fake_pkg)
    with pytest.raises(WeightsError, match="sha256"):
        ganzoo.load("dcgan-mnist")
