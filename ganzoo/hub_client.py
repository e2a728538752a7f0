"""The one module that calls the Hugging Face Hub: download a file, pull a repo, upload a folder.

Every call turns ``huggingface_hub``'s errors into a ``HubError`` that names the repo, revision and
file asked for and says how to fix it. ``huggingface_hub`` is imported inside the functions (it
reads ``HF_HOME``, ``HF_TOKEN``, ``HF_HUB_OFFLINE``, ``HF_ENDPOINT`` when imported, and ``ganzoo
list`` stays fast), so its cache and environment variables work as for any HF library. This
module knows nothing of models: loading (``ganzoo.loading``) and pushing (``ganzoo.hub``) sit on
top of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ganzoo.errors import GanzooError, HubError
from ganzoo.text import clean, preview

__all__ = ["check_repo_id", "download", "hub_errors", "is_commit_id", "pull", "upload_folder"]

_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?"
_REPO_ID = re.compile(rf"{_PART}/{_PART}")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_LOGIN = "log in with `hf auth login` (`huggingface-cli login` in older versions) or set HF_TOKEN"


@contextmanager
def hub_errors(
    repo_id: str, revision: str | None = None, filename: str | None = None
) -> Iterator[None]:
    """Turn ``huggingface_hub`` errors into a ``HubError`` naming what was asked and the fix.

    Args:
        repo_id: The repo the calls inside the block ask for.
        revision: The branch, tag or commit asked for (None: ``main``).
        filename: The file asked for, if one.

    Raises:
        HubError: for any error of the Hub client or the network inside the block.
    """
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
    except hf.HFValidationError as err:
        raise HubError(f"{what}: the Hub client refused it: {_first_line(err)}") from None
    except Exception as err:
        if isinstance(err, GanzooError) or not _is_transport_error(err):
            raise
        raise HubError(
            f"{what}: could not reach the Hub at {_endpoint()} ({type(err).__name__}: "
            f"{_first_line(err)}); check the network, HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to "
            "use the cache"
        ) from None


def _is_transport_error(err: BaseException) -> bool:
    """An error of the network (any HTTP client's: requests, httpx, httpcore) or the OS."""
    if isinstance(err, OSError | ConnectionError | TimeoutError):
        return True
    roots = {c.__module__.split(".")[0] for c in type(err).__mro__}
    return bool(roots & {"httpx", "httpx2", "httpcore", "requests", "urllib3"})


def _endpoint() -> str:
    import os

    return clean(os.environ.get("HF_ENDPOINT") or "https://huggingface.co", 100)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return clean(text.splitlines()[0], 300) if text else type(err).__name__


def check_repo_id(repo_id: str) -> None:
    """Raise ``HubError`` unless ``repo_id`` is ``owner/name`` as the Hub accepts it.

    Each part is 1-96 ASCII letters, digits, ``_``, ``-`` and ``.``, neither starting nor
    ending with ``-`` or ``.``; ``--`` and ``..`` are refused anywhere, and so is a name ending
    in ``.git`` (huggingface_hub's own rules, checked before it is imported).
    """
    text = repo_id if isinstance(repo_id, str) else ""
    problem = None
    if not _REPO_ID.fullmatch(text):
        problem = (
            "use 'owner/name', each of 1-96 ASCII letters, digits, '_', '-' or '.', "
            "neither starting nor ending with '-' or '.'"
        )
    elif "--" in text or ".." in text:
        problem = "'--' and '..' are not allowed in a repo id"
    elif text.endswith(".git"):
        problem = "a repo id cannot end in '.git'"
    if problem:
        raise HubError(f"{preview(repo_id, 100)} is not a Hub repo id: {problem}")


def is_commit_id(text: str) -> bool:
    """Whether ``text`` is a full 40-hex-digit commit id (as snapshot folders are named)."""
    return bool(_COMMIT.match(text))


def download(repo_id: str, filename: str, revision: str | None = None) -> Path:
    """One file of a repo, through the Hugging Face cache (``hf_hub_download``).

    Args:
        repo_id: ``owner/name``.
        filename: The file's path in the repo.
        revision: A branch, tag or commit id (None: ``main``).

    Returns:
        The cached file's path (inside a snapshot folder named by its commit id).
    """
    from huggingface_hub import hf_hub_download

    check_repo_id(repo_id)
    with hub_errors(repo_id, revision, filename):
        return Path(hf_hub_download(repo_id, filename, revision=revision))


def pull(repo_id: str, revision: str | None = None) -> Path:
    """Download a whole repo into the Hugging Face cache (``snapshot_download``); return its folder.

    Args:
        repo_id: ``owner/name``.
        revision: A branch, tag or commit id (None: ``main``).

    Returns:
        The snapshot folder, named by the commit id it holds.
    """
    from huggingface_hub import snapshot_download

    check_repo_id(repo_id)
    with hub_errors(repo_id, revision):
        return Path(snapshot_download(repo_id, revision=revision))


def upload_folder(
    folder: Path,
    repo_id: str,
    *,
    message: str,
    private: bool = False,
    revision: str | None = None,
    token: str | None = None,
    replace: list[str] | None = None,
) -> Any:
    """Upload ``folder`` to ``repo_id`` in one commit, creating the repo and branch if needed.

    Args:
        folder: The files to upload.
        repo_id: ``owner/name``; created (``private`` applies then) if it does not exist.
        message: The commit message.
        private: Create the repo as private (no effect on an existing repo).
        revision: A branch to commit to, created from ``main`` if new (None: ``main``).
        token: A Hub token; None lets ``huggingface_hub`` find ``HF_TOKEN`` or the saved login.
        replace: Patterns of files in the repo that the commit deletes before adding the folder's.

    Returns:
        The ``huggingface_hub.CommitInfo`` (a string: the commit URL; ``.oid`` is the commit id).
    """
    from huggingface_hub import HfApi

    check_repo_id(repo_id)
    api = HfApi(token=token)
    with hub_errors(repo_id, revision):
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True, repo_type="model")
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            revision=revision,
            repo_type="model",
            commit_message=message,
            delete_patterns=replace,
        )
