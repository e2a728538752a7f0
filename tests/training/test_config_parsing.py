"""Config files and TrainConfig: every input is a config or one ConfigError line (issue 17)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganzoo.errors import ConfigError
from ganzoo.specs import OptimizerSettings
from ganzoo.training.config import load_config_file, make_train_config


def test_non_utf8_config_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_bytes(b"architecture: dcgan\nsteps: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config_file(path)


def test_config_that_expands_when_rendered_is_refused_with_a_bounded_preview(
    tmp_path: Path,
) -> None:
    levels = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(levels) + "\n")  # 8 lines, 9**8 values written out
    with pytest.raises(ConfigError, match="expands") as info:
        load_config_file(path)
    assert len(str(info.value)) < 400


def test_unparseable_config_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"architecture": "dcgan",')
    with pytest.raises(ConfigError, match="cannot parse") as info:
        load_config_file(path)
    assert "\n" not in str(info.value)


def test_a_value_that_expands_in_a_field_gives_a_bounded_message() -> None:
    node: list = [1] * 9
    for _ in range(8):
        node = [node] * 9  # shared references, as YAML aliases make
    with pytest.raises(ConfigError) as info:
        make_train_config({"architecture": "dcgan", "batch_size": node})
    assert len(str(info.value)) < 400


FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
)
FIELDS = st.sampled_from(
    ["steps", "epochs", "batch_size", "seed", "ema", "log_every", "device", "num_samples"]
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(FIELDS, FIELD_VALUES, max_size=4))
def test_train_config_is_valid_or_one_config_error(values: dict) -> None:
    try:
        config = make_train_config({"architecture": "dcgan", **values})
    except ConfigError as err:
        assert "\n" not in str(err) and len(str(err)) < 2000
        return
    if config.epochs is not None:
        assert math.isfinite(config.epochs) and config.epochs > 0
    assert config.batch_size >= 1 and 0 <= config.seed < 2**64
    if config.ema is not None:
        assert 0 < config.ema < 1


@settings(max_examples=60, deadline=None)
@given(
    lr=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    betas=st.one_of(
        st.none(),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=3),
    ),
    n_critic=st.one_of(st.none(), st.integers(min_value=-5, max_value=10)),
)
def test_optimizer_settings_are_valid_or_one_config_error(lr, betas, n_critic) -> None:
    """What reaches torch's optimizers is always in their range (lr > 0 finite, betas in [0, 1))."""
    optimizer = {"lr_g": lr, "lr_d": lr, "betas": betas, "n_critic": n_critic}
    try:
        config = make_train_config({"architecture": "dcgan", "optimizer": optimizer})
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    opt: OptimizerSettings = config.optimizer
    for value in (opt.lr_g, opt.lr_d):
        assert value is None or (math.isfinite(value) and value > 0)
    assert opt.betas is None or all(0 <= b < 1 for b in opt.betas)
    assert opt.n_critic is None or opt.n_critic >= 1
