"""Standard image data sets by name: CIFAR-10/100, Fashion-MNIST, SVHN, CelebA, LSUN, STL-10.

Each builder returns the data set as one uint8 ``(N, C, H, W)`` tensor (`TensorData`) at the
data set's usual GAN resolution (the ``resolution`` option), read from a folder under the data
root (``root``, else ``$GANZOO_DATA``, as MNIST).

Downloading and reading are two steps:

* ``download=True`` hands the download to torchvision's dataset class, which fetches the
  published archive, checks its md5 and unpacks it (and re-verifies every file's md5).
  Without it nothing is fetched: a missing data set is one `DataError` line naming the files
  expected and where, and how to get them.
* Reading parses the files on disk with `ganzoo.data.formats`, which follows torchvision's own
  parsing (same files, keys and layout) but has no md5 gate. torchvision's CIFAR, SVHN, STL-10
  and CelebA classes refuse any file whose md5 differs from the published one and parse only in
  their constructors, so they cannot read a file that is a valid copy in the format but not the
  byte-identical original (a subset, or a test's tiny file); torchvision's LSUN class writes a
  key cache into the current directory. Present files are therefore trusted as they are:
  a corrupt one fails with a `DataError` naming it when its structure is wrong, not when only
  its bytes differ. Fashion-MNIST has no md5 gate in torchvision and is read by its class, as MNIST.

CelebA and LSUN are decoded from JPEG/WebP once, into the memory-mapped cache of
`ganzoo.data.cache` (keyed by the files and the transform), so later runs start at once and
data larger than memory is paged in. Resizing uses Pillow's bicubic filter, which is antialiased
when it shrinks; the derived spec's description records it when it was applied.
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ganzoo.data import cache, formats
from ganzoo.data.configs import (
    CelebAConfig,
    CIFAR10Config,
    CIFAR100Config,
    FashionMNISTConfig,
    LSUNConfig,
    StandardImageConfig,
    STL10Config,
    SVHNConfig,
)
from ganzoo.data.mnist import data_root
from ganzoo.data.tensor_data import TensorData, derived_spec
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec

RESIZE_FILTER = "Pillow bicubic (antialiased)"
"""The filter every resize uses, as recorded in a resized data set's description."""

_CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]


def _missing(what: str, expected: Iterable[Path], get: str) -> DataError:
    paths = list(expected)
    folders = {p.parent for p in paths}
    if len(folders) == 1:
        names = [p.name for p in paths]
        more = f" (+{len(names) - 3} more)" if len(names) > 3 else ""
        shown = f"{', '.join(names[:3])}{more} in {paths[0].parent}"
    else:
        shown = ", ".join(str(p) for p in paths)
    return DataError(f"{what} not found: expected {shown}. {get}")


def _hint(root: Path, size: str) -> str:
    return (
        f"Pass download=True (--download) to fetch it with torchvision ({size}), or put the "
        f"files there and point --data-root/GANZOO_DATA at {root}"
    )


def _ensure(
    what: str,
    expected: list[Path],
    download: Callable[[], Any] | None,
    get: str,
) -> None:
    """Make sure the ``expected`` files exist: fetch them with ``download`` (torchvision) if given.

    Present files are never fetched again (and not md5-checked: see the module docstring).

    Raises:
        DataError: A file is missing and ``download`` is None, or the download failed.
    """
    if all(p.exists() for p in expected):
        return
    if download is None:
        raise _missing(what, expected, get)
    try:
        download()
    except (RuntimeError, OSError, ValueError) as err:
        raise DataError(f"downloading {what} failed: {err}") from None
    missing = [str(p) for p in expected if not p.exists()]
    if missing:
        raise DataError(f"{what} was downloaded but {missing[0]} is still missing")


def resize_images(x: np.ndarray, size: int) -> np.ndarray:
    """Images ``(N, C, H, W)`` uint8 resized to ``size`` x ``size`` (Pillow bicubic, antialiased).

    Args:
        x: uint8 images with 1 or 3 channels.
        size: The new side in pixels.

    Returns:
        uint8 images ``(N, C, size, size)``.
    """
    n, c = x.shape[:2]
    out = np.empty((n, c, size, size), dtype=np.uint8)
    for i in range(n):
        im = Image.fromarray(x[i, 0] if c == 1 else x[i].transpose(1, 2, 0))
        small = np.asarray(im.resize((size, size), Image.Resampling.BICUBIC))
        out[i] = small if c == 1 else small.transpose(2, 0, 1)
    return out


