"""Decode once: a whole image data set cached as one memory-mapped uint8 array ``(N, C, H, W)``.

Any data set whose samples are decoded from files (an image folder, CelebA's JPEGs, LSUN's
database) can keep them here, so later epochs and later runs read the decoded pixels instead of
decoding again. The API is three functions:

* `cache_root` says where entries live: ``cache_dir`` if given, else ``$GANZOO_CACHE``, else
  ``~/.cache/ganzoo/data-cache``.
* `lookup` returns the entry of a key, or None.
* `build` decodes rows into a new entry; `cached` is `lookup`, else `build`.

An entry is named by the sha256 of its key, a JSON-able mapping that must change whenever the
pixels would (the files' names, sizes and modification times; the transform; a format version):
``<digest>.npy`` holds the images, ``<digest>.json`` the key and what the builder wants kept
beside them (e.g. which rows were skipped). Rows are written in chunks to a temporary file in
the same folder, which is renamed into place only when complete, so an exception or Ctrl-C part
way leaves no entry and nothing half-written is ever read. The images are reopened with
``np.load(mmap_mode="c")`` and wrapped by ``torch.from_numpy`` without a copy: a data set larger
than memory is paged in from disk as batches touch it, and decoding holds one chunk in memory,
however large the data set.

Example (a data set of your own with a loader ``read(path) -> (C, H, W) uint8 array or None``):

```python
from ganzoo.data import cache

key = {"kind": "my-set", "files": files_digest, "resolution": 64, "version": 1}
entry = cache.cached(key, len(paths), (3, 64, 64), lambda: (read(p) for p in paths))
images = entry.images  # torch.uint8 (N, 3, 64, 64), memory-mapped
skipped = entry.meta["skipped"]  # indices of the rows `read` returned None for
```
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor

from ganzoo.errors import DataError

T = TypeVar("T")
R = TypeVar("R")

FORMAT = 1
"""Version of the entry layout; entries written by another version are not read."""

CHUNK_BYTES = 8 * 2**20
"""Rows are gathered into chunks of about this many bytes before each write."""

ENV = "GANZOO_CACHE"
"""Environment variable naming the cache folder."""


class NothingDecoded(DataError):
    """Every row of a `build` was skipped: there is nothing to cache."""


@dataclass(frozen=True)
class CacheEntry:
    """A cached data set: the memory-mapped images and what was stored beside them."""

    images: Tensor
    """uint8 ``(N, C, H, W)``, memory-mapped (copy-on-write: writes never reach the file)."""
    meta: dict[str, Any]
    """``key``, ``digest``, ``shape``, ``skipped`` (row indices) and the builder's ``extra``."""
    path: Path
    """The ``.npy`` file holding the images."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``cache_dir``, else ``$GANZOO_CACHE``, else ``~/.cache/ganzoo/data-cache``.

    Args:
        cache_dir: An explicit folder (a data set's ``cache_dir`` option).

    Returns:
        The folder (not created here).
    """
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "ganzoo" / "data-cache"


def key_digest(key: Mapping[str, Any]) -> str:
    """The sha256 (hex) of ``key`` as canonical JSON (sorted keys, no spaces).

    Args:
        key: A JSON-able mapping.

    Returns:
        64 hex digits.
    """
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _paths(digest: str, root: Path) -> tuple[Path, Path]:
    return root / f"{digest}.npy", root / f"{digest}.json"


