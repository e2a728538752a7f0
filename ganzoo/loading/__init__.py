"""A ready model from a name: every source resolved in one place, one resolver per source.

| name | resolver |
| --- | --- |
| `hf-hub:owner/repo` | `hf_hub.load_from_hub` (`revision` pins a branch, tag or commit) |
| `local-dir:PATH` | `folder.load_local_dir` (a model folder or a training run directory) |
| a directory that is not a registry name | `run_dir.load_run_model` for a training run, else `folder.load_local_dir` |
| a registered pretrained model | `pretrained.load_pretrained` (bundled copy first, sha256- and size-checked, else the Hub) |
| a registered architecture | `ganzoo.building.build_architecture`, untrained (only with `pretrained=False`) |

Every resolver builds through ``ganzoo.building`` and loads weights strictly. Nothing here
imports the public façade (``ganzoo.api``), which calls ``load`` below. Torch is imported only
when a model is built or loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.building import build_architecture
from ganzoo.errors import ConfigError, WrongKindError
from ganzoo.hardware import check_device
from ganzoo.loading.folder import build_from_config, load_local_dir
from ganzoo.loading.hf_hub import load_from_hub
from ganzoo.loading.pretrained import load_pretrained
from ganzoo.loading.run_dir import load_run_model
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, ModelSpec
from ganzoo.text import preview
from ganzoo.training.rundir import is_run_dir

if TYPE_CHECKING:
    from ganzoo.gan import GANModel

__all__ = [
    "build_from_config",
    "load",
    "load_from_hub",
    "load_local_dir",
    "load_pretrained",
    "load_run_model",
]

HF_HUB = "hf-hub:"
LOCAL_DIR = "local-dir:"


def load(
    name: str,
    pretrained: bool = True,
    device: Any = None,
    revision: str | None = None,
    **overrides: Any,
) -> GANModel:
    """A ready model by name, from whichever source the name points at (see the module's table).

    Args:
        name: A registered model or architecture, ``hf-hub:owner/repo``, ``local-dir:PATH`` or
            the path of a model folder or training run directory.
        pretrained: For an architecture name this must be False (an untrained model).
        device: Move the model there (None: stay on the CPU).
        revision: For ``hf-hub:`` and registered models: the branch, tag or commit to download.
        overrides: For an untrained architecture: its options and ``data=``.

    Returns:
        The model in eval mode.

    Raises:
        ConfigError: ``name`` is not a non-empty string, or ``device`` is not a device this
            machine has.
        UnknownNameError: the name is not registered (suggesting close names).
        WrongKindError: the name is an architecture and ``pretrained`` is True, or an entry of a
            kind that is not a model.
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"load() takes a model name, hf-hub:owner/repo, local-dir:PATH or a folder, got "
            f"{preview(name, 60)} (for the current directory, pass '.')"
        )
    if name in (HF_HUB, LOCAL_DIR):
        raise ConfigError(f"{name!r} names no repo or folder: {name}... needs what follows")
    target = check_device(device) if device is not None else None  # before downloading anything
    if name.startswith(HF_HUB):
        model = load_from_hub(name.removeprefix(HF_HUB), revision=revision)
    elif name.startswith(LOCAL_DIR):
        model = load_local_dir(Path(name.removeprefix(LOCAL_DIR)))
    elif name not in get_registry() and Path(name).is_dir():
        path = Path(name)
        model = load_run_model(path) if is_run_dir(path) else load_local_dir(path)
    else:
        model = _load_entry(name, pretrained, revision, overrides)
    if target is not None:
        model.to(target)
    return model.eval()


def _load_entry(
    name: str, pretrained: bool, revision: str | None, overrides: dict[str, Any]
) -> GANModel:
    """A registered model's weights, or an untrained registered architecture."""
    registry = get_registry()
    spec = registry.get(name).spec
    if isinstance(spec, ModelSpec):
        return load_pretrained(spec, revision=revision)
    if not isinstance(spec, ArchitectureSpec):
        raise WrongKindError(f"{name!r} is a {spec.kind}; load() takes models and architectures")
    if pretrained:
        trained = [e.name for e in registry.list("model") if e.spec.architecture == name]  # type: ignore[union-attr]
        hint = f"pretrained models of it: {', '.join(trained)}" if trained else "none is pretrained"
        raise WrongKindError(
            f"{name!r} is an architecture ({hint}); load one of those by name, or pass "
            "pretrained=False for an untrained model"
        )
    return build_architecture(spec, **overrides)
