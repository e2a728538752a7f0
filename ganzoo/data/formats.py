"""Readers of the standard data sets' published on-disk formats, into numpy uint8 ``(N, C, H, W)``.

Each reader parses the files exactly as torchvision's dataset class does (same files, same keys,
same layout transforms) but without torchvision's md5 gate, which refuses any file that is not
byte-identical to the published one. `ganzoo.data.standard` lets torchvision download and verify
the files when asked to (``download=True``) and reads whatever is on disk with these functions;
a file that is present but not in the expected format is a `DataError` naming it. Torch-free.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ganzoo.errors import DataError

CELEBA_SPLITS = {"train": 0, "valid": 1, "test": 2}
"""The split codes of CelebA's ``list_eval_partition.txt``."""


def _limited(n: int, limit: int | None) -> int:
    return n if limit is None else min(n, limit)


def read_cifar(
    files: list[Path], label_key: str, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10/100 python-version batches: images ``(N, 3, 32, 32)`` and labels ``(N,)``.

    Args:
        files: The pickled batches in order (``data_batch_1`` ... or ``train``).
        label_key: ``labels`` (CIFAR-10), ``fine_labels`` or ``coarse_labels`` (CIFAR-100).
        limit: Stop after this many images.

    Returns:
        uint8 images and int64 labels.
    """
    xs, ys, n = [], [], 0
    for path in files:
        if limit is not None and n >= limit:
            break
        try:
            with open(path, "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
            labels = np.asarray(entry[label_key], dtype=np.int64)
        except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as e:
            raise DataError(
                f"{path} is not a CIFAR python batch ({type(e).__name__}: {e})"
            ) from None
        if len(labels) != len(data):
            raise DataError(f"{path}: {len(data)} images but {len(labels)} labels")
        xs.append(data)
        ys.append(labels)
        n += len(data)
    x, y = np.concatenate(xs), np.concatenate(ys)
    k = _limited(len(x), limit)
    return x[:k], y[:k]


def read_svhn(path: Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """An SVHN ``*_32x32.mat`` file: images ``(N, 3, 32, 32)``, labels 0-9 (its 10 means 0).

    Args:
        path: ``train_32x32.mat``, ``test_32x32.mat`` or ``extra_32x32.mat``.
        limit: Keep only the first this many images.

    Returns:
        uint8 images and int64 labels.
    """
    try:
        import scipy.io
    except ImportError:
        raise DataError(
            "reading SVHN needs scipy: pip install 'torch-ganzoo[datasets]' (or pip install scipy)"
        ) from None
    try:
        mat = scipy.io.loadmat(str(path))
        x, y = mat["X"], mat["y"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataError(f"{path} is not an SVHN .mat file ({type(err).__name__}: {err})") from None
    if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or y.size != x.shape[3]:
        raise DataError(f"{path}: X has shape {x.shape}, y {y.shape}; expected (32, 32, 3, N), N")
    k = _limited(x.shape[3], limit)
    images = np.ascontiguousarray(np.transpose(x[..., :k], (3, 2, 0, 1)), dtype=np.uint8)
    labels = y.reshape(-1)[:k].astype(np.int64)
    labels[labels == 10] = 0
    return images, labels


def read_stl10(
    folder: Path, part: str, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One part of STL-10's binary release: images ``(N, 3, 96, 96)``, labels 0-9 or None.

    Args:
        folder: The ``stl10_binary`` folder.
        part: ``train``, ``test`` or ``unlabeled`` (which has no labels).
        limit: Read only the first this many images.

    Returns:
        uint8 images and int64 labels (None for ``unlabeled``).
    """
    size = 3 * 96 * 96
    path = folder / f"{part}_X.bin"
    count = -1 if limit is None else limit * size
    try:
        raw = np.fromfile(path, dtype=np.uint8, count=count)
    except OSError as err:
        raise DataError(f"could not read {path}: {err}") from None
    if raw.size == 0 or raw.size % size:
        raise DataError(f"{path}: {raw.size} bytes is not a whole number of 3x96x96 images")
    images = np.ascontiguousarray(raw.reshape(-1, 3, 96, 96).transpose(0, 1, 3, 2))  # column-major
    if part == "unlabeled":
        return images, None
    label_path = folder / f"{part}_y.bin"
    try:
        labels = np.fromfile(label_path, dtype=np.uint8, count=len(images)).astype(np.int64) - 1
    except OSError as err:
        raise DataError(f"could not read {label_path}: {err}") from None
    if len(labels) != len(images) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{label_path}: expected {len(images)} labels in 1..10")
    return images, labels


def celeba_names(folder: Path, split: str) -> list[str]:
    """The image names of a CelebA split, in the order of ``list_eval_partition.txt``.

    Args:
        folder: The ``celeba`` folder holding ``img_align_celeba/`` and the partition file.
        split: ``train``, ``valid``, ``test`` or ``all``. For ``all`` the partition file may be
            missing: the names are then the ``.jpg`` files of ``img_align_celeba`` in sorted
            order (the same order).

    Returns:
        File names inside ``img_align_celeba`` (strings: 200,000 paths are slow to make).
    """
    partition = folder / "list_eval_partition.txt"
    if not partition.is_file():
        if split != "all":
            raise DataError(
                f"CelebA split {split!r} needs {partition} (from the CelebA release; "
                "download=True (--download) fetches it); split='all' reads every image without it"
            )
        return sorted(n for n in os.listdir(folder / "img_align_celeba") if n.endswith(".jpg"))
    names = []
    for number, line in enumerate(partition.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DataError(f"{partition}:{number}: expected 'NAME.jpg 0|1|2', got {line!r}")
        if split == "all" or int(fields[1]) == CELEBA_SPLITS[split]:
            names.append(fields[0])
    return names


def lsun_records(path: Path, limit: int | None = None) -> tuple[int, Iterator[bytes]]:
    """The encoded images of one LSUN LMDB database (``{category}_{split}_lmdb``).

    Args:
        path: The LMDB folder (holding ``data.mdb``).
        limit: Yield only the first this many records.

    Returns:
        The number of records that will be yielded and an iterator over their bytes (key order,
        as torchvision reads them).
    """
    try:
        import lmdb
    except ImportError:
        raise DataError(
            "reading LSUN needs lmdb: pip install 'torch-ganzoo[datasets]' (or pip install lmdb)"
        ) from None
    try:
        env = lmdb.open(str(path), readonly=True, lock=False, readahead=False, meminit=False)
    except lmdb.Error as err:
        raise DataError(f"{path} is not an LMDB database ({err})") from None
    n = _limited(env.stat()["entries"], limit)

    def records() -> Iterator[bytes]:
        with env.begin(write=False) as txn:
            for i, (_, value) in enumerate(txn.cursor()):
                if i >= n:
                    break
                yield bytes(value)
        env.close()

    return n, records()
