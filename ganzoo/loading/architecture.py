"""The architecture a saved model needs, or an error saying that a plugin must provide it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganzoo.errors import PluginError
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec
from ganzoo.text import clean


def require_architecture(
    name: str, where: str, plugin: Mapping[str, Any] | None = None
) -> ArchitectureSpec:
    """The registered spec of architecture ``name``, which the model at ``where`` needs.

    Args:
        name: The architecture's registry name.
        where: What is being loaded, for the message (a folder, ``hf-hub:owner/repo``, a model).
        plugin: What the saved model recorded of the plugin providing the architecture
            (``name``, ``distribution``, ``version``), if anything.

    Returns:
        The architecture's spec.

    Raises:
        PluginError: no installed plugin registers ``name``; the message repeats what ``plugin``
            records, escaped and marked as unverified, and never offers an install command
            built from it.
    """
    registry = get_registry()
    if name not in registry:
        plugin = plugin or {}
        said = ", ".join(
            f"{label} {clean(plugin[key], 64)!r}"
            for key, label in (
                ("name", "plugin"),
                ("distribution", "distribution"),
                ("version", "version"),
            )
            if plugin.get(key)
        )
        origin = (
            f"; the saved config says it came from {said} (text from the model's files, not a "
            "verified package name: check the plugin's documentation before installing anything)"
            if said
            else ""
        )
        raise PluginError(
            f"{clean(where, 200)} needs architecture {clean(name, 64)!r}, which no installed plugin "
            f"registers{origin}; install the plugin that provides it, then load it again "
            "(`ganzoo plugins` shows what is installed)"
        )
    return registry.get(name, "architecture").spec  # type: ignore[return-value]
