"""Image folders: any images Pillow reads, decoded once into the memory-mapped data cache.

``ganzoo train dcgan --data ./my_images --resolution 64`` builds the data set ``image-folder``
with this module. What it does, in order:

1. Scan the folder recursively (hidden files and folders skipped) and sort the relative paths,
   so the order of the samples is the same on every machine.
2. Look the folder up in the data cache (`ganzoo.data.cache`), keyed by every file's relative
   path, size and modification time and by the transform; on a miss, decode every file, in
   parallel threads, into a new cache entry with a progress bar. Files Pillow cannot read (not
   an image, truncated) are skipped and named in one line on stderr.
3. Each image is turned upright by its EXIF orientation, converted to grey (``L``) or ``RGB``,
   center-cropped to a square of its shorter side and resized to ``resolution`` with the
   ``filter`` (Pillow's resampling, antialiased when shrinking).
4. First-level subfolders are classes, labelled 0..K-1 in sorted order, when there are at least
   two (unless ``unlabelled``).

The built `TensorData` holds the cached uint8 images without a copy and a spec derived from
them (`ganzoo.data.tensor_data.derived_spec`): their shape and classes size the networks.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import Tensor

from ganzoo.data import cache
from ganzoo.data.configs import ImageFolderConfig
from ganzoo.data.tensor_data import TensorData, derived_spec
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec
from ganzoo.text import clean

FORMAT = 1
"""Version of the transform below; part of the cache key, raised whenever the pixels change."""

FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "box": Image.Resampling.BOX,
    "bilinear": Image.Resampling.BILINEAR,
    "hamming": Image.Resampling.HAMMING,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
"""The ``filter`` names and the Pillow resampling filters they stand for."""

GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
"""Pillow modes that count as grey when ``channels`` is detected (palette images count as colour)."""

_WORKERS = cache.DECODE_WORKERS
_NAMED = 5  # skipped files named in a message before "and N more"
_CLASSES_NAMED = 20  # class names in the derived spec's description


@dataclass(frozen=True)
class FolderImages:
    """What `read_folder` read: the images, labels and what was skipped."""

    images: Tensor
    """uint8 ``(N, C, H, W)``, memory-mapped from the data cache."""
    labels: Tensor | None
    """int64 ``(N,)`` class indices, or None when unlabelled."""
    classes: tuple[str, ...]
    """The class subfolders, in label order (empty when unlabelled)."""
    files: tuple[str, ...]
    """The relative paths of the images, in sample order."""
    skipped: tuple[str, ...]
    """The relative paths of the files that could not be read."""
    cache_path: Path
    """The cache entry's ``.npy`` file."""


