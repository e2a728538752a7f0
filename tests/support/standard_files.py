"""Tiny copies of the standard data sets, written in each one's published on-disk format.

Each writer puts ``n`` images of the data set's default split where the real release (or
torchvision's download) puts them under a data root, and returns what it wrote, so tests can
build the registered entries without downloading anything. ``WRITERS`` maps entry names to them.
"""

from __future__ import annotations

import io
import pickle
import struct
from collections.abc import Callable
from pathlib import Path

import lmdb  # the dev extra has it (the datasets extra reads LSUN with it)
import numpy as np
import scipy.io  # the dev extra has it (the datasets extra reads SVHN with it)
from PIL import Image

RNG = np.random.default_rng(0)


def images(n: int, c: int, side: int) -> np.ndarray:
    """Random uint8 images ``(n, c, side, side)``."""
    return RNG.integers(0, 256, size=(n, c, side, side), dtype=np.uint8)


def write_cifar_batch(path: Path, x: np.ndarray, labels: dict[str, list[int]]) -> None:
    """One pickled batch of the CIFAR python version (``data`` rows of 3072 bytes, CHW)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump({"data": x.reshape(len(x), -1), **labels}, f)


def write_cifar10(root: Path, n: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Five train batches of ``n // 5`` images and a test batch of 2 (labels 1, 2)."""
    xs, ys = [], []
    for i in range(1, 6):
        x, y = images(n // 5, 3, 32), RNG.integers(0, 10, n // 5)
        write_cifar_batch(root / "cifar-10-batches-py" / f"data_batch_{i}", x, {"labels": list(y)})
        xs.append(x)
        ys.append(y)
    test = images(2, 3, 32)
    write_cifar_batch(root / "cifar-10-batches-py" / "test_batch", test, {"labels": [1, 2]})
    return np.concatenate(xs), np.concatenate(ys)


def write_cifar100(root: Path, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """The ``train`` file with fine labels ``i % 100`` and coarse labels ``i % 20``."""
    x = images(n, 3, 32)
    fine = [(7 * i) % 100 for i in range(n)]
    labels = {"fine_labels": fine, "coarse_labels": [f % 20 for f in fine]}
    write_cifar_batch(root / "cifar-100-python" / "train", x, labels)
    return x, np.array(fine)


def write_idx(path: Path, array: np.ndarray) -> None:
    """A uint8 idx file (MNIST's format: big-endian magic 0x08NN, then the dimensions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_fashion_mnist(root: Path, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """All four idx files (torchvision wants them all); the test split holds 2 images (4, 2)."""
    raw = root / "FashionMNIST" / "raw"
    x, y = images(n, 1, 28)[:, 0], RNG.integers(0, 10, n)
    write_idx(raw / "train-images-idx3-ubyte", x)
    write_idx(raw / "train-labels-idx1-ubyte", y)
    write_idx(raw / "t10k-images-idx3-ubyte", images(2, 1, 28)[:, 0])
    write_idx(raw / "t10k-labels-idx1-ubyte", np.array([4, 2]))
    return x, y


def write_svhn(root: Path, n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """``svhn/train_32x32.mat`` as the release stores it: X (32, 32, 3, N), y (N, 1) in 1..10."""
    x, y = images(n, 3, 32), 10 - np.arange(n) % 10  # 10, 9, 8, ...: the release's 10 is a 0
    (root / "svhn").mkdir(parents=True, exist_ok=True)
    mat = {"X": x.transpose(2, 3, 1, 0), "y": y[:, None].astype(np.uint8)}
    scipy.io.savemat(root / "svhn" / "train_32x32.mat", mat)
    return x, y % 10


def write_stl10_part(root: Path, part: str, x: np.ndarray, y: np.ndarray | None) -> None:
    """``stl10_binary/{part}_X.bin`` (column-major images) and ``_y.bin`` (labels 1..10)."""
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    x.transpose(0, 1, 3, 2).tofile(folder / f"{part}_X.bin")
    if y is not None:
        (y + 1).astype(np.uint8).tofile(folder / f"{part}_y.bin")


def write_stl10(root: Path, n: int = 3) -> tuple[np.ndarray, None]:
    """The unlabeled part (the default split) with ``n`` images."""
    x = images(n, 3, 96)
    write_stl10_part(root, "unlabeled", x, None)
    return x, None


def framed(size: tuple[int, int], inner: int, centre: tuple, border: tuple) -> Image.Image:
    """An RGB image of ``border`` colour with a centred ``inner`` square of ``centre`` colour."""
    w, h = size
    im = Image.new("RGB", size, border)
    left, top = (w - inner) // 2, (h - inner) // 2
    im.paste(centre, (left, top, left + inner, top + inner))
    return im


def write_celeba(root: Path, n: int = 3) -> tuple[list[tuple], None]:
    """``n`` aligned 178x218 JPEGs and the partition file (the last image is the test split).

    Each face colour fills a centred 112 px square inside a blue frame: 2 px to spare around
    the 108 px crop, so a correct crop holds no blue.
    """
    folder = root / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    colours = [(200, 20 * i, 40) for i in range(n)]
    for i, colour in enumerate(colours):
        im = framed((178, 218), 112, colour, (0, 0, 255))
        im.save(folder / f"{i + 1:06d}.jpg", quality=100, subsampling=0)
    lines = [f"{i + 1:06d}.jpg {0 if i < n - 1 else 2}" for i in range(n)]
    (root / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    return colours, None


def write_lsun(root: Path, n: int = 3, category: str = "bedroom") -> tuple[list[tuple], None]:
    """An LMDB database of ``n`` lossless WebP images, 120x80 with grey side bands."""
    db = root / "lsun" / f"{category}_train_lmdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(db), map_size=2**24)
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0)] * (n // 4 + 1)
    with env.begin(write=True) as txn:
        for i, colour in enumerate(colours[:n]):
            buf = io.BytesIO()
            framed((120, 80), 80, colour, (128, 128, 128)).save(buf, "WEBP", lossless=True)
            txn.put(f"{i:04d}".encode(), buf.getvalue())
    env.close()
    return colours[:n], None


WRITERS: dict[str, Callable[[Path, int], object]] = {
    "cifar10": write_cifar10,
    "cifar100": write_cifar100,
    "fashion-mnist": write_fashion_mnist,
    "svhn": write_svhn,
    "celeba": write_celeba,
    "lsun": write_lsun,
    "stl10": write_stl10,
}
"""Entry name -> writer of ``n`` images of its default split under a data root."""
