"""The Hugging Face Hub from Python: push a model, pull a repo.

``push`` stages any model source (a model, a model folder, a training run directory or a
registered pretrained model's name) as a model folder and uploads it in one commit; ``pull``
downloads a repo into the Hugging Face cache. The Hub calls themselves, and the translation of
their errors, live in ``ganzoo.hub_client``; ``ganzoo.load("hf-hub:owner/repo")`` is resolved by
``ganzoo.loading``.

The folder format's functions and the loaders documented beside push and pull are re-exported
here, so ``hub.save_pretrained``, ``hub.load_local_dir``, ``hub.load_from_hub`` and
``hub.load_pretrained`` keep working.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import WeightsError
from ganzoo.hub_client import check_repo_id, hub_errors, pull, upload_folder
from ganzoo.loading import load, load_from_hub, load_local_dir, load_pretrained
from ganzoo.loading.pretrained import bundled_path, package_dir, verify_weight_file
from ganzoo.model_folder import (
    CARD_FILE,
    CONFIG_FILE,
    FORMAT,
    SAMPLES_FILE,
    WEIGHT_FILES,
    is_model_folder,
    read_folder_config,
    save_pretrained,
)
from ganzoo.registry import get_registry

if TYPE_CHECKING:
    from ganzoo.gan import GANModel

__all__ = [
    "CARD_FILE",
    "CONFIG_FILE",
    "FORMAT",
    "SAMPLES_FILE",
    "WEIGHT_FILES",
    "hub_errors",
    "load_from_hub",
    "load_local_dir",
    "load_pretrained",
    "package_dir",
    "pull",
    "push",
    "read_folder_config",
    "save_pretrained",
    "verify_weight_file",
]


def _staged_model(source: GANModel | str | Path) -> tuple[GANModel, dict[str, Any]]:
    """The model to push and the metrics/reproduce of the folder it came from (if any)."""
    from ganzoo.gan import GANModel  # imports torch: only when pushing

    if isinstance(source, GANModel):
        return source, {}
    path = Path(source)
    if path.is_dir():
        extra = {}
        if is_model_folder(path):
            cfg = read_folder_config(path)
            extra = {"metrics": cfg.get("metrics") or None, "reproduce": cfg.get("reproduce")}
        return load_local_dir(path), extra
    if str(source) in get_registry():
        return load(str(source)), {}
    raise WeightsError(
        f"nothing to push at {source!r}: pass a model folder, a training run directory or the "
        "name of a pretrained model (`ganzoo list models`)"
    )


def _keep_pinned_bytes(model: GANModel, folder: Path) -> None:
    """For a registered pretrained model, stage its pinned (bundled) sampling generator byte for byte.

    Re-saving the loaded fp32 model would upload other bytes than the sha256 the registry pins.
    The sampling generator is the ``ema_generator`` file when the model lists one; the other
    parts (``ganzoo.load(name, parts=...)``) live at their own paths of the repo, which a push
    neither writes nor deletes.
    """
    spec = model.pretrained
    if spec is None:
        return
    roles = {wf.role: wf for wf in spec.weights}
    sampler = roles.get("ema_generator") or roles.get("generator")
    src = bundled_path(sampler) if sampler is not None else None
    if src is not None:
        shutil.copyfile(src, folder / WEIGHT_FILES["generator"])


def push(
    source: GANModel | str | Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
    metrics: dict[str, float] | None = None,
    reproduce: str | None = None,
) -> str:
    """Push a model to the Hub in one commit and return the commit URL.

    ``source`` is a ``GANModel``, a model folder, a training run directory or a registered
    pretrained model's name. The repo is created if needed (``private`` applies then);
    ``revision`` names a branch, created from ``main`` if new. ``token=None`` lets
    ``huggingface_hub`` find ``HF_TOKEN`` or the saved login; the token is never printed. The
    returned string is a ``huggingface_hub.CommitInfo`` whose ``.oid`` is the commit id.

    Args:
        source: What to push.
        repo_id: ``owner/name``.
        private: Create the repo as private.
        revision: The branch to commit to.
        token: A Hub token with write access, or None.
        metrics: Metrics for ``config.json`` and the model card (default: the source folder's,
            or the pretrained entry's).
        reproduce: The command that reproduces the weights (default: as for ``metrics``).

    Returns:
        The commit URL.

    Raises:
        HubError: the Hub refused (naming the repo and the fix, e.g. a token with write access).
        WeightsError: ``source`` is none of the above.
    """
    check_repo_id(repo_id)
    model, extra = _staged_model(source)
    metrics = metrics if metrics is not None else extra.get("metrics")
    reproduce = reproduce if reproduce is not None else extra.get("reproduce")
    with tempfile.TemporaryDirectory(prefix="ganzoo-push-") as tmp:
        save_pretrained(model, tmp, metrics=metrics, reproduce=reproduce, repo_id=repo_id)
        _keep_pinned_bytes(model, Path(tmp))
        return upload_folder(
            Path(tmp),
            repo_id,
            message=f"ganzoo push: {model.arch.name} on {model.data.name}",
            private=private,
            revision=revision,
            token=token,
            replace=list(WEIGHT_FILES.values()),
        )
