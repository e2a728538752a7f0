"""The plugin test kit (ganzoo.testing) run on every registered entry, and on broken entries.

Parametrised over the registry: a new built-in entry (or an installed plugin's) is held to the
same contract the moment it registers. Tiny options keep each case to about a second; data sets
whose files are not on this machine, and metrics that need the Inception weights, are skipped
with the reason.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

import ganzoo
import ganzoo.testing
from ganzoo.errors import PluginError, WeightsError
from ganzoo.interfaces import Diagnostic, GANLoss
from ganzoo.testing import ContractError

TINY = {  # options that shrink the networks (the others take width=4)
    "gan": {"g_hidden": [16], "d_hidden": [16]},
    "cgan": {"g_hidden": [8, 8, 16], "d_hidden": [8, 8, 16]},
    "pacgan": {"width": 4, "g_hidden": [16], "d_hidden": [16]},
}


def names(kind: str) -> list[str]:
    return [s.name for s in ganzoo.list_entries(kind)]


def arch_options(name: str) -> dict:
    if name in TINY:
        return TINY[name]
    from ganzoo.building import config_defaults

    return (
        {"width": 4}
        if "width" in config_defaults(ganzoo.list_entries("architecture", name)[0])
        else {}
    )


@pytest.mark.parametrize("name", names("architecture"))
def test_architecture_contract(name: str, tmp_path) -> None:
    ganzoo.testing.check_architecture(name, options=arch_options(name), workdir=tmp_path)


@pytest.mark.parametrize("name", names("loss"))
def test_loss_contract(name: str) -> None:
    ganzoo.testing.check_loss(name)


@pytest.mark.parametrize("name", names("diagnostic"))
def test_diagnostic_contract(name: str) -> None:
    ganzoo.testing.check_diagnostic(name)


def _dataset_options(name: str, tmp_path) -> dict:
    if name == "array-file":
        np.save(tmp_path / "points.npy", np.random.default_rng(0).normal(size=(32, 2)).astype("f4"))
        return {"path": str(tmp_path / "points.npy")}
    if name == "image-folder":
        from PIL import Image

        for i in range(4):
            Image.fromarray(np.full((8, 8, 3), 40 * i, "uint8")).save(tmp_path / f"{i}.png")
        return {"path": str(tmp_path)}
    from support.standard_files import WRITERS

    if name in WRITERS:  # a standard data set: a few images in its published on-disk format
        WRITERS[name](tmp_path, 32)
        return {"root": str(tmp_path)}
    from ganzoo.building import config_defaults

    fields = config_defaults(ganzoo.list_entries("dataset", name)[0])
    return {"size": 64} if "size" in fields else {"limit": 64} if "limit" in fields else {}


@pytest.mark.parametrize("name", names("dataset"))
def test_dataset_contract(name: str, tmp_path) -> None:
    # every data set is built from files the test writes (tests never download)
    ganzoo.testing.check_dataset(name, **_dataset_options(name, tmp_path))


@pytest.mark.parametrize("name", names("metric"))
def test_metric_contract(name: str) -> None:
    try:
        ganzoo.testing.check_metric(name)
    except WeightsError:
        pytest.skip(f"{name} needs the Inception weights (a 95 MB download)")


@pytest.mark.parametrize("name", names("model"))
def test_model_contract(name: str) -> None:
    ganzoo.testing.check_model(name)


@pytest.mark.parametrize("name", names("logger"))
def test_logger_contract(name: str, tmp_path, monkeypatch) -> None:
    spec = ganzoo.list_entries("logger", name)[0]
    missing = [m for m in getattr(spec, "requires", ()) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{name} needs {missing}")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)
    ganzoo.testing.check_logger(name)


@pytest.mark.parametrize("name", names("extractor"))
def test_extractor_metadata(name: str) -> None:
    assert ganzoo.testing.check_spec(name, "extractor").name == name


# ---------------------------------------------------------------- the kit catches what is wrong
class _Backwards(GANLoss):
    """D's loss rewards scoring fakes high: the sign convention inverted."""

    def discriminator_loss(self, real_scores, fake_scores):
        return real_scores.mean() - fake_scores.mean()

    def generator_loss(self, fake_scores, real_scores=None):
        return -fake_scores.mean()


class _Undeclared(GANLoss):
    """The minimax G objective, which saturates, registered as non-saturating."""

    def discriminator_loss(self, real_scores, fake_scores):
        return (
            torch.nn.functional.softplus(-real_scores).mean()
            + torch.nn.functional.softplus(fake_scores).mean()
        )

    def generator_loss(self, fake_scores, real_scores=None):
        return -torch.nn.functional.softplus(fake_scores).mean()


def _patch_builder(monkeypatch, name: str, obj) -> None:
    import ganzoo.testing.data
    import ganzoo.testing.parts

    real = ganzoo.testing.parts.build_entry
    monkeypatch.setattr(
        ganzoo.testing.parts, "build_entry", lambda n, **o: obj if n == name else real(n, **o)
    )


def test_kit_catches_inverted_loss(monkeypatch) -> None:
    _patch_builder(monkeypatch, "hinge", _Backwards())
    with pytest.raises(ContractError, match=r"loss 'hinge': D's loss is .* higher scores must"):
        ganzoo.testing.check_loss("hinge")


def test_kit_catches_wrong_saturation_declaration(monkeypatch) -> None:
    _patch_builder(monkeypatch, "non-saturating", _Undeclared())
    with pytest.raises(ContractError, match=r"saturates, but the spec declares saturating=False"):
        ganzoo.testing.check_loss("non-saturating")


def test_empty_diagnostic_is_refused_when_defined() -> None:
    with pytest.raises(PluginError, match=r"implements neither on_step .* nor on_samples"):

        class Nothing(Diagnostic):
            name = "nothing"

    class Base(Diagnostic, abstract=True):  # a shared base class is allowed
        pass

    class Samples(Base):
        def on_samples(self, step, samples, context):
            return []

    assert Samples.wants_samples is True  # overriding on_samples asks for samples


def test_kit_catches_samples_detector_without_samples_signal(monkeypatch) -> None:
    class Looks(Diagnostic):
        def on_samples(self, step, samples, context):
            return []

    _patch_builder(monkeypatch, "exploding-gradient", Looks())
    with pytest.raises(ContractError, match="lack 'samples'"):
        ganzoo.testing.check_diagnostic("exploding-gradient")


def test_kit_catches_unseeded_initialisation(monkeypatch) -> None:
    import ganzoo.models.blocks as blocks

    original = blocks.MLPGenerator.__init__
    rng = np.random.default_rng()

    def unseeded(self, *args, **kwargs):
        original(self, *args, **kwargs)
        with torch.no_grad():
            next(self.parameters()).add_(float(rng.normal()))

    monkeypatch.setattr(blocks.MLPGenerator, "__init__", unseeded)
    with pytest.raises(ContractError, match="different initial weights"):
        ganzoo.testing.check_architecture("gan", options=TINY["gan"])


def test_kit_names_a_missing_entry() -> None:
    with pytest.raises(ContractError, match=r"'no-such-gan': is not registered.*ganzoo plugins"):
        ganzoo.testing.check_architecture("no-such-gan")