def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """Grey images repeated to RGB, or RGB turned grey with Pillow's ITU-R 601-2 luma weights.

    Args:
        x: uint8 images ``(N, C, H, W)``, C 1 or 3.
        channels: 1 or 3.

    Returns:
        uint8 images ``(N, channels, H, W)``.
    """
    if x.shape[1] == channels:
        return x
    if channels == 3:
        return np.repeat(x, 3, axis=1)
    luma = x[:, 0] * np.uint32(299) + x[:, 1] * np.uint32(587) + x[:, 2] * np.uint32(114)
    return ((luma + 500) // 1000).astype(np.uint8)[:, None]


def _finish(
    x: np.ndarray | torch.Tensor,
    y: np.ndarray | None,
    config: StandardImageConfig,
    spec: DatasetSpec,
    num_classes: int | None,
    notes: list[str] | None = None,
) -> TensorData:
    """Resize, convert channels and drop labels as ``config`` says; the spec of the result."""
    notes = list(notes or [])
    if x.shape[-1] != config.resolution or x.shape[-2] != config.resolution:
        notes.append(
            f"Resized from {x.shape[-2]}x{x.shape[-1]} to {config.resolution}x{config.resolution} "
            f"with {RESIZE_FILTER}."
        )
        x = resize_images(np.asarray(x), config.resolution)
    if config.channels is not None and x.shape[1] != config.channels:
        notes.append(f"Converted to {config.channels} channel(s).")
        x = convert_channels(np.asarray(x), config.channels)
    if config.unlabelled:
        y = None
    images = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))
    labels = None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64))
    classes = None if labels is None else num_classes
    shape = tuple(images.shape[1:])
    if shape != spec.shape or classes != spec.num_classes or notes:
        description = " ".join([spec.description, *notes]).strip()
        spec = derived_spec(spec, shape=shape, num_classes=classes, description=description)
    return TensorData(images, labels, spec)


def build_cifar10(config: CIFAR10Config, spec: DatasetSpec) -> TensorData:
    """CIFAR-10 from ``ROOT/cifar-10-batches-py`` (the python version)."""
    root = data_root(config.root)
    folder = root / "cifar-10-batches-py"
    files = [folder / n for n in (_CIFAR10_TRAIN if config.split == "train" else ["test_batch"])]

    def fetch() -> None:
        from torchvision.datasets import CIFAR10

        CIFAR10(str(root), train=config.split == "train", download=True)

    _ensure("CIFAR-10", files, fetch if config.download else None, _hint(root, "163 MB"))
    x, y = formats.read_cifar(files, "labels", config.limit)
    return _finish(x, y, config, spec, 10)


def build_cifar100(config: CIFAR100Config, spec: DatasetSpec) -> TensorData:
    """CIFAR-100 from ``ROOT/cifar-100-python``, with fine (100) or coarse (20) labels."""
    root = data_root(config.root)
    files = [root / "cifar-100-python" / config.split]

    def fetch() -> None:
        from torchvision.datasets import CIFAR100

        CIFAR100(str(root), train=config.split == "train", download=True)

    _ensure("CIFAR-100", files, fetch if config.download else None, _hint(root, "161 MB"))
    x, y = formats.read_cifar(files, f"{config.labels}_labels", config.limit)
    return _finish(x, y, config, spec, 100 if config.labels == "fine" else 20)


def build_fashion_mnist(config: FashionMNISTConfig, spec: DatasetSpec) -> TensorData:
    """Fashion-MNIST from ``ROOT/FashionMNIST/raw`` (idx files), read by torchvision."""
    from torchvision.datasets import FashionMNIST

    root = data_root(config.root)
    train = config.split == "train"
    raw = root / "FashionMNIST" / "raw"
    files = [  # torchvision reads either split only when all four are there
        raw / f"{prefix}-{kind}"
        for prefix in ("train", "t10k")
        for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")
    ]

    def fetch() -> None:
        FashionMNIST(str(root), train=train, download=True)

    _ensure("Fashion-MNIST", files, fetch if config.download else None, _hint(root, "30 MB"))
    try:
        ds = FashionMNIST(str(root), train=train, download=False)
    except (RuntimeError, OSError, ValueError) as err:
        raise DataError(f"could not read Fashion-MNIST under {root}: {err}") from None
    x, y = ds.data.unsqueeze(1).numpy(), ds.targets.numpy()
    if config.limit is not None:
        x, y = x[: config.limit], y[: config.limit]
    return _finish(x, y, config, spec, 10)