def scan(root: Path) -> list[tuple[str, int, int]]:
    """Every file under ``root``: ``(relative POSIX path, size, mtime_ns)``, sorted by path.

    Hidden files and folders (names starting with ``.``) are left out; symbolic links to files
    are followed, links to folders are not.
    """
    found: list[tuple[str, int, int]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            try:
                st = os.stat(full)
            except OSError:  # a broken link: named as unreadable below
                st = None
            rel = Path(os.path.relpath(full, root)).as_posix()
            found.append((rel, st.st_size if st else -1, st.st_mtime_ns if st else -1))
    found.sort()
    return found


def files_digest(files: list[tuple[str, int, int]]) -> str:
    """sha256 of the file list as JSON lines ``[path, size, mtime_ns]`` (the cache key's part)."""
    h = hashlib.sha256()
    for entry in files:
        h.update(json.dumps(list(entry), ensure_ascii=True).encode() + b"\n")
    return h.hexdigest()


def _probe(path: str) -> tuple[str, tuple[int, int]] | None:
    """The mode and size of an image from its header, or None when Pillow cannot open it."""
    try:
        with Image.open(path) as im:
            return im.mode, im.size
    except Exception:  # any failure of any format plugin means: not readable
        return None


def _decode(path: str, mode: str, resolution: int, resample: int) -> np.ndarray | None:
    """One image as ``(C, H, W)`` uint8 after the transform, or None when it cannot be read."""
    try:
        with Image.open(path) as im:
            img: Image.Image = im
            if im.getexif().get(0x0112, 1) != 1:  # EXIF orientation: turn the photo upright
                img = ImageOps.exif_transpose(im)
            img = img.convert(mode) if img.mode != mode else img
            img.load()
            w, h = img.size
            s = min(w, h)
            box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
            if (w, h) != (s, s):
                img = img.crop(box)  # first, so nothing cropped away leaks in through the filter
            if s != resolution:
                img = img.resize((resolution, resolution), resample)
            array = np.asarray(img)
    except Exception:  # truncated data, bad chunks, decompression bombs, ...
        return None
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def _names(paths: list[str]) -> str:
    shown = ", ".join(clean(p, 120) for p in paths[:_NAMED])
    return shown + (f" and {len(paths) - _NAMED} more" if len(paths) > _NAMED else "")


def _resolve(
    config: ImageFolderConfig, root: Path, paths: list[str], bad: list[str]
) -> tuple[int, int, list[bool]]:
    """Channels and resolution (detected from the headers when not given), and which files open.

    Raises:
        DataError: No file opens as an image, or ``resolution`` is None and the images are not
            all of one square size.
    """
    channels, resolution = config.channels, config.resolution
    ok = [True] * len(paths)
    if channels is not None and resolution is not None:
        return channels, resolution, ok
    window = 4 * _WORKERS
    headers = list(cache.in_order(lambda path: _probe(str(root / path)), paths, window))
    ok = [h is not None for h in headers]
    found = [h for h in headers if h is not None]
    if not found:
        raise _no_image(root, paths)
    if channels is None:
        channels = 1 if all(mode in GREY_MODES for mode, _ in found) else 3
    if resolution is None:
        sizes = {size for _, size in found}
        if len(sizes) == 1 and next(iter(sizes))[0] == next(iter(sizes))[1]:
            resolution = next(iter(sizes))[0]
        else:
            shown = ", ".join(f"{w}x{h}" for w, h in sorted(sizes)[:3])
            more = f" and {len(sizes) - 3} more" if len(sizes) > 3 else ""
            what = "are not square" if len(sizes) == 1 else f"have {len(sizes)} sizes"
            raise DataError(
                f"the images in {root} {what} ({shown}{more}): give a resolution (--resolution "
                "N, data option resolution=N) to center-crop and resize them all to NxN"
            )
    bad.extend(p for p, good in zip(paths, ok, strict=True) if not good)
    return channels, resolution, ok


def _no_image(root: Path, paths: list[str]) -> DataError:
    return DataError(
        f"no readable image in {root}: none of its {len(paths)} files opens with Pillow "
        f"({_names(paths)})"
    )


def read_folder(config: ImageFolderConfig) -> FolderImages:
    """Read (from the data cache when it holds them) the images of the folder ``config`` names.

    Args:
        config: The folder and the transform.

    Returns:
        The images, memory-mapped, with labels and the names of skipped files.

    Raises:
        DataError: The folder is missing, empty or holds no readable image; the images differ in
            size and no ``resolution`` is given; images sit both at the top and in two or more
            class subfolders (and ``unlabelled`` is not set); the cache cannot be written.
    """
    root = Path(config.path).expanduser()
    if not root.exists():
        raise DataError(f"image folder {root} does not exist")
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder of images")
    files = scan(root)
    if config.limit is not None:
        files = files[: config.limit]
    if not files:
        raise DataError(
            f"image folder {root} is empty: put images in it (any format Pillow reads), with one "
            "subfolder per class for labels"
        )
    paths = [rel for rel, _, _ in files]
    key = {
        "kind": "image-folder",
        "format": FORMAT,
        "files": files_digest(files),
        "count": len(files),
        "transform": {
            "resolution": config.resolution,
            "channels": config.channels,
            "filter": config.filter,
            "crop": "center",
            "exif": True,
        },
    }
    entry = cache.lookup(key, config.cache_dir)
    if entry is None:
        with warnings.catch_warnings():  # Pillow's warnings about palettes, large images, ...
            warnings.simplefilter("ignore")
            entry = _decode_all(config, root, paths, key)
    skipped = [paths[i] for i in entry.meta["skipped"]]
    if skipped:
        s = "" if len(skipped) == 1 else "s"
        sys.stderr.write(
            f"warning: skipped {len(skipped)} unreadable file{s} in {root}: {_names(skipped)}\n"
        )
    dropped = set(entry.meta["skipped"])
    kept = [p for i, p in enumerate(paths) if i not in dropped]
    labels, classes = _labels(root, kept, config.unlabelled)
    return FolderImages(entry.images, labels, classes, tuple(kept), tuple(skipped), entry.path)


def _decode_all(
    config: ImageFolderConfig, root: Path, paths: list[str], key: dict[str, Any]
) -> cache.CacheEntry:
    """Decode every file into a new cache entry (channels and resolution detected if unset)."""
    bad: list[str] = []
    channels, resolution, ok = _resolve(config, root, paths, bad)
    mode = "L" if channels == 1 else "RGB"
    resample = FILTERS[config.filter]
    row_bytes = channels * resolution * resolution
    window = max(2 * _WORKERS, min(256, cache.CHUNK_BYTES // row_bytes))

    def one(i: int) -> np.ndarray | None:
        return _decode(str(root / paths[i]), mode, resolution, resample) if ok[i] else None

    try:
        return cache.build(
            key,
            len(paths),
            (channels, resolution, resolution),
            cache.in_order(one, range(len(paths)), window),
            extra={"channels": channels, "resolution": resolution},
            cache_dir=config.cache_dir,
            progress=config.progress,
            description=f"decoding {len(paths):,} images from {root.name}",
        )
    except cache.NothingDecoded:
        raise _no_image(root, paths) from None


def _labels(root: Path, kept: list[str], unlabelled: bool) -> tuple[Tensor | None, tuple[str, ...]]:
    """Class indices from the first-level subfolders (sorted), when there are two or more."""
    if unlabelled:
        return None, ()
    tops = [p.split("/", 1)[0] if "/" in p else None for p in kept]
    classes = tuple(sorted({t for t in tops if t is not None}))
    if len(classes) < 2:
        return None, ()
    loose = [p for p, t in zip(kept, tops, strict=True) if t is None]
    if loose:
        raise DataError(
            f"{root} has images both directly inside it ({_names(loose)}) and in "
            f"{len(classes)} class subfolders: move them into a subfolder, or pass --unlabelled "
            "(data option unlabelled=true) to ignore the classes"
        )
    index = {name: i for i, name in enumerate(classes)}
    return torch.tensor([index[t] for t in tops], dtype=torch.int64), classes


def _printable(text: str, limit: int) -> str:
    """``text`` as one printable line of at most ``limit`` characters (folder names are anyone's)."""
    line = clean(text, limit)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def build_image_folder(config: ImageFolderConfig, spec: DatasetSpec) -> TensorData:
    """The images of a folder as `TensorData`, its spec derived from them.

    Args:
        config: The folder and the transform (see `ImageFolderConfig`).
        spec: The registered ``image-folder`` entry.

    Returns:
        uint8 images (memory-mapped, scaled to [-1, 1] per batch), labels when the folder has
        class subfolders, and a spec with their shape and number of classes.
    """
    read = read_folder(config)
    n, c, h, w = read.images.shape
    root = Path(config.path).expanduser()
    k = len(read.skipped)
    classes = f", {len(read.classes)} classes" if read.classes else ""
    shown = ", ".join(read.classes[:_CLASSES_NAMED])
    if len(read.classes) > _CLASSES_NAMED:
        shown += f" and {len(read.classes) - _CLASSES_NAMED} more"
    names = f" Classes (labels 0..{len(read.classes) - 1}): {shown}." if read.classes else ""
    skipped = f"; {k} unreadable file{'' if k == 1 else 's'} skipped" if k else ""
    description = (
        f"The images of {root}, center-cropped to a square and resized to {h}x{w} with Pillow's "
        f"{config.filter} filter{skipped}.{names} Decoded once into the data cache: "
        f"{read.cache_path}."
    )
    data_spec = derived_spec(
        spec,
        shape=(c, h, w),
        num_classes=len(read.classes) or None,
        summary=_printable(f"Image folder {root.name}: {n:,} images {c}x{h}x{w}{classes}.", 200),
        description=_printable(description, 1900),
    )
    return TensorData(read.images, read.labels, data_spec)
