"""Training on Python objects and array files: tensors, numpy arrays, Datasets, .npy/.npz/.safetensors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

import ganzoo
from ganzoo.data.objects import IN_MEMORY, as_data
from ganzoo.data.sources import resolve_data_argument
from ganzoo.errors import ConfigError, DataError
from ganzoo.model_folder import save_pretrained
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer


class PairDataset(torch.utils.data.Dataset):
    """A plain map-style Dataset of (image, label) pairs, as users write them."""

    def __init__(self, n: int = 64) -> None:
        gen = torch.Generator().manual_seed(0)
        self.x = torch.rand(n, 1, 32, 32, generator=gen) * 2 - 1
        self.y = torch.arange(n) % 4

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return self.x[i], int(self.y[i])


def tiny_config(out, **kw) -> TrainConfig:
    return TrainConfig(
        architecture=kw.pop("architecture", "dcgan"),
        architecture_options=kw.pop("architecture_options", {"width": 4, "latent_dim": 8}),
        steps=2, batch_size=16, out=str(out), log_every=1, sample_every=2,
        checkpoint_every=2, num_samples=4, diagnostics=[], **kw,
    )  # fmt: skip


def test_build_sizes_networks_from_a_tensor():
    model = ganzoo.build("dcgan", data=torch.rand(100, 3, 32, 32) * 2 - 1, width=8)
    assert model.data.shape == (3, 32, 32) and model.data.name == IN_MEMORY
    assert model.sample(3, seed=0).shape == (3, 3, 32, 32)


def test_uint8_channels_last_array_is_kept_as_uint8_channels_first():
    x = np.random.default_rng(0).integers(0, 256, (10, 28, 28, 3), dtype=np.uint8)
    data = as_data(x)
    assert data.x.dtype == torch.uint8 and data.x.shape == (10, 3, 28, 28)
    assert torch.equal(data.x[2, 1], torch.from_numpy(x[2, :, :, 1]))
    batch, _ = data.batch(torch.tensor([0, 1]))
    assert batch.min() >= -1 and batch.max() <= 1


def test_float_images_outside_the_stated_range_are_refused_with_the_fix():
    x = torch.rand(8, 3, 16, 16)  # [0, 1], more than half of it above... fine for [-1, 1]
    with pytest.raises(DataError, match=r"value_range"):
        as_data(x * 255)
    data = as_data(x, value_range=(0, 1))
    assert torch.allclose(data.x, x * 2 - 1)


def test_points_and_labels():
    data = as_data(np.random.rand(50, 2).astype("float32"), labels=np.arange(50) % 5)
    assert data.spec.modality == "points" and data.spec.num_classes == 5
    with pytest.raises(DataError, match="50 samples but 3 labels"):
        as_data(np.random.rand(50, 2), labels=[0, 1, 2])


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("not data", "cannot train on a str"),
        (torch.rand(4, 5, 6, 7, 8), "shape"),
        (torch.full((4, 3, 8, 8), float("nan")), "NaN"),
        (torch.rand(0, 2), "no samples"),
    ],
)
def test_bad_objects_get_one_line(obj, message):
    with pytest.raises(DataError, match=message):
        as_data(obj)


def test_a_dataset_of_pairs_is_labelled_and_trains_a_conditional_model(tmp_path):
    model = ganzoo.build("cgan", data=PairDataset())
    assert model.data.num_classes == 4 and model.data.shape == (1, 32, 32)
    trainer = Trainer.create(tiny_config(tmp_path / "run"), data=PairDataset())
    summary = trainer.run()
    assert trainer.step == 2 and summary["status"] == "finished"
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"] == IN_MEMORY
    saved = json.loads((tmp_path / "run" / "data.json").read_text())
    assert saved["shape"] == [1, 32, 32] and saved["num_classes"] == 4
    # the run's model loads from the run directory alone, sized from data.json
    loaded = ganzoo.load(str(tmp_path / "run"))
    assert loaded.sample(2, seed=1).shape == (2, 1, 32, 32)
    # a model folder carries the data's spec too
    save_pretrained(loaded, tmp_path / "folder")
    again = ganzoo.load(str(tmp_path / "folder"))
    assert torch.equal(again.sample(2, seed=1), loaded.sample(2, seed=1))


def test_resuming_an_in_memory_run_needs_the_data_again(tmp_path):
    config = tiny_config(tmp_path / "run")
    Trainer.create(config, data=PairDataset()).run()
    resumed_config = config.model_copy(update={"steps": 4})
    with pytest.raises(ConfigError, match="pass the same data again"):
        Trainer.create(resumed_config.model_copy(update={"data": IN_MEMORY}), resume=True)
    trainer = Trainer.create(resumed_config, data=PairDataset(), resume=True)
    assert trainer.step == 2
    trainer.run()
    assert trainer.step == 4


def test_data_given_twice_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="give the data once"):
        Trainer.create(tiny_config(tmp_path / "run", data="mnist"), data=PairDataset())


def write_arrays(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 1, 28, 28), dtype=np.uint8)
    y = (np.arange(40) % 10).astype(np.int64)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "xy.npz", images=x, labels=y)
    save_file({"x": x, "y": y}, str(tmp_path / "xy.safetensors"))
    return x, y


def test_array_files_of_each_type(tmp_path):
    x, y = write_arrays(tmp_path)
    npy = ganzoo.build("array-file", path=str(tmp_path / "x.npy"))
    assert npy.y is None and torch.equal(npy.x, torch.from_numpy(x))
    for name in ("xy.npz", "xy.safetensors"):
        data = ganzoo.build("array-file", path=str(tmp_path / name))
        assert torch.equal(data.x, torch.from_numpy(x)) and torch.equal(data.y, torch.from_numpy(y))
        assert data.spec.shape == (1, 28, 28) and data.spec.num_classes == 10
    unlabelled = ganzoo.build("array-file", path=str(tmp_path / "xy.npz"), unlabelled=True)
    assert unlabelled.y is None and unlabelled.spec.num_classes is None
    with pytest.raises(DataError, match="has no array 'z'; it holds images, labels"):
        ganzoo.build("array-file", path=str(tmp_path / "xy.npz"), key="z")


def test_a_run_on_an_array_file_given_as_a_path(tmp_path):
    write_arrays(tmp_path)
    config = tiny_config(tmp_path / "run", architecture="acgan", data=str(tmp_path / "xy.npz"))
    Trainer.create(config).run()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["data"] == "array-file"
    options = saved["data_options"]  # every option of the user's files, defaults included
    assert options["path"] == str((tmp_path / "xy.npz").resolve())
    assert options["unlabelled"] is False and "value_range" in options
    assert ganzoo.load(str(tmp_path / "run")).data.num_classes == 10


def test_a_path_wins_over_a_registered_name_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_data_argument("mnist", registered=True) == ("mnist", {}, None)
    (tmp_path / "mnist").mkdir()
    name, options, note = resolve_data_argument("mnist", registered=True)
    assert name == "image-folder" and options == {"path": str(tmp_path / "mnist")}
    assert note is not None and "not the registered data set 'mnist'" in note
    with pytest.raises(DataError, match="no such folder or file"):
        resolve_data_argument("./missing", registered=False)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="not an array file"):
        resolve_data_argument("notes.txt", registered=False)


def test_a_registered_data_set_without_a_shape_needs_its_files():
    with pytest.raises(DataError, match="takes its shape from its files"):
        ganzoo.build("dcgan", data="array-file")
