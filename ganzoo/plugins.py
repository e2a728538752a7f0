"""Discover plugins (entry points of group ``ganzoo``), load each in isolation, fill the registry.

pluggy's stock ``load_setuptools_entrypoints`` stops at the first broken plugin; this loader
imports and calls every plugin inside its own ``try``, records a failure with its error, and goes
on. ``GANZOO_DISABLE_PLUGINS=a,b`` skips plugins by entry-point name; ``GANZOO_STRICT_PLUGINS=1``
makes any failure raise ``PluginError`` (for plugin authors and CI).
"""

from __future__ import annotations

import os
from importlib.metadata import EntryPoint, entry_points

import pluggy
from pydantic import BaseModel, ValidationError

from ganzoo import hookspecs
from ganzoo.entries import PluginInfo, Registry
from ganzoo.errors import PluginError, format_validation_error
from ganzoo.specs import SPEC_TYPES, Spec

GROUP = "ganzoo"
BUILTIN = "builtin"


def disabled_plugins() -> set[str]:
    """Entry-point names listed in ``GANZOO_DISABLE_PLUGINS``."""
    raw = os.environ.get("GANZOO_DISABLE_PLUGINS", "")
    return {p.strip() for p in raw.split(",") if p.strip()}


def strict_plugins() -> bool:
    """Whether ``GANZOO_STRICT_PLUGINS`` asks for plugin failures to raise."""
    return os.environ.get("GANZOO_STRICT_PLUGINS", "").lower() in {"1", "true", "yes", "on"}


def discover() -> list[EntryPoint]:
    """Entry points of group ``ganzoo``: the built-in set first, then by name."""
    eps = {ep.name: ep for ep in entry_points(group=GROUP)}
    return sorted(eps.values(), key=lambda ep: (ep.name != BUILTIN, ep.name))


def _collect(pm: pluggy.PluginManager, plugin_name: str) -> list[Spec]:
    """Call one plugin's hooks and return the specs it registered, validated."""
    specs: list[Spec] = []
    for kind, hook_name in hookspecs.HOOKS.items():
        spec_type = SPEC_TYPES[kind]

        def register(spec: object, _kind: str = kind, _type: type[BaseModel] = spec_type) -> None:
            if isinstance(spec, BaseModel) and not isinstance(spec, _type):
                raise PluginError(
                    f"{hookspecs.HOOKS[_kind]} was given a {type(spec).__name__}; "
                    f"it takes {_type.__name__} specs"
                )
            if not isinstance(spec, _type):
                try:
                    spec = _type.model_validate(spec)
                except ValidationError as err:
                    raise PluginError(format_validation_error(err, f"{_kind} spec")) from None
            specs.append(spec)  # type: ignore[arg-type]

        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            if impl.plugin_name == plugin_name:
                impl.function(*[{"register": register}[a] for a in impl.argnames])
    return specs


def _check_hook_names(pm: pluggy.PluginManager, plugin: object) -> None:
    for attr in dir(plugin):
        if (
            pm.parse_hookimpl_opts(plugin, attr) is not None
            and attr not in hookspecs.HOOKS.values()
        ):
            known = ", ".join(hookspecs.HOOKS.values())
            raise PluginError(f"unknown hook {attr!r}; ganzoo's hooks are: {known}")


def load_plugins(registry: Registry) -> None:
    """Load every discovered plugin into ``registry``, recording each in ``registry.plugins``."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = disabled_plugins()
    strict = strict_plugins()
    for ep in discover():
        info = PluginInfo(
            name=ep.name,
            distribution=ep.dist.name if ep.dist else None,
            version=ep.dist.version if ep.dist else None,
            value=ep.value,
        )
        registry.plugins.append(info)
        if ep.name in disabled:
            info.status = "disabled"
            continue
        registered = False
        try:
            plugin = ep.load()
            _check_hook_names(pm, plugin)
            pm.register(plugin, name=ep.name)
            registered = True
            specs = _collect(pm, ep.name)
            registry.add(specs, plugin=ep.name)
            info.entries = [s.name for s in specs]
        except Exception as err:  # a broken plugin must never take the others down
            if registered:
                pm.unregister(name=ep.name)
            info.status = "failed"
            info.error = f"{type(err).__name__}: {err}"
            if strict:
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) failed: {info.error} "
                    "(GANZOO_STRICT_PLUGINS is set)"
                ) from err
