"""TrainConfig: every float field is a finite number, in the range the optimizer takes (issue 17)."""

from __future__ import annotations

import pytest

from ganzoo.errors import ConfigError
from ganzoo.training.config import TrainConfig, make_train_config

BASE = {"architecture": "gan", "data": "ring-8"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"optimizer": {"lr_g": float("inf")}}, "optimizer.lr_g"),
        ({"optimizer": {"lr_d": float("nan")}}, "optimizer.lr_d"),
        ({"optimizer": {"lr_g": -1.0}}, "optimizer.lr_g"),
        ({"optimizer": {"betas": [0.5, 1.5]}}, "optimizer.betas"),
        ({"optimizer": {"betas": [float("nan"), 0.9]}}, "optimizer.betas"),
        ({"epochs": float("inf")}, "epochs"),
        ({"ema": float("nan")}, "ema"),
        ({"ema": 1.0}, "ema"),
        ({"divergence_limit": float("inf")}, "divergence_limit"),
        ({"divergence_limit": 0.0}, "divergence_limit"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_non_finite_or_out_of_range_floats_are_refused_naming_the_field(
    overrides: dict, field: str
) -> None:
    with pytest.raises(ConfigError, match=r"^invalid training config: ") as err:
        make_train_config(BASE, **overrides)
    assert field in str(err.value) and "\n" not in str(err.value)


def test_every_float_field_refuses_infinity() -> None:
    """A new float field cannot slip through: each one of TrainConfig refuses inf."""
    floats = [
        name for name, info in TrainConfig.model_fields.items() if "float" in str(info.annotation)
    ]
    assert {"epochs", "ema", "divergence_limit"} <= set(floats)
    for name in floats:
        with pytest.raises(ConfigError, match=name):
            make_train_config(BASE, **{name: float("inf")})


def test_the_divergence_limit_can_be_turned_off_and_defaults_to_1e6() -> None:
    assert TrainConfig(**BASE).divergence_limit == 1e6
    assert TrainConfig(**BASE, divergence_limit=None).divergence_limit is None
