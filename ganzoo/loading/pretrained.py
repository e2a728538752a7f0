"""Resolver for a registered pretrained model: pinned weight files, bundled copy first, else the Hub.

A ``ModelSpec`` names its architecture, config and data set, and pins each weight file by sha256
and size. Each file comes from the copy bundled inside the installed package when there is one
(no network), else from the Hub through the ``huggingface_hub`` cache; either way it must match
its pin before it is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.building import build_architecture
from ganzoo.errors import WeightsError
from ganzoo.hub_client import download
from ganzoo.loading.architecture import require_architecture
from ganzoo.specs import ModelSpec, WeightFile

if TYPE_CHECKING:
    from ganzoo.gan import GANModel

ROLES = ("generator", "ema_generator", "discriminator")
"""Weight file roles, in loading order; ``ema_generator`` supplies the generator's weights."""


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


def load_pretrained(spec: ModelSpec, revision: str | None = None) -> GANModel:
    """Load a registered pretrained model: its bundled copy if there is one, else the Hub.

    Every file is checked against the sha256 and size its spec pins. An ``ema_generator`` file,
    when listed, supplies the generator's weights. A model without a discriminator file comes
    back without a discriminator (never an untrained one).

    Args:
        spec: The model entry.
        revision: Overrides the spec's revision for downloads (the content must still match the
            pin).

    Returns:
        The model in eval mode, with ``model.pretrained`` set to ``spec``.

    Raises:
        WeightsError: no generator file is listed, or a file does not match its pin or the
            architecture.
        HubError: a file has no bundled copy and cannot be downloaded.
        PluginError: no installed plugin registers the model's architecture.
    """
    from ganzoo.weights import load_module_file  # imports torch: only when loading

    roles = {wf.role: wf for wf in spec.weights}
    if "generator" not in roles and "ema_generator" not in roles:
        raise WeightsError(f"model {spec.name!r} lists no generator weights")
    arch = require_architecture(spec.architecture, f"model {spec.name!r}")
    model = build_architecture(arch, data=spec.dataset, **spec.config)
    targets = {"generator": model.generator, "ema_generator": model.generator}
    if model.discriminator is not None:
        targets["discriminator"] = model.discriminator
    for role in ROLES:
        wf = roles.get(role)
        if wf is None or role not in targets:
            continue
        path = weight_file_path(wf, revision)
        verify_weight_file(path, wf, spec.name)
        load_module_file(targets[role], path)
    if "discriminator" not in roles:
        model.discriminator = None  # never hand out an untrained D as part of a pretrained model
    model.pretrained = spec
    return model.eval()
