"""Resolver for ``hf-hub:owner/repo``: a repo that ``ganzoo push`` made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.hub_client import check_repo_id, download, is_commit_id
from ganzoo.loading.architecture import require_architecture
from ganzoo.loading.folder import build_from_config
from ganzoo.model_folder import CONFIG_FILE, load_weights, read_folder_config

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def load_from_hub(repo_id: str, revision: str | None = None) -> GANModel:
    """Load a repo made by ``ganzoo push``.

    Files go through ``hf_hub_download`` and its cache; every file is fetched from the commit the
    ``config.json`` came from, so a push in between cannot mix two versions.

    Args:
        repo_id: ``owner/name``.
        revision: A branch, tag or commit id (None: ``main``).

    Returns:
        The model in eval mode.

    Raises:
        HubError: the repo, revision or a file cannot be had (naming which, and the fix).
        PluginError: no installed plugin registers the repo's architecture (naming the package).
        WeightsError: the files are not a ganzoo model or do not fit its architecture.
    """
    check_repo_id(repo_id)
    config_path = download(repo_id, CONFIG_FILE, revision)
    folder = config_path.parent
    pinned = folder.name if is_commit_id(folder.name) else revision
    config = read_folder_config(folder)
    where = f"hf-hub:{repo_id}" + (f"@{revision}" if revision else "")
    require_architecture(config["architecture"], where, config.get("architecture_plugin"))
    for filename in config["files"].values():
        download(repo_id, filename, pinned)
    model = build_from_config(config, where, weights_folder=folder)
    return load_weights(model, config, folder)
