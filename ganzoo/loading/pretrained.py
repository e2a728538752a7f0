"""Resolver for a registered pretrained model: pinned weight files, bundled copy first, else the Hub.

A ``ModelSpec`` names its architecture, config and data set, and pins each weight file by sha256
and size. Each file comes from the copy bundled inside the installed package when there is one
(no network), else from the Hub through the ``huggingface_hub`` cache; either way it must match
its pin before it is loaded. A file's ``role`` is the part it holds (`ganzoo.loading.parts`):
``generator`` (G as trained), ``ema_generator`` (G's EMA, which samples when listed) and
``discriminator``. A plain load reads only the sampling generator's file, which the zoo
bundles; the other parts (a discriminator, say) may live on the Hub only and are read when
``parts`` asks for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.building import build_architecture
from ganzoo.errors import HubError, WeightsError
from ganzoo.hub_client import download
from ganzoo.loading.architecture import require_architecture
from ganzoo.loading.parts import Parts, plan_parts
from ganzoo.specs import ModelSpec, WeightFile

if TYPE_CHECKING:
    from ganzoo.gan import GANModel

ROLES = ("generator", "ema_generator", "discriminator")
"""Weight file roles, in loading order; ``ema_generator``, when listed, is the one that samples."""


def package_dir() -> Path:
    """The installed ``ganzoo`` package folder, which ``WeightFile.bundled`` paths are relative to."""
    return Path(__file__).resolve().parent.parent


def bundled_path(wf: WeightFile) -> Path | None:
    """The bundled copy of ``wf`` inside the installed package, or None if it has none."""
    if not wf.bundled:
        return None
    path = package_dir() / wf.bundled
    return path if path.is_file() else None


def verify_weight_file(path: Path, wf: WeightFile, model: str) -> None:
    """Check ``path`` against the size and sha256 pinned in ``wf``.

    Args:
        path: The file to check (a bundled copy or a cached download).
        wf: Its pin.
        model: The model entry's name, for the message.

    Raises:
        WeightsError: on a mismatch, naming the file (and where a cache link points), both
            hashes and sizes, and what to delete.
    """
    from ganzoo.weights import sha256_file

    size = path.stat().st_size
    digest = sha256_file(path)
    if size == wf.size and digest == wf.sha256:
        return
    real = path.resolve()
    where = f"{path}" + (f" (-> {real})" if real != path else "")
    raise WeightsError(
        f"{wf.role} weights of model {model!r} at {where} do not match the pinned file "
        f"{wf.repo_id}/{wf.filename}: sha256 {digest} (size {size}), expected sha256 {wf.sha256} "
        f"(size {wf.size}). The file is corrupt or was changed: delete the cached file ({real}) "
        "and load again to download it afresh (a bundled copy: reinstall ganzoo)"
    )


def weight_file_path(wf: WeightFile, revision: str | None = None) -> Path:
    """A local copy of ``wf``: the bundled one, else a download (not yet verified).

    Args:
        wf: The pinned file.
        revision: Download from this revision instead of the pin's; any revision other than the
            pin's skips the bundled copy.

    Returns:
        The file's path.
    """
    use_bundled = revision is None or revision == wf.revision
    bundled = bundled_path(wf) if use_bundled else None
    return bundled or download(wf.repo_id, wf.filename, revision or wf.revision)


def fetch_weight_file(wf: WeightFile, model: str, revision: str | None = None) -> Path:
    """A verified local copy of ``wf``: bundled, else downloaded; checked against its pin.

    Args:
        wf: The pinned file.
        model: The model entry's name, for messages.
        revision: As for `weight_file_path`.

    Returns:
        The file's path.

    Raises:
        HubError: it has no bundled copy and cannot be downloaded (one line naming the part,
            the model, the repo and file, and how to get it).
        WeightsError: it does not match its pin.
    """
    try:
        path = weight_file_path(wf, revision)
    except HubError as err:
        raise HubError(
            f"the {wf.role} weights of model {model!r} are not bundled with ganzoo and come from "
            f"the Hub: {err} (once downloaded, `ganzoo.load({model!r}, parts={[wf.role]!r})` "
            "works offline from the cache)"
        ) from None
    verify_weight_file(path, wf, model)
    return path


def load_pretrained(spec: ModelSpec, revision: str | None = None, parts: Parts = None) -> GANModel:
    """Load a registered pretrained model: each file from its bundled copy if any, else the Hub.

    Every file is checked against the sha256 and size its spec pins before it is loaded.
    Without ``parts`` only the sampling generator is read (the ``ema_generator`` file when
    listed, else the ``generator`` file) and the model has no discriminator (never an
    untrained one). ``parts`` asks for more (`ganzoo.loading.parts`): the trained
    discriminator, the EMA generator, G as trained.

    Args:
        spec: The model entry.
        revision: Overrides the spec's revision for downloads (the content must still match the
            pin).
        parts: None, a part, several, or ``"all"`` (see `ganzoo.loading.parts`).

    Returns:
        The model in eval mode, with ``model.pretrained`` set to ``spec``.

    Raises:
        ConfigError: ``parts`` names something that is not a part.
        WeightsError: no generator file is listed, a part asked for is not published (listing
            those that are), or a file does not match its pin or the architecture.
        HubError: a file has no bundled copy and cannot be downloaded.
        PluginError: no installed plugin registers the model's architecture.
    """
    import copy

    from ganzoo.weights import load_module_file  # imports torch: only when loading

    roles = {wf.role: wf for wf in spec.weights}
    plan = plan_parts(parts, list(roles), f"model {spec.name!r}", default_discriminator=False)
    arch = require_architecture(spec.architecture, f"model {spec.name!r}")
    model = build_architecture(arch, data=spec.dataset_spec or spec.dataset, **spec.config)
    if plan.discriminator and model.discriminator is None:
        raise WeightsError(
            f"model {spec.name!r} lists discriminator weights, but architecture "
            f"{arch.name!r} builds no discriminator"
        )
    # every file is fetched and checked before anything is loaded
    paths = {role: fetch_weight_file(roles[role], spec.name, revision) for role in plan.roles}
    load_module_file(model.generator, paths[plan.generator])
    if plan.ema_generator:
        ema = copy.deepcopy(model.generator)
        if plan.generator != "ema_generator":
            load_module_file(ema, paths["ema_generator"])
        model.ema_generator = ema
    if plan.discriminator:
        load_module_file(model.discriminator, paths["discriminator"])  # type: ignore[arg-type]
    else:
        model.discriminator = None  # never hand out an untrained D as part of a pretrained model
    model.pretrained = spec
    return model.eval()
