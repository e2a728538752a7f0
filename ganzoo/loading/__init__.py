"""A ready model from a name: every source resolved in one place, one resolver per source.

| name | resolver |
| --- | --- |
| `hf-hub:owner/repo` | `hf_hub.load_from_hub` (`revision` pins a branch, tag or commit) |
| `local-dir:PATH` | `folder.load_local_dir` (a model folder or a training run directory) |
| a directory that is not a registry name | `run_dir.load_run_model` for a training run, else `folder.load_local_dir` |
| a registered pretrained model | `pretrained.load_pretrained` (bundled copy first, sha256- and size-checked, else the Hub) |
| a registered architecture | `ganzoo.building.build_architecture`, untrained (only with `pretrained=False`) |

``parts=`` picks which networks come back (`ganzoo.loading.parts`: G as trained, its EMA, D);
`start_model` loads what fine-tuning starts from (every part, a discriminator required). Every
resolver builds through ``ganzoo.building`` and loads weights strictly. Nothing here
imports the public façade (``ganzoo.api``), which calls ``load`` below. Torch is imported only
when a model is built or loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.building import build_architecture
from ganzoo.errors import ConfigError, WeightsError, WrongKindError
from ganzoo.hardware import check_device
from ganzoo.loading.folder import build_from_config, load_local_dir
from ganzoo.loading.hf_hub import load_from_hub
from ganzoo.loading.parts import Parts, parse_parts, plan_parts
from ganzoo.loading.pretrained import load_pretrained
from ganzoo.loading.run_dir import load_run_model
from ganzoo.model_folder import is_model_folder
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
    "start_model",
]

HF_HUB = "hf-hub:"
LOCAL_DIR = "local-dir:"


def load(
    name: str,
    pretrained: bool = True,
    device: Any = None,
    revision: str | None = None,
    parts: Parts = None,
    **overrides: Any,
) -> GANModel:
    """A ready model by name, from whichever source the name points at (see the module's table).

    Args:
        name: A registered model or architecture, ``hf-hub:owner/repo``, ``local-dir:PATH`` or
            the path of a model folder or training run directory.
        pretrained: For an architecture name this must be False (an untrained model).
        device: Move the model there (None: stay on the CPU).
        revision: For ``hf-hub:`` and registered models: the branch, tag or commit to download.
        parts: Which networks to load besides the sampling generator: ``"discriminator"``,
            ``"ema_generator"``, ``"generator"`` (G as trained), several of them, or ``"all"``
            (`ganzoo.loading.parts`). None: what each source gives by default.
        overrides: For an untrained architecture: its options and ``data=``.

    Returns:
        The model in eval mode.

    Raises:
        ConfigError: ``name`` is not a non-empty string, ``device`` is not a device this
            machine has, or ``parts`` names something that is not a part.
        UnknownNameError: the name is not registered (suggesting close names).
        WrongKindError: the name is an architecture and ``pretrained`` is True, or an entry of a
            kind that is not a model.
        WeightsError: the source does not publish a part asked for (listing those it does).
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"load() takes a model name, hf-hub:owner/repo, local-dir:PATH or a folder, got "
            f"{preview(name, 60)} (for the current directory, pass '.')"
        )
    if name in (HF_HUB, LOCAL_DIR):
        raise ConfigError(f"{name!r} names no repo or folder: {name}... needs what follows")
    parse_parts(parts)  # a bad part name fails before anything is downloaded
    target = check_device(device) if device is not None else None  # before downloading anything
    if name.startswith(HF_HUB):
        model = _folder_parts(
            load_from_hub(name.removeprefix(HF_HUB), revision=revision), parts, name
        )
    elif name.startswith(LOCAL_DIR):
        path = Path(name.removeprefix(LOCAL_DIR))
        if is_run_dir(path) and not is_model_folder(path):  # as load_local_dir tells them apart
            model = _run_parts(path, parts)
        else:
            model = _folder_parts(load_local_dir(path), parts, str(path))
    elif name not in get_registry() and Path(name).is_dir():
        path = Path(name)
        if is_run_dir(path):
            model = _run_parts(path, parts)
        else:
            model = _folder_parts(load_local_dir(path), parts, str(path))
    else:
        model = _load_entry(name, pretrained, revision, parts, overrides)
    if target is not None:
        model.to(target)
    return model.eval()


