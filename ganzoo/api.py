"""The public functions: list, inspect, build and load registry entries.

A thin façade over the layers below: the registry (``list_entries``, ``info``), building
(``build``) and loading (``load``). Nothing inside the package imports this module; only
``ganzoo/__init__.py`` (lazily) and the CLI do. ``list_entries`` and ``info`` never import
torch; ``build`` and ``load`` import the entry's builder (and so torch) only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo import loading
from ganzoo.building import build_entry, config_defaults
from ganzoo.registry import get_registry, list_specs
from ganzoo.specs import Spec

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def list_entries(kind: str | None = None, pattern: str | None = None) -> list[Spec]:
    """Specs of every registered entry of ``kind`` whose name matches ``pattern``.

    Args:
        kind: One of ``architecture``, ``loss``, ``diagnostic``, ``dataset``, ``model``,
            ``metric``, ``extractor`` (plurals work too), or None for all kinds.
        pattern: A shell-style pattern (``*``, ``?``) the name must match; None for all.

    Returns:
        The specs, naturally sorted by name.
    """
    return list_specs(kind, pattern)


def info(name: str) -> dict[str, Any]:
    """Everything the registry knows of ``name``, without importing torch.

    Args:
        name: A registered name of any kind.

    Returns:
        The spec's fields as JSON values, ``plugin`` (the plugin that registered it) and, for an
        entry built from options, ``defaults`` read from its config model.

    Raises:
        UnknownNameError: ``name`` is not registered (the message suggests close names).
    """
    entry = get_registry().get(name)
    data = {"plugin": entry.plugin, **entry.spec.model_dump(mode="json")}
    if isinstance(data.get("config"), str):  # a buildable entry names its config model
        data["defaults"] = config_defaults(entry.spec)
    return data


def build(name: str, /, **overrides: Any) -> Any:
    """Build an entry from its spec: an architecture, loss, diagnostic, data set, metric or extractor.

    Overrides are validated against the entry's config model; a bad one raises
    [`ConfigError`][ganzoo.errors.ConfigError] naming the field. For an architecture, ``data=``
    picks the data set (its shape and classes size the networks) and the result is an untrained
    [`GANModel`][ganzoo.gan.GANModel].

    Raises:
        ConfigError: An override is not a field of the entry's config model, or has a bad value.
        WrongKindError: ``name`` is a pretrained model, which is loaded (`load`), not built.
        UnknownNameError: ``name`` is not registered (the message suggests close names).
    """
    return build_entry(name, **overrides)


def load(
    name: str,
    pretrained: bool = True,
    device: Any = None,
    revision: str | None = None,
    **overrides: Any,
) -> GANModel:
    """A ready model by name.

    * ``"dcgan-mnist"`` (a registered pretrained model): its weights, from the copy bundled in the
      package, else the Hugging Face Hub (sha256-checked).
    * ``"hf-hub:owner/repo"``: any repo that ``ganzoo push`` made (``revision`` pins a commit,
      branch or tag).
    * ``"local-dir:PATH"`` or a training run directory: the same layout on disk.
    * an architecture name with ``pretrained=False``: an untrained model (``data=`` picks the data).

    Each source has one resolver in ``ganzoo.loading``; the model comes back in eval mode.
    """
    return loading.load(name, pretrained=pretrained, device=device, revision=revision, **overrides)
