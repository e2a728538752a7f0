"""--set parsing: every input is a nested dict or one ConfigError line, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganzoo.cli.overrides import merge, parse_sets
from ganzoo.errors import ConfigError


def test_dotted_keys_nest_and_values_are_yaml() -> None:
    got = parse_sets(["optimizer.betas=[0.5, 0.99]", "steps=3", "architecture_options.width=8"])
    assert got == {
        "optimizer": {"betas": [0.5, 0.99]},
        "steps": 3,
        "architecture_options": {"width": 8},
    }


@pytest.mark.parametrize(
    ("items", "needle"),
    [
        (["a=1", "a.b=2"], "cannot be both a value and a table"),
        (["a.b=2", "a=1"], "cannot be both a value and a table"),
        (["=3"], "KEY=VALUE"),
        (["novalue"], "KEY=VALUE"),
        (["a..b=1"], "KEY=VALUE"),
        (["a=[1,"], "is not a YAML value"),
        (["a=!!python/object:os.system x"], "is not a YAML value"),
        (["a=" + "[" * 150 + "]" * 150], "expands"),
        (["a=x" * 5000], "over 10000 characters"),
    ],
)
def test_malformed_sets_are_one_config_error(items, needle) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        parse_sets(items)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_alias_bomb_in_a_set_is_refused_cheaply() -> None:
    bomb = "{a: &a [1,1,1,1,1,1,1,1,1], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]}"  # 9**5 items
    with pytest.raises(ConfigError, match="expands"):
        parse_sets([f"x={bomb}"])


KEYS = st.from_regex(r"[a-z_][a-z0-9_]{0,5}(\.[a-z_][a-z0-9_]{0,5}){0,2}", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.one_of(st.text(max_size=30), st.builds("{}={}".format, KEYS, st.text(max_size=15))),
        max_size=5,
    )
)
def test_any_set_list_parses_or_is_a_config_error(items: list[str]) -> None:
    try:
        out = parse_sets(items)
    except ConfigError as err:
        assert "\n" not in str(err) and "\x1b" not in str(err)
        return
    assert isinstance(out, dict)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(-5, 5)), min_size=1, max_size=4))
def test_last_set_of_a_key_wins_and_merge_keeps_the_base(pairs) -> None:
    items = [f"{k}={v}" for k, v in pairs]
    try:
        out = parse_sets(items)
    except ConfigError:
        return  # a key that is both a value and a table
    key, value = pairs[-1]
    node = out
    for part in key.split("."):
        node = node[part]
    assert node == value
    base = {"zz": {"keep": 1}}
    assert merge(base, out)["zz"] == {"keep": 1} and base == {"zz": {"keep": 1}}
