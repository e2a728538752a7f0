"""Spec validation: frozen, no extra fields, import strings, names, hashes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ganzoo.specs import ArchitectureSpec, LossSpec, ModelSpec, WeightFile, normalize_kind

SHA = "0" * 64


def test_specs_are_frozen_and_closed() -> None:
    spec = LossSpec(name="x", summary="s", builder="a.b:c", scores="logits")
    with pytest.raises(ValidationError):
        spec.name = "y"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        LossSpec(name="x", summary="s", builder="a.b:c", scores="logits", colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize("bad", ["Has Space", "UPPER", "-lead", ""])
def test_names_are_validated(bad: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        LossSpec(name=bad, summary="s", builder="a:b", scores="logits")


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


def test_one_optimizer_model_layers_run_over_architecture_over_default() -> None:
    from ganzoo.specs import DEFAULT_OPTIMIZER, OptimizerSettings
    from ganzoo.training.config import TrainConfig

    # an architecture's unset fields come from the library default, so its settings are complete
    arch = ArchitectureSpec(
        name="x", summary="s", builder="a:b", optimizer=OptimizerSettings(name="rmsprop", lr_d=1e-3)
    )
    assert arch.optimizer.complete
    assert arch.optimizer == DEFAULT_OPTIMIZER.model_copy(update={"name": "rmsprop", "lr_d": 1e-3})
    # a run's settings are overrides: None means "the architecture's choice"
    run = TrainConfig(architecture="x", optimizer={"lr_g": 5e-4, "n_critic": 3}).optimizer
    assert not run.complete and run.lr_d is None
    resolved = run.resolve(arch.optimizer)
    assert (resolved.name, resolved.lr_g, resolved.lr_d, resolved.n_critic) == (
        "rmsprop",
        5e-4,
        1e-3,
        3,
    )
    assert OptimizerSettings().resolve(arch.optimizer) == arch.optimizer
    with pytest.raises(ValidationError, match="n_critic"):
        OptimizerSettings(n_critic=0)


def test_old_run_configs_optimizer_block_still_validates() -> None:
    from ganzoo.training.config import TrainConfig

    old = {"name": None, "lr_g": None, "lr_d": None, "betas": None, "n_critic": None}
    cfg = TrainConfig.model_validate({"architecture": "dcgan", "optimizer": old})
    assert cfg.optimizer.model_dump() == old


def test_card_records_load_from_a_card_and_keep_their_specs_import_path() -> None:
    """The selection and spread records live in ganzoo.card_records; ganzoo.specs re-exports them
    (plugins and older code import them from there), and a card's dicts validate into them."""
    import ganzoo.card_records as records
    import ganzoo.specs as specs

    assert specs.CheckpointSelection is records.CheckpointSelection
    assert specs.SeedSpread is records.SeedSpread
    wf = WeightFile(role="generator", repo_id="a/b", filename="g", sha256=SHA, size=1)
    card = ModelSpec(
        name="m",
        summary="s",
        architecture="dcgan",
        dataset="mnist",
        weights=(wf,),
        reproduce="x",
        selection={
            "metric": "fid",
            "higher_is_better": False,
            "steps": [100, 200],
            "values": [30.0, 20.0],
            "chosen_step": 200,
            "n": 10,
            "seed": 1,
            "reference": "mnist train 50000-59999",
        },
        spread={"seeds": [0, 1], "shipped_seed": 0, "values": {"fid": [20.0, 22.0]}},
    )
    assert isinstance(card.selection, records.CheckpointSelection)
    assert isinstance(card.spread, records.SeedSpread)
    assert card.selection.chosen_step == 200 and card.spread.values["fid"] == (20.0, 22.0)
    with pytest.raises(ValidationError, match="chosen_step 300 is not among steps"):
        specs.CheckpointSelection(
            metric="fid",
            higher_is_better=False,
            steps=(100,),
            values=(1.0,),
            chosen_step=300,
            n=1,
            seed=0,
            reference="r",
        )
