"""The public functions: list, inspect, build and load registry entries.

``list_entries`` and ``info`` never import torch; ``build`` and ``load`` import the entry's
builder (and so torch) only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.building import build_architecture, build_entry
from ganzoo.errors import WrongKindError
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, Spec

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def list_entries(kind: str | None = None, pattern: str | None = None) -> list[Spec]:
    """Specs of every registered entry of ``kind`` whose name matches ``pattern`` (``*``, ``?``).

    ``kind`` is one of ``architecture``, ``loss``, ``diagnostic``, ``dataset``, ``model`` (plurals
    work too) or None for all; results are naturally sorted.
    """
    return [e.spec for e in get_registry().list(kind, pattern)]


def info(name: str) -> dict[str, Any]:
    """Everything the registry knows of ``name``: its spec and the plugin that registered it."""
    entry = get_registry().get(name)
    return {"plugin": entry.plugin, **entry.spec.model_dump(mode="json")}


def build(name: str, /, **overrides: Any) -> Any:
    """Build an architecture, loss, diagnostic or data set from its spec.

    Overrides are validated against the entry's config model; a bad one raises
    :class:`~ganzoo.errors.ConfigError` naming the field. For an architecture, ``data=`` picks the
    data set (its shape and classes size the networks) and the result is an untrained
    :class:`~ganzoo.gan.GANModel`.
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
    """
    from ganzoo import hub

    if name.startswith("hf-hub:"):
        model = hub.load_from_hub(name.removeprefix("hf-hub:"), revision=revision)
    elif name.startswith("local-dir:"):
        model = hub.load_local_dir(Path(name.removeprefix("local-dir:")))
    elif name not in get_registry() and Path(name).is_dir():
        from ganzoo.training.rundir import is_run_dir, load_run_model

        path = Path(name)
        model = load_run_model(path) if is_run_dir(path) else hub.load_local_dir(path)
    else:
        spec = get_registry().get(name).spec
        if isinstance(spec, ArchitectureSpec):
            if pretrained:
                trained = [m.name for m in list_entries("model") if m.architecture == name]
                hint = (
                    f"pretrained models of it: {', '.join(trained)}"
                    if trained
                    else "none is pretrained"
                )
                raise WrongKindError(
                    f"{name!r} is an architecture ({hint}); load one of those by name, or pass "
                    "pretrained=False for an untrained model"
                )
            model = build_architecture(spec, **overrides)
        elif spec.kind == "model":
            model = hub.load_pretrained(spec, revision=revision)  # type: ignore[arg-type]
        else:
            raise WrongKindError(
                f"{name!r} is a {spec.kind}; load() takes models and architectures"
            )
    if device is not None:
        model.to(device)
    return model.eval()
