"""tools/score_shipped.py: the shipped bytes score as the card's chosen checkpoint did."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def script() -> ModuleType:
    """The maintainer script, loaded from its path."""
    spec = importlib.util.spec_from_file_location(
        "score_shipped", REPO / "tools" / "score_shipped.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_weights_score_as_their_checkpoint_and_meet_a_kl_limit() -> None:
    row = script().score_shipped("gan-mnist", {"kl": 0.02}, None)
    assert row["chosen_step"] == 56000 and row["limits"] == {"kl": 0.02}
    assert row["values"]["score"] == pytest.approx(row["card_value"], abs=2e-3)  # fp16 export
    assert 0 <= row["values"]["kl"] <= 0.02 and row["meets"]
    tight = script().score_shipped("gan-mnist", {"kl": 1e-6}, None)
    assert not tight["meets"] and tight["values"] == row["values"]


def test_a_limit_on_a_key_of_unknown_direction_is_refused() -> None:
    with pytest.raises(SystemExit, match=r"'sharp=1'.*no known direction"):
        script().main(["gan-mnist", "--select-limit", "sharp=1"])
