"""Save, load, push and pull models: one folder layout on disk and on the Hugging Face Hub.

A model folder holds ``config.json`` (format, ganzoo version, architecture and the plugin that
provides it, the architecture config, the data set, metrics, the reproduce command and the weight
file names), ``generator.safetensors``, ``discriminator.safetensors`` (optional), a ``README.md``
model card and ``samples.png``. Weights are safetensors and loaded strictly; nothing is pickled.

The Hub is reached through ``huggingface_hub`` (imported inside the functions), so ``HF_HOME``,
``HF_TOKEN``, ``HF_HUB_OFFLINE``, ``HF_ENDPOINT`` and its cache work as they do for any HF library.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError, HubError, WeightsError
from ganzoo.model_folder import (
    CARD_FILE,
    CONFIG_FILE,
    FORMAT,
    SAMPLES_FILE,
    WEIGHT_FILES,
    architecture_spec,
    build_from_config,
    is_model_folder,
    load_local_dir,
    load_weights,
    read_folder_config,
    save_pretrained,
)
from ganzoo.specs import ModelSpec, WeightFile

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

_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_LOGIN = "log in with `hf auth login` (`huggingface-cli login` in older versions) or set HF_TOKEN"


# --------------------------------------------------------------------------- Hub errors
@contextmanager
def hub_errors(
    repo_id: str, revision: str | None = None, filename: str | None = None
) -> Iterator[None]:
    """Turn ``huggingface_hub`` errors into :class:`HubError` naming what was asked and the fix."""
    from huggingface_hub import errors as hf

    rev = revision or "main"
    what = f"repo {repo_id!r} (revision {rev!r}" + (f", file {filename!r})" if filename else ")")
    try:
        yield
    except hf.GatedRepoError:
        raise HubError(
            f"{what} is gated: accept its conditions on its Hub page, then {_LOGIN}"
        ) from None
    except hf.RepositoryNotFoundError as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status == 401:
            raise HubError(
                f"{what}: the Hub refused access without valid credentials. The repo is private "
                f"or does not exist: check the name, and {_LOGIN} with a token that can read it"
            ) from None
        raise HubError(
            f"{what}: repository not found. Check the name (owner/name); "
            f"for a private repo, {_LOGIN}"
        ) from None
    except hf.RevisionNotFoundError:
        raise HubError(
            f"{what}: revision {rev!r} not found; check the branch, tag or commit id"
        ) from None
    except hf.LocalEntryNotFoundError:
        raise HubError(
            f"{what}: not in the local cache, and the Hub cannot be reached (offline mode, "
            "HF_HUB_OFFLINE=1, or no network). Download it once while online, or unset HF_HUB_OFFLINE"
        ) from None
    except hf.EntryNotFoundError:
        raise HubError(
            f"{what}: file not found in the repo. Is it a ganzoo repo (made by `ganzoo push`)? "
            "Check the revision too"
        ) from None
    except hf.OfflineModeIsEnabled:
        raise HubError(
            f"{what}: HF_HUB_OFFLINE=1 forbids calls to the Hub; unset it to download or push"
        ) from None
    except hf.HfHubHTTPError as err:
        status = getattr(getattr(err, "response", None), "status_code", None)
        fix = f"; {_LOGIN} with a token that has write access" if status in (401, 403) else ""
        raise HubError(f"{what}: the Hub answered {status}: {_first_line(err)}{fix}") from None
    except (OSError, ConnectionError) as err:
        if isinstance(err, GanzooError):
            raise
        raise HubError(
            f"{what}: could not reach the Hub ({type(err).__name__}: {_first_line(err)})"
        ) from None


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _check_repo_id(repo_id: str) -> None:
    if not _REPO_ID.match(repo_id):
        raise HubError(f"{repo_id!r} is not a Hub repo id: use 'owner/name'")


def _download(repo_id: str, filename: str, revision: str | None) -> Path:
    from huggingface_hub import hf_hub_download

    with hub_errors(repo_id, revision, filename):
        return Path(hf_hub_download(repo_id, filename, revision=revision))


# --------------------------------------------------------------------------- Hub: load, pull, push
def load_from_hub(repo_id: str, revision: str | None = None) -> GANModel:
    """Load a repo made by ``ganzoo push`` (``revision``: a branch, tag or commit id).

    Files go through ``hf_hub_download`` and its cache; every file is fetched from the commit the
    ``config.json`` came from, so a push in between cannot mix two versions.
    """
    _check_repo_id(repo_id)
    config_path = _download(repo_id, CONFIG_FILE, revision)
    folder = config_path.parent
    pinned = folder.name if _COMMIT.match(folder.name) else revision
    config = read_folder_config(folder)
    where = f"hf-hub:{repo_id}" + (f"@{revision}" if revision else "")
    model = build_from_config(config, where)
    for filename in config["files"].values():
        _download(repo_id, filename, pinned)
    return load_weights(model, config, folder)


def pull(repo_id: str, revision: str | None = None) -> Path:
    """Download a whole repo into the Hugging Face cache (``snapshot_download``); return its folder."""
    from huggingface_hub import snapshot_download

    _check_repo_id(repo_id)
    with hub_errors(repo_id, revision):
        return Path(snapshot_download(repo_id, revision=revision))


def _staged_model(source: GANModel | str | Path) -> tuple[GANModel, dict[str, Any]]:
    """The model to push and the metrics/reproduce of the folder it came from (if any)."""
    from ganzoo.gan import GANModel
    from ganzoo.registry import get_registry

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
        from ganzoo.api import load

        return load(str(source)), {}
    raise WeightsError(
        f"nothing to push at {source!r}: pass a model folder, a training run directory or the "
        "name of a pretrained model (`ganzoo list models`)"
    )


def _keep_pinned_bytes(model: GANModel, folder: Path) -> None:
    """For a registered pretrained model, stage its pinned (bundled) weight files byte for byte.

    Re-saving the loaded fp32 model would upload other bytes than the sha256 the registry pins.
    """
    import shutil

    spec = model.pretrained
    if spec is None:
        return
    for wf in spec.weights:
        src = _bundled_path(wf)
        if src is not None and wf.role in WEIGHT_FILES:
            shutil.copyfile(src, folder / WEIGHT_FILES[wf.role])


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

    ``source`` is a :class:`~ganzoo.gan.GANModel`, a model folder, a training run directory or a
    registered pretrained model's name. The repo is created if needed (``private`` applies then);
    ``revision`` names a branch, created from ``main`` if new. ``token=None`` lets
    ``huggingface_hub`` find ``HF_TOKEN`` or the saved login; the token is never printed. The
    returned string is a ``huggingface_hub.CommitInfo`` whose ``.oid`` is the commit id.
    """
    from huggingface_hub import HfApi

    _check_repo_id(repo_id)
    model, extra = _staged_model(source)
    metrics = metrics if metrics is not None else extra.get("metrics")
    reproduce = reproduce if reproduce is not None else extra.get("reproduce")
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="ganzoo-push-") as tmp:
        save_pretrained(model, tmp, metrics=metrics, reproduce=reproduce, repo_id=repo_id)
        _keep_pinned_bytes(model, Path(tmp))
        with hub_errors(repo_id, revision):
            api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
            if revision and revision != "main":
                api.create_branch(repo_id, branch=revision, exist_ok=True, repo_type="model")
            info = api.upload_folder(
                repo_id=repo_id,
                folder_path=tmp,
                revision=revision,
                repo_type="model",
                commit_message=f"ganzoo push: {model.arch.name} on {model.data.name}",
                delete_patterns=list(WEIGHT_FILES.values()),
            )
    return info


