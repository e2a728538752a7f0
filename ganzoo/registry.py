"""The process-wide registry: filled once, lazily, from the installed plugins.

`get_registry` loads every plugin (`ganzoo.plugins.load_plugins`) into a
`ganzoo.entries.Registry` on first call. It is the only global mutable state in ganzoo.
The table itself (``Registry``, ``Entry``, ``PluginInfo``, ``natural_key``) lives in
`ganzoo.entries` and is re-exported here.
"""

from __future__ import annotations

from ganzoo.entries import Entry, PluginInfo, Registry, natural_key
from ganzoo.plugins import load_plugins
from ganzoo.specs import Spec

__all__ = [
    "Entry",
    "PluginInfo",
    "Registry",
    "get_registry",
    "list_specs",
    "natural_key",
    "reset_registry",
]

_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, loading the plugins on first call."""
    global _registry
    if _registry is None:
        registry = Registry()
        load_plugins(registry)
        _registry = registry
    return _registry


def reset_registry() -> None:
    """Forget the loaded registry so the next access reloads plugins (for tests and tools)."""
    global _registry
    _registry = None


def list_specs(kind: str | None = None, pattern: str | None = None) -> list[Spec]:
    """Specs of the registered entries of ``kind`` whose name matches ``pattern`` (``*``, ``?``).

    Args:
        kind: ``architecture``, ``loss``, ``diagnostic``, ``dataset``, ``model`` (plurals work
            too), or None for every kind.
        pattern: a shell-style wildcard on the name, or None for all.

    Returns:
        The specs, sorted by kind, then naturally by name.
    """
    return [e.spec for e in get_registry().list(kind, pattern)]
