"""``--set KEY=VALUE`` overrides: parsed into a nested dict, every malformed input a ConfigError.

Keys are dotted field names (``optimizer.betas``); values are YAML scalars or flow collections
(``0.5``, ``[0.5, 0.99]``, ``true``). A key that is not a dotted name, a value YAML cannot
parse, a value whose structure expands past a bound (aliases), and two ``--set`` that make a
key both a value and a table (``a=1`` then ``a.b=2``) are each one line of error that
previews the input within a bounded length.
"""

from __future__ import annotations

import re
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.text import clean, expanded_size, preview

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[A-Za-z_][A-Za-z0-9_-]{0,63}){0,7}$")
"""A dotted field name: up to 8 parts of letters, digits, ``_`` and ``-``."""
MAX_VALUE_CHARS = 10_000
MAX_NODES = 10_000
"""The most values one ``--set`` may hold, with YAML aliases written out."""
EXAMPLE = "e.g. --set architecture_options.width=32"


def parse_value(key: str, raw: str) -> Any:
    """The YAML value of one ``--set``; a ConfigError naming the key if it is not one.

    Args:
        key: The key, for the message.
        raw: The text after ``=``.

    Returns:
        The parsed value (a string when YAML reads it as one).

    Raises:
        ConfigError: YAML cannot parse it, it is too long, or it expands past ``MAX_NODES``.
    """
    import yaml

    if len(raw) > MAX_VALUE_CHARS:
        raise ConfigError(f"--set {key}: the value is over {MAX_VALUE_CHARS} characters")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        problem = clean(getattr(err, "problem", None) or type(err).__name__, 100)
        raise ConfigError(
            f"--set {key}: {preview(raw, 60)} is not a YAML value ({problem}); quote strings "
            "and write lists as [a, b]"
        ) from None
    if expanded_size(value, MAX_NODES) > MAX_NODES:
        raise ConfigError(f"--set {key}: the value expands to over {MAX_NODES} items")
    return value


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs into one nested dict (``a.b=1`` -> ``{"a": {"b": 1}}``).

    Args:
        items: The ``--set`` arguments, in order; a later value of the same key wins.

    Returns:
        The nested overrides.

    Raises:
        ConfigError: an item has no ``=``, a key is not a dotted name, a value does not parse,
            or a key is set both to a value and to a table.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not KEY.match(key):
            raise ConfigError(
                f"--set takes KEY=VALUE with a dotted field name as KEY ({EXAMPLE}), "
                f"got {preview(item, 80)}"
            )
        parts = key.split(".")
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"--set {key} conflicts with an earlier --set of {where} to "
                    f"{preview(child, 40)}: {where} cannot be both a value and a table"
                )
            node = child
        value = parse_value(key, raw)
        if (
            isinstance(node.get(parts[-1]), dict)
            and node[parts[-1]]
            and not isinstance(value, dict)
        ):
            raise ConfigError(
                f"--set {key}={preview(value, 40)} conflicts with an earlier --set of "
                f"{key}.*: {key} cannot be both a value and a table"
            )
        node[parts[-1]] = value
    return out


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` laid over it, tables merged key by key (neither is changed)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = (
            merge(out.get(k) or {}, v)
            if isinstance(v, dict) and isinstance(out.get(k), dict | None)
            else v
        )
    return out