def build_svhn(config: SVHNConfig, spec: DatasetSpec) -> TensorData:
    """SVHN cropped digits from ``ROOT/svhn/{split}_32x32.mat`` (needs scipy)."""
    root = data_root(config.root)
    path = root / "svhn" / f"{config.split}_32x32.mat"
    size = {"train": "182 MB", "test": "64 MB", "extra": "1.3 GB"}[config.split]

    def fetch() -> None:
        from torchvision.datasets import SVHN

        SVHN(str(root / "svhn"), split=config.split, download=True)

    _ensure("SVHN", [path], fetch if config.download else None, _hint(root, size))
    x, y = formats.read_svhn(path, config.limit)
    return _finish(x, y, config, spec, 10)


def build_stl10(config: STL10Config, spec: DatasetSpec) -> TensorData:
    """STL-10 from ``ROOT/stl10_binary`` (96x96, resized to ``resolution``)."""
    root = data_root(config.root)
    folder = root / "stl10_binary"
    parts = config.split.split("+")
    files = [folder / f"{p}_X.bin" for p in parts]
    files += [folder / f"{p}_y.bin" for p in parts if p != "unlabeled"]

    def fetch() -> None:  # the archive only: the STL10 class would also load the split (2.7 GB)
        from torchvision.datasets import STL10
        from torchvision.datasets.utils import download_and_extract_archive

        download_and_extract_archive(
            STL10.url, str(root), filename=STL10.filename, md5=STL10.tgz_md5
        )

    _ensure("STL-10", files, fetch if config.download else None, _hint(root, "2.6 GB"))
    xs, ys, left = [], [], config.limit
    for part in parts:
        if left is not None and left <= 0:
            break
        x, y = formats.read_stl10(folder, part, left)
        xs.append(x)
        ys.append(y)
        left = None if left is None else left - len(x)
    labels = None if "unlabeled" in parts else np.concatenate(ys)
    return _finish(np.concatenate(xs), labels, config, spec, 10)


def _square(im: Image.Image, resolution: int, crop: int | None) -> np.ndarray:
    """The centred ``crop`` (None: the largest) square of ``im``, resized; ``(3, R, R)`` uint8."""
    im = im.convert("RGB")
    w, h = im.size
    side = min(w, h) if crop is None else min(crop, w, h)
    left, top = (w - side) // 2, (h - side) // 2
    box = (left, top, left + side, top + side)
    out = im.crop(box)  # crop first: the filter never reads pixels outside the square
    if side != resolution:
        out = out.resize((resolution, resolution), Image.Resampling.BICUBIC)
    return np.asarray(out).transpose(2, 0, 1)


def _decode(source: Path | bytes, resolution: int, crop: int | None) -> np.ndarray | None:
    """One image decoded and squared, or None when it cannot be read (counted, skipped)."""
    try:
        with Image.open(source if isinstance(source, Path) else io.BytesIO(source)) as im:
            return _square(im, resolution, crop)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _decode_in_threads(
    sources: Iterable[Path | bytes], resolution: int, crop: int | None
) -> Iterator[np.ndarray | None]:
    """`_decode` of each source by a thread pool (Pillow releases the GIL), yielded in order.

    At most a bounded window of images is decoded ahead of the consumer (the cache writer), so
    memory stays flat however many images there are.
    """
    window = 64 * cache.DECODE_WORKERS
    yield from cache.in_order(lambda source: _decode(source, resolution, crop), sources, window)


def _skipped_note(meta: dict[str, Any], what: str, names: list[str] | None = None) -> list[str]:
    """A line on stderr naming the images the cache build skipped; the note for the description."""
    skipped = meta.get("skipped", [])
    if not skipped:
        return []
    shown = [names[i] if names else f"record {i}" for i in skipped[:3]]
    more = f" and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    s = "" if len(skipped) == 1 else "s"
    line = f"skipped {len(skipped)} unreadable {what} image{s}: {', '.join(shown)}{more}"
    sys.stderr.write(f"warning: {line}\n")
    return [f"{line[0].upper()}{line[1:]}."]