def start_model(name: str, revision: str | None = None) -> GANModel:
    """What fine-tuning starts from: every part ``name`` publishes, a discriminator among them.

    ``ganzoo train --init NAME`` and ``ganzoo.train(..., init=NAME)`` pass this to
    ``Trainer.create(config, init=...)``.

    Args:
        name: Anything `load` takes that holds trained weights (a registered model,
            ``hf-hub:owner/repo``, ``local-dir:PATH``, a run directory).
        revision: For ``hf-hub:`` and registered models: the revision to download.

    Returns:
        The model, its ``discriminator`` set and ``ema_generator`` set when published.

    Raises:
        WeightsError: the source publishes no discriminator (naming the parts it has).
    """
    model = load(name, revision=revision, parts="all")
    if model.discriminator is None:
        has = ["generator", *(["ema_generator"] if model.ema_generator is not None else [])]
        raise WeightsError(
            f"{name} publishes no discriminator weights (the parts it has: {', '.join(has)}), so "
            "training cannot start from it; start from a model that publishes one"
        )
    return model


def _folder_parts(model: GANModel, parts: Parts, where: str) -> GANModel:
    """A model folder's or Hub repo's model with the ``parts`` asked for (its G, its D if any)."""
    if parts is None:
        return model
    available = ["generator", *(["discriminator"] if model.discriminator is not None else [])]
    if not plan_parts(parts, available, where, default_discriminator=True).discriminator:
        model.discriminator = None
    return model


def _run_parts(run_dir: Path, parts: Parts) -> GANModel:
    """A run directory's latest checkpoint with the ``parts`` asked for."""
    import copy

    from ganzoo.training.rundir import checkpoint_weight_files
    from ganzoo.weights import load_module_file

    if parts is None:
        return load_run_model(run_dir)
    files = checkpoint_weight_files(run_dir, use_ema=True)
    raw = checkpoint_weight_files(run_dir, use_ema=False)["generator"]
    available = ["generator"]
    if files["generator"] != raw:
        available.append("ema_generator")
    if "discriminator" in files:
        available.append("discriminator")
    plan = plan_parts(parts, available, str(run_dir), default_discriminator=True)
    model = load_run_model(run_dir, use_ema=plan.generator == "ema_generator")
    if plan.ema_generator:
        ema = copy.deepcopy(model.generator)
        load_module_file(ema, files["generator"])
        model.ema_generator = ema.eval()
    if not plan.discriminator:
        model.discriminator = None
    return model


def _load_entry(
    name: str, pretrained: bool, revision: str | None, parts: Parts, overrides: dict[str, Any]
) -> GANModel:
    """A registered model's weights, or an untrained registered architecture."""
    registry = get_registry()
    spec = registry.get(name).spec
    if isinstance(spec, ModelSpec):
        return load_pretrained(spec, revision=revision, parts=parts)
    if not isinstance(spec, ArchitectureSpec):
        raise WrongKindError(f"{name!r} is a {spec.kind}; load() takes models and architectures")
    if pretrained:
        trained = [e.name for e in registry.list("model") if e.spec.architecture == name]  # type: ignore[union-attr]
        hint = f"pretrained models of it: {', '.join(trained)}" if trained else "none is pretrained"
        raise WrongKindError(
            f"{name!r} is an architecture ({hint}); load one of those by name, or pass "
            "pretrained=False for an untrained model"
        )
    if parts is not None:
        raise ConfigError(
            f"parts= picks trained networks to load; {name!r} with pretrained=False is untrained "
            "(its G and D are both built)"
        )
    return build_architecture(spec, **overrides)
