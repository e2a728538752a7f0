"""Spec validation: frozen, no extra fields, import strings, names, hashes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ganzoo.specs import ArchitectureSpec, LossSpec, ModelSpec, WeightFile, normalize_kind

SHA = "0" * 64


def test_specs_are_frozen_and_closed() -> None:
    spec = LossSpec(name="x", summary="s", builder="a.b:c")
    with pytest.raises(ValidationError):
        spec.name = "y"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        LossSpec(name="x", summary="s", builder="a.b:c", colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize("bad", ["Has Space", "UPPER", "-lead", ""])
def test_names_are_validated(bad: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        LossSpec(name=bad, summary="s", builder="a:b")


@pytest.mark.parametrize("bad", ["no_colon", "a:b:c", "1mod:x", "a.b:"])
def test_builder_must_be_an_import_string(bad: str) -> None:
    with pytest.raises(ValidationError, match="import string"):
        ArchitectureSpec(name="x", summary="s", builder=bad)


def test_model_spec_pins_weights() -> None:
    wf = WeightFile(
        role="generator",
        repo_id="ganzoo/dcgan-mnist",
        filename="g.safetensors",
        sha256=SHA,
        size=10,
    )
    spec = ModelSpec(
        name="m",
        summary="s",
        architecture="dcgan",
        dataset="mnist",
        weights=(wf,),
        reproduce="ganzoo train dcgan",
    )
    assert spec.weights[0].revision == "main"
    with pytest.raises(ValidationError, match="sha256"):
        WeightFile(role="generator", repo_id="a/b", filename="g", sha256="xyz", size=1)
    with pytest.raises(ValidationError, match="weights"):
        ModelSpec(
            name="m", summary="s", architecture="dcgan", dataset="mnist", weights=(), reproduce="x"
        )


def test_kind_plurals() -> None:
    assert normalize_kind("Models") == "model" and normalize_kind("losses") == "loss"
