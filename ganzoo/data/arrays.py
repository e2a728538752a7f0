"""Array files: images or points in one ``.npy``, ``.npz`` or ``.safetensors`` file.

A ``.npy`` file is memory-mapped, so a uint8 image array in channels-first layout is trained on
without being read into memory first. The arrays go through `ganzoo.data.objects.as_data`,
which applies the layout and range rules documented there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.data.configs import ArrayFileConfig
from ganzoo.data.objects import as_data
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec

SUFFIXES = (".npy", ".npz", ".safetensors")
"""The file types an array-file data set reads."""

_SAMPLE_KEYS = ("x", "images", "data", "points")
_LABEL_KEYS = ("y", "labels")


def _read_named(path: Path) -> dict[str, Any]:
    """The named arrays of an .npz or .safetensors file (numpy arrays, loaded lazily for npz)."""
    if path.suffix == ".npz":
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise DataError(f"{path} is not a readable .npz file ({err})") from None
        return {name: archive for name in archive.files}  # read on access
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return dict(load_file(str(path)))
    except (SafetensorError, OSError, ValueError) as err:
        raise DataError(f"{path} is not a readable .safetensors file ({err})") from None


def _pick(names: list[str], key: str | None, defaults: tuple[str, ...], path: Path) -> str | None:
    if key is not None:
        if key not in names:
            raise DataError(f"{path} has no array {key!r}; it holds {', '.join(names) or 'none'}")
        return key
    return next((k for k in defaults if k in names), None)


def read_arrays(config: ArrayFileConfig) -> tuple[Any, Any]:
    """The samples and labels (or None) of the file ``config`` names, as numpy arrays."""
    path = Path(config.path).expanduser()
    if not path.is_file():
        raise DataError(f"array file {path} does not exist")
    if path.suffix not in SUFFIXES:
        raise DataError(f"{path} is not an array file: give a {', '.join(SUFFIXES)} file")
    if path.suffix == ".npy":
        if config.key or config.labels_key:
            raise DataError(f"{path} holds one array: drop key/labels_key (or use an .npz file)")
        try:
            return np.load(path, mmap_mode="c", allow_pickle=False), None
        except (OSError, ValueError) as err:
            raise DataError(f"{path} is not a readable .npy file ({err})") from None
    named = _read_named(path)
    names = sorted(named)
    label_key = None if config.unlabelled else _pick(names, config.labels_key, _LABEL_KEYS, path)
    key = _pick(names, config.key, _SAMPLE_KEYS, path)
    if key is None:
        rest = [n for n in names if n != label_key and n not in _LABEL_KEYS]
        if len(rest) != 1:
            raise DataError(
                f"{path} holds arrays {', '.join(names) or '(none)'}: say which holds the samples "
                "with --set data_options.key=NAME"
            )
        key = rest[0]

    def get(name: str) -> Any:
        value = named[name]
        return value[name] if isinstance(value, np.lib.npyio.NpzFile) else value

    return get(key), (get(label_key) if label_key else None)


def build_array_file(config: ArrayFileConfig, spec: DatasetSpec) -> TensorData:
    """The data set stored in ``config.path``, sized from the arrays it holds."""
    x, y = read_arrays(config)
    if config.limit is not None:
        x = x[: config.limit]
        y = None if y is None else y[: config.limit]
    return as_data(x, labels=y, value_range=config.value_range, spec=spec)
