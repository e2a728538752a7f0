"""The Python API's shape: list_entries and info return one kind of object, readable reprs,
dir(ganzoo), and ganzoo.train over names, paths and tensors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import ganzoo
from ganzoo.errors import ConfigError

TINY = {"g_hidden": [16], "d_hidden": [16]}


def test_list_entries_and_info_return_the_same_kind_of_object() -> None:
    listed = ganzoo.list_entries("architecture", "dcgan")[0]
    shown = ganzoo.info("dcgan")
    assert type(listed) is type(shown) is ganzoo.EntryInfo
    assert listed == shown
    assert shown.spec.name == shown.name == "dcgan" and shown.plugin == "builtin"
    assert shown.modalities == ("image",)  # the spec's fields, typed
    assert shown["modalities"] == ["image"]  # the JSON form, as `ganzoo info --json`
    assert shown.defaults["width"] == 64 == shown["defaults"]["width"]
    assert "<architecture 'dcgan' (builtin): DCGAN" in repr(shown)
    loss = ganzoo.info("hinge")
    assert "defaults" not in loss and loss.defaults == {}  # an entry without options


def test_info_json_is_unchanged_and_torch_free() -> None:
    code = (
        "import json, sys, ganzoo\n"
        "from ganzoo.cli import main\n"
        "print(json.dumps(ganzoo.info('wasserstein-gp').as_dict()))\n"
        "assert 'torch' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    shown = json.loads(out.stdout)
    cli = subprocess.run(
        [sys.executable, "-m", "ganzoo", "info", "wasserstein-gp", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(cli.stdout) == shown
    assert shown["plugin"] == "builtin" and shown["defaults"] == {"weight": 10.0}
    assert shown["kind"] == "loss" and shown["scores"] == "critic"


def test_dir_shows_the_public_api() -> None:
    assert dir(ganzoo) == sorted(ganzoo.__all__)
    assert {"build", "info", "list_entries", "load", "train", "hookimpl"} <= set(dir(ganzoo))
    assert "annotations" not in dir(ganzoo) and "TYPE_CHECKING" not in dir(ganzoo)


def test_reprs_are_one_readable_line() -> None:
    model = ganzoo.build("cgan", data="mnist", g_hidden=[8, 8, 8], d_hidden=[8, 8, 8])
    assert repr(model).startswith("GANModel('cgan': cgan on mnist 1x28x28, 10 classes, latent 100")
    assert "\n" not in repr(model)
    assert (
        repr(ganzoo.build("wasserstein-gp", weight=5.0))
        == "WassersteinGPLoss('wasserstein-gp', weight=5.0)"
    )
    assert repr(ganzoo.build("hinge")) == "HingeLoss('hinge')"
    data = ganzoo.build("ring-8", size=100)
    assert repr(data) == "TensorData('ring-8': 100 2-D points float32, no labels, 8 modes, cpu)"


def test_pretrained_model_repr() -> None:
    text = repr(ganzoo.load("dcgan-mnist"))
    assert text.startswith("GANModel('dcgan-mnist': dcgan on mnist 1x32x32")  # padded to 32 px
    assert "pretrained" in text and "parameters" in text


def test_train_by_name(tmp_path) -> None:
    model = ganzoo.train(
        "gan", data="ring-8", steps=3, batch_size=16, out=str(tmp_path / "run"),
        architecture_options=TINY, progress=False, threads=1,
    )  # fmt: skip
    assert isinstance(model, ganzoo.gan.GANModel) and model.data.name == "ring-8"
    assert torch.get_num_threads() == 1
    assert (tmp_path / "run" / "metrics.jsonl").is_file()
    assert model.sample(5, seed=0).shape == (5, 2)


def test_train_on_a_tensor_and_a_path(tmp_path) -> None:
    points = torch.randn(64, 2)
    model = ganzoo.train(
        "gan", data=points, steps=2, batch_size=16, out=str(tmp_path / "tensor"),
        architecture_options=TINY, progress=False, diagnostics=[],
    )  # fmt: skip
    assert model.data.name == "in-memory"
    np.save(tmp_path / "points.npy", points.numpy())
    model = ganzoo.train(
        "gan", data=tmp_path / "points.npy", steps=2, batch_size=16, out=str(tmp_path / "path"),
        architecture_options=TINY, progress=False, diagnostics=[],
    )  # fmt: skip
    assert model.data.shape == (2,)


def test_train_names_misplaced_options() -> None:
    with pytest.raises(ConfigError, match=r"g_hidden go in architecture_options"):
        ganzoo.train("gan", g_hidden=[8])
    with pytest.raises(ConfigError, match="batch_size"):
        ganzoo.train("gan", batch_size=0)