# --------------------------------------------------------------------------- pretrained entries
def package_dir() -> Path:
    """The installed ``ganzoo`` package folder, which ``WeightFile.bundled`` paths are relative to."""
    import ganzoo

    return Path(ganzoo.__file__).resolve().parent


def _bundled_path(wf: WeightFile) -> Path | None:
    if not wf.bundled:
        return None
    path = package_dir() / wf.bundled
    return path if path.is_file() else None


def verify_weight_file(path: Path, wf: WeightFile, model: str) -> None:
    """Check ``path`` against the size and sha256 pinned in ``wf``; a mismatch names both hashes."""
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


def load_pretrained(spec: ModelSpec, revision: str | None = None) -> GANModel:
    """Load a registered pretrained model: its bundled copy if there is one, else the Hub.

    Every file is checked against the sha256 and size its spec pins. ``revision`` overrides the
    spec's revision for downloads (the content must still match the pin). An ``ema_generator``
    file, when listed, supplies the generator's weights.
    """
    from ganzoo.building import build_architecture
    from ganzoo.weights import load_module, read_tensors

    roles = {wf.role: wf for wf in spec.weights}
    if "generator" not in roles and "ema_generator" not in roles:
        raise WeightsError(f"model {spec.name!r} lists no generator weights")
    config = {"architecture": spec.architecture, "architecture_plugin": {}}
    arch = architecture_spec(config, f"model {spec.name!r}")
    model = build_architecture(arch, data=spec.dataset, **spec.config)
    targets = {"generator": model.generator, "ema_generator": model.generator}
    if model.discriminator is not None:
        targets["discriminator"] = model.discriminator
    for role in ("generator", "ema_generator", "discriminator"):
        wf = roles.get(role)
        if wf is None or role not in targets:
            continue
        use_bundled = revision is None or revision == wf.revision
        path = (_bundled_path(wf) if use_bundled else None) or _download(
            wf.repo_id, wf.filename, revision or wf.revision
        )
        verify_weight_file(path, wf, spec.name)
        load_module(targets[role], read_tensors(path), str(path))
    if "discriminator" not in roles:
        model.discriminator = None  # never hand out an untrained D as part of a pretrained model
    model.pretrained = spec
    return model.eval()
