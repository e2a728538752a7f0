"""ganzoo.text: strings from outside are printed as one visible line, bounded, never as escapes."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ganzoo.errors import ConfigError, format_validation_error
from ganzoo.text import clean, expanded_size, fence, preview, table_cell

BOMB = "\n".join(
    ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    + [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefg", "bcdefgh", strict=True)]
)


@settings(max_examples=60, deadline=None)
@given(st.text())
def test_clean_leaves_no_control_character_and_is_one_line(text: str) -> None:
    out = clean(text, limit=50)
    assert "\x1b" not in out and "\n" not in out and "\r" not in out and "\u202e" not in out
    assert not any(0 <= ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in out)
    assert len(out) <= 50 * 10 + 40  # each kept character escapes to at most 10


def test_clean_shows_escapes_visibly() -> None:
    assert clean("a\x1b[2Jb\nc") == "a\\x1b[2Jb\\x0ac"
    assert clean("x" * 30, limit=10) == "x" * 10 + "... (20 more characters)"


def test_yaml_alias_bomb_is_measured_and_previewed_cheaply() -> None:
    data = yaml.safe_load(BOMB)
    assert expanded_size(data, limit=100_000) == 100_001  # 9**8 nodes written out
    text = preview(data, limit=120)
    assert len(text) <= 125 and text.startswith("{'a': [1, 2")


def test_validation_error_message_is_bounded(tmp_path) -> None:
    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        x: int

    data = yaml.safe_load(BOMB)
    try:
        M(x=data["h"])
    except ValidationError as err:
        message = format_validation_error(err, "config")
    assert len(message) < 400 and "x: " in message
    assert isinstance(ConfigError(message), ValueError)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("`a\n~ ")))
def test_fence_cannot_be_closed_from_inside(text: str) -> None:
    block = fence(text, "bash")
    lines = block.split("\n")
    opening = re.match(r"`+", lines[0]).group(0)
    inner = lines[1:-1]
    assert lines[-1] == opening
    # CommonMark: a closing fence is a line of at least as many backticks (and nothing else)
    assert not any(re.fullmatch(r" {0,3}`{" + str(len(opening)) + r",}\s*", line) for line in inner)


def test_table_cell_cannot_split_a_row() -> None:
    assert table_cell("a|b\n| c |") == "a\\|b\\\\x0a\\| c \\|"


def test_validation_error_explains_a_yaml_boolean_where_a_word_was_wanted() -> None:
    from ganzoo.training.config import make_train_config

    with pytest.raises(ConfigError) as info:
        make_train_config({"architecture": "dcgan", "steps": 1}, amp=yaml.safe_load("off"))
    message = str(info.value)
    assert "amp:" in message and "got False" in message
    assert "YAML and --set read off/on/no/yes as a boolean" in message
    with pytest.raises(ConfigError) as info:
        make_train_config({"architecture": "dcgan", "steps": 1}, amp="fast")
    assert "as a boolean" not in str(info.value)