def lookup(
    key: Mapping[str, Any], cache_dir: str | os.PathLike[str] | None = None
) -> CacheEntry | None:
    """The cached entry of ``key``, or None when there is none (or it cannot be read).

    Args:
        key: The entry's key (see the module docstring).
        cache_dir: The cache folder (see `cache_root`).

    Returns:
        The entry, its images memory-mapped; None on a miss. An entry whose files disagree
        with their metadata is treated as a miss (and replaced by the next `build`).
    """
    digest = key_digest(key)
    npy, meta_path = _paths(digest, cache_root(cache_dir))
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT or meta.get("digest") != digest:
            return None
        array = np.load(npy, mmap_mode="c", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if array.dtype != np.uint8 or list(array.shape) != meta.get("shape"):
        return None
    return CacheEntry(torch.from_numpy(array), meta, npy)


def _progress(total: int, description: str, enabled: bool) -> Any:
    """A rich progress bar on stderr, or None when disabled or stderr is not a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    bar.add_task(description, total=total)
    return bar


def _shrink(path: Path, offset: int, shape: tuple[int, ...]) -> None:
    """Rewrite the ``.npy`` header of ``path`` in place for ``shape`` and cut the file there.

    The new header is padded with spaces to the old one's length (the .npy format allows any
    padding), so the data that follows does not move.
    """
    header = repr({"descr": "|u1", "fortran_order": False, "shape": tuple(shape)})
    magic = np.lib.format.magic(1, 0)
    room = offset - len(magic) - 2  # what the header text (with its newline) must fill
    if len(header) + 1 > room:  # cannot happen: fewer rows never need more digits
        raise AssertionError("npy header grew")
    text = (header + " " * (room - len(header) - 1) + "\n").encode("latin1")
    with open(path, "r+b") as f:
        f.write(magic + struct.pack("<H", room) + text)
        f.truncate(offset + int(np.prod(shape)))


def _chunks(rows: Iterable[np.ndarray | None], per_chunk: int) -> Iterator[list[np.ndarray | None]]:
    chunk: list[np.ndarray | None] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == per_chunk:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(
    key: Mapping[str, Any],
    count: int,
    sample_shape: tuple[int, int, int],
    rows: Iterable[np.ndarray | None],
    *,
    extra: Mapping[str, Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    description: str = "decoding",
) -> CacheEntry:
    """Write ``rows`` into a new cache entry for ``key`` and return it, memory-mapped.

    Args:
        key: The entry's key (see the module docstring).
        count: How many rows ``rows`` yields.
        sample_shape: ``(C, H, W)`` of every row.
        rows: uint8 arrays of ``sample_shape`` (or ``(H, W)`` when C is 1), or None for a
            sample that is skipped (its index is recorded in ``meta["skipped"]``).
        extra: JSON-able values stored in ``meta["extra"]`` (e.g. the channels detected).
        cache_dir: The cache folder (see `cache_root`); created when missing.
        progress: Show a progress bar on stderr (only when it is a terminal).
        description: The progress bar's text.

    Returns:
        The new entry.

    Raises:
        NothingDecoded: Every row was skipped (no entry is written).
        DataError: A row has the wrong shape or type, ``rows`` yields more or fewer than
            ``count`` rows, or the cache folder cannot be written.
    """
    digest = key_digest(key)
    root = cache_root(cache_dir)
    npy, meta_path = _paths(digest, root)
    tmp = root / f".{digest}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    shape = (int(count), *map(int, sample_shape))
    row_bytes = int(np.prod(sample_shape))
    per_chunk = max(1, CHUNK_BYTES // max(row_bytes, 1))
    skipped: list[int] = []
    if count < 1:
        raise NothingDecoded("no samples to decode")
    try:
        try:
            root.mkdir(parents=True, exist_ok=True)
            mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
        except OSError as err:
            raise _write_error(root, err) from None
        offset = mm.offset
        del mm  # written below through the file: pages written never stay mapped in this process
        bar = _progress(count, description, progress)
        buffer = np.empty((per_chunk, *shape[1:]), dtype=np.uint8)
        seen = kept = 0
        with open(tmp, "r+b") as f, bar if bar is not None else contextlib.nullcontext():
            f.seek(offset)
            for chunk in _chunks(rows, per_chunk):
                n = 0
                for row in chunk:
                    if seen >= count:
                        raise DataError(f"cache build: more than the {count} rows announced")
                    if row is None:
                        skipped.append(seen)
                    else:
                        buffer[n] = _as_row(row, shape[1:])
                        n += 1
                    seen += 1
                try:
                    if n:
                        f.write(memoryview(buffer[:n]).cast("B"))
                except OSError as err:  # e.g. the disk is full
                    raise _write_error(root, err) from None
                kept += n
                if bar is not None:
                    bar.advance(bar.task_ids[0], len(chunk))
        if seen != count:
            raise DataError(f"cache build: {seen} rows given, {count} announced")
        if kept == 0:
            raise NothingDecoded(f"none of the {count} samples could be decoded")
        final = (kept, *shape[1:])
        if kept < count:
            _shrink(tmp, offset, final)
        meta = {
            "format": FORMAT,
            "digest": digest,
            "key": dict(key),
            "shape": list(final),
            "skipped": skipped,
            "extra": dict(extra or {}),
        }
        tmp_meta = tmp.with_suffix(".json.tmp")
        try:
            tmp_meta.write_text(json.dumps(meta, sort_keys=True))
            os.replace(tmp, npy)  # the images first: an entry counts only once its json is there
            os.replace(tmp_meta, meta_path)
        except OSError as err:
            raise _write_error(root, err) from None
    finally:
        for leftover in (tmp, tmp.with_suffix(".json.tmp")):
            with contextlib.suppress(OSError):  # not there (the usual case), or no folder
                leftover.unlink()
    entry = lookup(key, cache_dir)
    if entry is None:  # written but not readable back: a broken file system, not bad input
        raise DataError(f"the data cache entry {npy} could not be read back after writing it")
    return entry


def _write_error(root: Path, err: OSError) -> DataError:
    return DataError(
        f"cannot write the data cache in {root}: {err.strerror or err}; free some space or point "
        f"{ENV} (or the data set's cache_dir option) at another folder"
    )


def _as_row(row: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``row`` checked as one uint8 sample of ``shape`` (``(H, W)`` allowed for one channel)."""
    if row.dtype != np.uint8:
        raise DataError(f"cache build: rows must be uint8, got {row.dtype}")
    if row.shape == shape[1:] and shape[0] == 1:
        return row
    if row.shape != shape:
        raise DataError(f"cache build: a row has shape {row.shape}, expected {shape}")
    return row


def cached(
    key: Mapping[str, Any],
    count: int,
    sample_shape: tuple[int, int, int],
    rows: Callable[[], Iterable[np.ndarray | None]],
    **options: Any,
) -> CacheEntry:
    """The entry of ``key``: read when present, else built from ``rows()`` (see `build`).

    Args:
        key: The entry's key.
        count: How many rows ``rows()`` yields.
        sample_shape: ``(C, H, W)`` of every row.
        rows: Called only on a miss; returns the rows (see `build`).
        **options: ``extra``, ``cache_dir``, ``progress``, ``description`` (see `build`).

    Returns:
        The entry.
    """
    entry = lookup(key, options.get("cache_dir"))
    if entry is not None:
        return entry
    return build(key, count, sample_shape, rows(), **options)


DECODE_WORKERS = min(8, os.cpu_count() or 1)
"""Threads that decode images for a cache build (Pillow releases the GIL while decoding)."""


def in_order(fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """``fn(item)`` for each item, computed by a thread pool and yielded in the items' order.

    At most ``window`` results are computed ahead of the consumer (the cache writer), so memory
    stays flat however many items there are; an interrupt cancels what nobody will read.
    """
    with ThreadPoolExecutor(DECODE_WORKERS) as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