def _cached(
    key: dict[str, Any],
    shape: tuple[int, int, int],
    what: str,
    cache_dir: str | None,
    source: Callable[[], tuple[int, Iterable[np.ndarray | None]]],
) -> cache.CacheEntry:
    """The cache entry of ``key``; on a miss, ``source()`` gives the row count and the rows."""
    entry = cache.lookup(key, cache_dir)
    if entry is not None:
        return entry
    count, rows = source()
    return cache.build(key, count, shape, rows, cache_dir=cache_dir, description=what)


def build_celeba(config: CelebAConfig, spec: DatasetSpec) -> TensorData:
    """CelebA aligned faces from ``ROOT/celeba``, centre-cropped, resized and cached."""
    root = data_root(config.root)
    folder = root / "celeba"
    images = folder / "img_align_celeba"
    get = (
        "Get img_align_celeba.zip (unzip it there) and list_eval_partition.txt from "
        "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html, or pass download=True (--download) to "
        f"fetch 1.4 GB from Google Drive with torchvision (needs gdown); then point --data-root or "
        f"GANZOO_DATA at {root}"
    )
    expected = [images]
    if config.split != "all":
        expected.append(folder / "list_eval_partition.txt")

    def fetch() -> None:
        from torchvision.datasets import CelebA

        CelebA(str(root), split="all", target_type=[], download=True)

    _ensure("CelebA", expected, fetch if config.download else None, get)
    names = formats.celeba_names(folder, config.split)[: config.limit]
    if not names:
        raise DataError(f"CelebA: no images for split {config.split!r} in {images}")
    partition = folder / "list_eval_partition.txt"
    r = config.resolution
    key = {  # the published files are never edited in place: the listing and names say it all
        "kind": "celeba",
        "folder": str(images.resolve()),
        "listing": images.stat().st_mtime_ns,
        "partition": [partition.stat().st_size, partition.stat().st_mtime_ns]
        if partition.is_file()
        else None,
        "names": hashlib.sha256("\n".join(names).encode()).hexdigest(),
        "crop": config.crop,
        "resolution": r,
        "filter": RESIZE_FILTER,
        "version": 1,
    }
    entry = _cached(
        key,
        (3, r, r),
        "CelebA",
        config.cache_dir,
        lambda: (len(names), _decode_in_threads((images / n for n in names), r, config.crop)),
    )
    notes = [f"Centre crop {config.crop}x{config.crop}, resized with {RESIZE_FILTER}."]
    notes += _skipped_note(entry.meta, "CelebA", names)
    return _finish(entry.images, None, config, spec, None, notes)


def build_lsun(config: LSUNConfig, spec: DatasetSpec) -> TensorData:
    """One LSUN category from ``ROOT/lsun/{category}_{split}_lmdb``, squared, resized, cached."""
    root = data_root(config.root)
    name = f"{config.category}_{config.split}_lmdb"
    db = root / "lsun" / name
    get = (
        f"torchvision cannot download LSUN: get {name}.zip with download.py from "
        f"https://github.com/fyu/lsun (python download.py -c {config.category}) and unzip it "
        f"into {root / 'lsun'}"
    )
    _ensure(f"LSUN {config.category} ({config.split})", [db / "data.mdb"], None, get)
    st = (db / "data.mdb").stat()
    r = config.resolution
    key = {
        "kind": "lsun",
        "db": str(db.resolve()),
        "size": st.st_size,
        "mtime": st.st_mtime_ns,
        "limit": config.limit,
        "resolution": r,
        "filter": RESIZE_FILTER,
        "version": 1,
    }

    def source() -> tuple[int, Iterable[np.ndarray | None]]:
        count, records = formats.lsun_records(db, config.limit)
        return count, _decode_in_threads(records, r, None)

    entry = _cached(key, (3, r, r), "LSUN", config.cache_dir, source)
    notes = [f"Centre square crop, resized with {RESIZE_FILTER}."]
    notes += _skipped_note(entry.meta, "LSUN")
    return _finish(entry.images, None, config, spec, None, notes)
