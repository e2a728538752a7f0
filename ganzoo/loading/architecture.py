"""The architecture a saved model needs, or an error saying which plugin to install."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ganzoo.errors import PluginError
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec


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
        PluginError: no installed plugin registers ``name``; the message names the package to
            install when ``plugin`` records its distribution.
    """
    registry = get_registry()
    if name not in registry:
        plugin = plugin or {}
        dist = plugin.get("distribution")
        how = (
            f"`pip install {dist}`"
            + (f" (version {plugin['version']} saved it)" if plugin.get("version") else "")
            if dist
            else f"install the plugin that provides it ({plugin.get('name') or 'unknown plugin'})"
        )
        raise PluginError(
            f"{where} needs architecture {name!r}, which no installed plugin registers: {how}, "
            "then load it again (`ganzoo plugins` shows what is installed)"
        )
    return registry.get(name, "architecture").spec  # type: ignore[return-value]
