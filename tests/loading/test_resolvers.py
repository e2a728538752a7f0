"""Each loading resolver on its own, failure paths first: run directories, pretrained entries
(without the network) and the name dispatch of ``ganzoo.loading.load``. The Hub and model-folder
resolvers are exercised end to end in tests/hub/test_hub.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ganzoo import loading
from ganzoo.errors import (
    CheckpointError,
    PluginError,
    UnknownNameError,
    WeightsError,
    WrongKindError,
)
from ganzoo.loading import pretrained
from ganzoo.loading.run_dir import load_run_model
from ganzoo.registry import get_registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _run_copy(tmp_path: Path, name: str = "run-0.1-dcgan") -> tuple[Path, Path]:
    run = shutil.copytree(FIXTURES / name, tmp_path / name)
    return run, run / "checkpoints" / "step-0000006"


def _equals_file(module: torch.nn.Module, path: Path) -> bool:
    tensors = load_file(path)
    state = module.state_dict()
    return state.keys() == tensors.keys() and all(torch.equal(state[k], tensors[k]) for k in state)


# --------------------------------------------------------------------------- run directories
def test_run_dir_takes_the_ema_generator_when_the_run_kept_one(tmp_path: Path) -> None:
    run, ckpt = _run_copy(tmp_path)
    model = load_run_model(run)
    assert _equals_file(model.generator, ckpt / "ema_generator.safetensors")
    assert _equals_file(model.discriminator, ckpt / "discriminator.safetensors")
    assert not model.training
    raw = load_run_model(run, use_ema=False)
    assert _equals_file(raw.generator, ckpt / "generator.safetensors")
    assert not _equals_file(raw.generator, ckpt / "ema_generator.safetensors")
    # the dispatch: a directory that is not a registry name is a run (or a model folder)
    assert _equals_file(loading.load(str(run)).generator, ckpt / "ema_generator.safetensors")
    (ckpt / "ema_generator.safetensors").unlink()
    assert _equals_file(load_run_model(run).generator, ckpt / "generator.safetensors")


def test_run_dir_failures_name_the_folder_or_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match=r"empty is not a run directory: it has no config"):
        load_run_model(empty)

    run, ckpt = _run_copy(tmp_path)
    gen = ckpt / "generator.safetensors"
    gen.write_bytes(b"not safetensors")
    with pytest.raises(WeightsError, match=r"generator\.safetensors is not a readable safetensors"):
        load_run_model(run, use_ema=False)

    tensors = load_file(ckpt / "ema_generator.safetensors")
    save_file({k: v for k, v in tensors.items() if k != sorted(tensors)[0]}, gen)
    with pytest.raises(WeightsError, match=rf"missing keys {sorted(tensors)[0]}") as err:
        load_run_model(run, use_ema=False)
    assert str(gen) in str(err.value)

    shutil.rmtree(run / "checkpoints")
    (run / "checkpoints").mkdir()
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_run_model(run)

    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "architecture": "dcgna"}))
    with pytest.raises(UnknownNameError, match="dcgan"):
        load_run_model(run)
    (run / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not a valid training config"):
        load_run_model(run)


# --------------------------------------------------------------------------- pretrained entries
def _spec(name: str = "dcgan-mnist", **update):
    spec = get_registry().get(name).spec
    return spec.model_copy(update=update)


def test_pretrained_entry_without_generator_or_architecture(tmp_path: Path) -> None:
    spec = _spec()
    no_g = _spec(weights=tuple(wf for wf in spec.weights if "generator" not in wf.role))
    with pytest.raises(WeightsError, match="'dcgan-mnist' lists no generator weights"):
        pretrained.load_pretrained(no_g)
    with pytest.raises(PluginError, match=r"model 'dcgan-mnist' needs architecture 'biggan-x'"):
        pretrained.load_pretrained(_spec(architecture="biggan-x"))


def test_other_revision_skips_the_bundled_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec()
    bundled = pretrained.package_dir() / spec.weights[0].bundled
    asked: list[tuple[str, str, str | None]] = []

    def download(repo_id: str, filename: str, revision: str | None = None) -> Path:
        asked.append((repo_id, filename, revision))
        return bundled  # the same bytes, so the pin still matches

    monkeypatch.setattr(pretrained, "download", download)
    pretrained.load_pretrained(spec)
    assert asked == []  # the bundled copy: no download
    pretrained.load_pretrained(spec, revision=spec.weights[0].revision)
    assert asked == []  # the pinned revision is the bundled one
    model = pretrained.load_pretrained(spec, revision="v2")
    assert asked == [(wf.repo_id, wf.filename, "v2") for wf in spec.weights]
    assert model.pretrained is spec and model.discriminator is None


def test_download_that_does_not_match_its_pin_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = _spec()
    fake = tmp_path / "generator.safetensors"
    shutil.copyfile(pretrained.package_dir() / spec.weights[0].bundled, fake)
    with open(fake, "r+b") as fh:
        fh.seek(-1, 2)
        fh.write(b"\x00")
    monkeypatch.setattr(pretrained, "download", lambda *a, **k: fake)
    with pytest.raises(WeightsError) as err:
        pretrained.load_pretrained(spec, revision="v2")
    assert str(fake) in str(err.value) and spec.weights[0].sha256 in str(err.value)


# --------------------------------------------------------------------------- the dispatch
def test_load_dispatch_errors_and_untrained_architectures(tmp_path: Path) -> None:
    with pytest.raises(WrongKindError, match=r"'dcgan' is an architecture \(pretrained models"):
        loading.load("dcgan")
    trained = {e.spec.architecture for e in get_registry().list("model")}  # type: ignore[union-attr]
    bare = next(e.name for e in get_registry().list("architecture") if e.name not in trained)
    with pytest.raises(WrongKindError, match=rf"'{bare}' is an architecture \(none is pretrained"):
        loading.load(bare)
    with pytest.raises(WrongKindError, match="'hinge' is a loss"):
        loading.load("hinge")
    with pytest.raises(UnknownNameError, match="dcgan"):
        loading.load("dcgna")
    model = loading.load("gan", pretrained=False, data="ring-8", latent_dim=3)
    assert model.generator.latent_dim == 3 and model.pretrained is None and not model.training
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(WeightsError, match=r"plain is not a ganzoo model folder"):
        loading.load(str(plain))


def test_a_model_sized_by_its_cards_dataset_spec(tmp_path: Path) -> None:
    """A card trained on MNIST at 32 px carries the built data's spec, and G is sized by it."""
    from ganzoo.building import architecture_spec, build_architecture
    from ganzoo.specs import DatasetSpec
    from ganzoo.weights import save_module, sha256_file

    spec32 = DatasetSpec.model_validate(
        {**get_registry().get("mnist").spec.model_dump(), "shape": (1, 32, 32)}
    )
    trained = build_architecture(architecture_spec("dcgan"), data=spec32, width=8, latent_dim=8)
    file = tmp_path / "g.safetensors"
    save_module(trained.generator, file)
    pin = (
        _spec()
        .weights[0]
        .model_copy(
            update={"bundled": str(file), "sha256": sha256_file(file), "size": file.stat().st_size}
        )
    )
    card = _spec(
        config={"width": 8, "latent_dim": 8}, weights=(pin,),
        dataset_spec=spec32,
    )  # fmt: skip
    model = pretrained.load_pretrained(card)
    assert model.data.shape == (1, 32, 32)
    assert torch.equal(model.sample(3, seed=0), trained.eval().sample(3, seed=0))
    # the same file on a card without the spec: sized for 28 px, refused naming the file
    with pytest.raises(WeightsError, match=r"g\.safetensors"):
        pretrained.load_pretrained(card.model_copy(update={"dataset_spec": None}))
