"""``--log NAME[:KEY=VALUE,...]``: logger entries from the command line, built from the registry."""

from __future__ import annotations

from typing import Any

from ganzoo.building import build_entry
from ganzoo.errors import ConfigError
from ganzoo.registry import get_registry
from ganzoo.training.callbacks import Callback


def parse_log_option(text: str) -> tuple[str, dict[str, Any]]:
    """Read one ``--log`` value: a logger name, optionally with options after a colon.

    ``tensorboard``, ``mlflow:tracking_uri=file:./mlruns,experiment=mnist``: values are read
    as YAML scalars (``flush_secs=5`` is a number).

    Args:
        text: The option's value.

    Returns:
        The name and its options.

    Raises:
        ConfigError: An option is not ``KEY=VALUE``.
    """
    import yaml

    name, _, rest = text.strip().partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--log takes NAME or NAME:KEY=VALUE,... (e.g. tensorboard:flush_secs=5), "
                f"got {text!r}"
            )
        options[key.strip()] = yaml.safe_load(raw) if raw else ""
    return name.strip().lower(), options


def build_loggers(values: list[str]) -> list[Callback]:
    """The loggers ``--log`` names (each may be ``a,b``), built and checked before training.

    Args:
        values: The ``--log`` values; ``none`` alone means no logger.

    Returns:
        One callback per logger, in the order given.

    Raises:
        UnknownNameError: A name that is not a registered logger.
        WrongKindError: A name of another kind of entry.
        ConfigError: Bad options, or a logger whose library is not installed.
    """
    items: list[str] = []
    for value in values:
        if ":" in value:  # options may hold commas: one logger per value then
            items.append(value)
        else:
            items.extend(v for v in (p.strip() for p in value.split(",")) if v)
    if [i.lower() for i in items] == ["none"]:
        return []
    out: list[Callback] = []
    for item in items:
        name, options = parse_log_option(item)
        get_registry().get(name, "logger")  # an unknown name or another kind: one line
        out.append(build_entry(name, **options))
    return out
