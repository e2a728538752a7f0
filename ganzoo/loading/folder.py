"""Resolver for a model folder on disk (the layout of ``ganzoo.model_folder``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ganzoo.building import build_architecture
from ganzoo.errors import WeightsError, format_validation_error
from ganzoo.loading.architecture import require_architecture
from ganzoo.loading.preflight import check_weights_fit, meta_shapes
from ganzoo.loading.run_dir import load_run_model
from ganzoo.model_folder import is_model_folder, load_weights, read_folder_config
from ganzoo.specs import DatasetSpec

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def build_from_config(
    config: dict[str, Any], where: str, weights_folder: Path | None = None
) -> GANModel:
    """An untrained model of the architecture, options and data set a folder's config names.

    Args:
        config: A folder's ``config.json``, as ``read_folder_config`` returns it.
        where: The folder or repo it came from, for error messages.
        weights_folder: Where the weight files are: their headers must declare exactly the
            tensors of the model the config describes (checked on the meta device, before
            anything is allocated). None: no check.

    Returns:
        The built model, ready for ``load_weights``.

    Raises:
        PluginError: no installed plugin registers the architecture (naming the package).
    """
    spec = require_architecture(config["architecture"], where, config.get("architecture_plugin"))
    data: Any = config["dataset"]
    if config.get("dataset_spec") is not None:
        try:
            data = DatasetSpec.model_validate(config["dataset_spec"])
        except ValidationError as err:
            raise WeightsError(
                format_validation_error(err, f"dataset_spec in {where}'s config.json")
            ) from None
    options = config.get("config") or {}
    if weights_folder is not None:  # the files must hold what the config describes
        files = {role: weights_folder / name for role, name in config["files"].items() if name}
        check_weights_fit(meta_shapes(spec, data, options), files, where)
    return build_architecture(spec, data=data, **options)


def load_local_dir(folder: str | Path) -> GANModel:
    """Load a model folder or a ``ganzoo train`` run directory (one with ``checkpoints/``).

    Weights load strictly: missing or unexpected keys and wrong shapes raise ``WeightsError``
    naming them and the file. An architecture that no installed plugin registers raises
    ``PluginError`` naming the package to install. A run directory loads its latest checkpoint,
    with the EMA generator when the run kept one.

    Args:
        folder: The folder.

    Returns:
        The model in eval mode.

    Raises:
        WeightsError: the folder does not exist, is not a model folder, or its files are missing
            or do not fit.
        PluginError: the architecture is not installed.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WeightsError(f"model folder {folder} does not exist")
    if (folder / "checkpoints").is_dir() and not is_model_folder(folder):
        return load_run_model(folder)
    config = read_folder_config(folder)
    model = build_from_config(config, str(folder), weights_folder=folder)
    return load_weights(model, config, folder)
