"""A pretrained card's licence, seed spread and checkpoint choice reach the saved folder's card."""

from __future__ import annotations

from pathlib import Path

import ganzoo
from ganzoo.model_card import render
from ganzoo.model_folder import read_folder_config, save_pretrained
from ganzoo.specs import CheckpointSelection
from ganzoo.zoo.spread import seed_spread


def test_saved_folder_carries_licence_spread_and_checkpoint(tmp_path: Path) -> None:
    model = ganzoo.load("dcgan-mnist")
    assert model.pretrained is not None
    metrics = model.pretrained.metrics
    per_seed = [metrics, {k: v * 1.01 for k, v in metrics.items()}, metrics]
    selection = CheckpointSelection(
        metric="score", higher_is_better=True, steps=(500, 4500), values=(5.0, 6.5),
        chosen_step=4500, n=2000, seed=1, reference="mnist train split, images 50000-59999",
    )  # fmt: skip
    model.pretrained = model.pretrained.model_copy(
        update={
            "license": "Apache-2.0",
            "spread": seed_spread([0, 1, 2], per_seed, 0, [4500, 4000, 4680]),
            "selection": selection,
        }
    )
    save_pretrained(model, tmp_path)
    config = read_folder_config(tmp_path)  # the strict schema accepts the new fields
    assert config["license"] == "Apache-2.0" and config["spread"]["seeds"] == [0, 1, 2]
    assert config["checkpoint"].startswith("step 4500, the best by score (higher is better)")
    card = (tmp_path / "README.md").read_text()
    assert '\nlicense: "apache-2.0"\n' in card
    assert "| metric | these weights | mean ± std over 3 training seeds | tolerance band |" in card
    fid = model.pretrained.spread.band["fid"]  # type: ignore[union-attr]
    assert f"{fid[0]:.6g} .. {fid[1]:.6g}" in card
    assert "Checkpoint: step 4500" in card and "## Licence" in card


def test_an_old_folder_config_renders_as_before() -> None:
    config = {
        "architecture": "dcgan",
        "dataset": "mnist",
        "metrics": {"fid": 12.3},
        "reproduce": "ganzoo train dcgan",
    }
    card = render(config)
    assert "| metric | value |" in card and "license" not in card.lower()


def test_a_limited_choice_is_said_in_the_folder_card(tmp_path: Path) -> None:
    import pydantic
    import pytest

    model = ganzoo.load("dcgan-mnist")
    assert model.pretrained is not None
    selection = CheckpointSelection(
        metric="score", higher_is_better=True, steps=(500, 4500), values=(5.0, 6.5),
        chosen_step=500, n=2000, seed=1, reference="set-aside images",
        limits={"kl": 0.02}, limit_values={"kl": (0.01, 0.04)},
    )  # fmt: skip
    model.pretrained = model.pretrained.model_copy(update={"selection": selection})
    save_pretrained(model, tmp_path)
    assert read_folder_config(tmp_path)["checkpoint"].startswith(
        "step 500, the best by score (higher is better) among those with kl <= 0.02 of 2"
    )
    fields = selection.model_dump()
    with pytest.raises(pydantic.ValidationError, match=r"limit_values\.kl has 1 values for 2"):
        CheckpointSelection(**{**fields, "limit_values": {"kl": (0.01,)}})
    with pytest.raises(pydantic.ValidationError, match="no known direction"):
        CheckpointSelection(**{**fields, "limits": {"x": 1.0}, "limit_values": {"x": (1, 2)}})


def test_a_card_chosen_by_a_plugins_metric_words_its_rule_from_the_record() -> None:
    """A metric ganzoo has no direction for (a plugin's) still renders: the record says it."""
    selection = CheckpointSelection(
        metric="sharpness", higher_is_better=True, steps=(1, 2), values=(0.5, 0.7),
        chosen_step=2, n=100, seed=1, reference="set-aside images",
    )  # fmt: skip
    assert selection.rule() == "the best by sharpness (higher is better)"
