"""The decode-once data cache: entries, atomic writes, skipped rows, memory held while building."""

from __future__ import annotations

import json
import tracemalloc
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from ganzoo.data import cache
from ganzoo.errors import DataError

SHAPE = (3, 8, 8)


def rows(n: int, skip: set[int] = frozenset()) -> list[np.ndarray | None]:  # type: ignore[assignment]
    return [None if i in skip else np.full(SHAPE, i, np.uint8) for i in range(n)]


def test_cache_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.ENV, raising=False)
    assert cache.cache_root() == Path.home() / ".cache" / "ganzoo" / "data-cache"
    monkeypatch.setenv(cache.ENV, str(tmp_path / "env"))
    assert cache.cache_root() == tmp_path / "env"
    assert cache.cache_root(tmp_path / "given") == tmp_path / "given"


def test_key_digest_is_canonical() -> None:
    assert cache.key_digest({"a": 1, "b": [1, 2]}) == cache.key_digest({"b": [1, 2], "a": 1})
    assert cache.key_digest({"a": 1}) != cache.key_digest({"a": 2})


def test_build_then_lookup_memory_maps_without_copy_or_warning(tmp_path: Path) -> None:
    key = {"kind": "test", "n": 5}
    assert cache.lookup(key, tmp_path) is None
    built = cache.build(key, 5, SHAPE, rows(5), extra={"channels": 3}, cache_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. torch's "non-writable array" warning
        entry = cache.lookup(key, tmp_path)
    assert entry is not None
    assert entry.images.dtype == torch.uint8 and tuple(entry.images.shape) == (5, *SHAPE)
    assert entry.images[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4]
    assert torch.equal(entry.images, built.images)
    assert entry.meta["extra"] == {"channels": 3} and entry.meta["key"] == key
    assert isinstance(np.load(entry.path, mmap_mode="r"), np.memmap)
    # copy-on-write: writing into the tensor never reaches the file
    entry.images[0] = 255
    assert cache.lookup(key, tmp_path).images[0, 0, 0, 0] == 0  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [entry.path.name, entry.path.with_suffix(".json").name]
    )


def test_skipped_rows_shrink_the_file(tmp_path: Path) -> None:
    entry = cache.build({"k": 1}, 7, SHAPE, rows(7, {0, 3, 6}), cache_dir=tmp_path)
    assert entry.meta["skipped"] == [0, 3, 6]
    assert entry.images[:, 0, 0, 0].tolist() == [1, 2, 4, 5]
    on_disk = np.load(entry.path)  # a plain reader sees the shrunk array
    assert on_disk.shape == (4, *SHAPE)
    assert entry.path.stat().st_size == np.load(entry.path, mmap_mode="r").offset + on_disk.size


def test_one_channel_rows_may_be_2d(tmp_path: Path) -> None:
    two_d = [np.full((4, 4), i, np.uint8) for i in range(3)]
    entry = cache.build({"k": "grey"}, 3, (1, 4, 4), two_d, cache_dir=tmp_path)
    assert entry.images.shape == (3, 1, 4, 4)


def test_cached_decodes_only_on_a_miss(tmp_path: Path) -> None:
    calls = []

    def make() -> list[np.ndarray | None]:
        calls.append(1)
        return rows(4)

    for _ in range(3):
        entry = cache.cached({"k": 2}, 4, SHAPE, make, cache_dir=tmp_path)
    assert len(calls) == 1 and entry.images.shape[0] == 4


def _interrupted(n: int, at: int, error: BaseException) -> Iterator[np.ndarray]:
    for i in range(n):
        if i == at:
            raise error
        yield np.zeros(SHAPE, np.uint8)


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("decoder died")])
def test_an_interrupted_build_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    monkeypatch.setattr(cache, "CHUNK_BYTES", 2 * np.prod(SHAPE))  # several writes before it
    with pytest.raises(type(error)):
        cache.build({"k": 3}, 10, SHAPE, _interrupted(10, 7, error), cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert cache.lookup({"k": 3}, tmp_path) is None


def test_bad_rows_are_one_line_errors_and_leave_nothing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="shape"):
        cache.build({"k": 4}, 2, SHAPE, [np.zeros((3, 4, 4), np.uint8)] * 2, cache_dir=tmp_path)
    with pytest.raises(DataError, match="uint8"):
        cache.build({"k": 4}, 1, SHAPE, [np.zeros(SHAPE, np.float32)], cache_dir=tmp_path)
    with pytest.raises(DataError, match="2 rows given, 3 announced"):
        cache.build({"k": 4}, 3, SHAPE, rows(2), cache_dir=tmp_path)
    with pytest.raises(cache.NothingDecoded):
        cache.build({"k": 4}, 3, SHAPE, [None, None, None], cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_dir_is_a_data_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match="cannot write the data cache"):
        cache.build({"k": 5}, 1, SHAPE, rows(1), cache_dir=blocker / "sub")


def test_a_damaged_entry_is_a_miss_and_is_rebuilt(tmp_path: Path) -> None:
    entry = cache.build({"k": 6}, 3, SHAPE, rows(3), cache_dir=tmp_path)
    meta_path = entry.path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "shape": [9, *SHAPE]}))
    assert cache.lookup({"k": 6}, tmp_path) is None
    entry.path.unlink()
    meta_path.write_text(json.dumps(meta))
    assert cache.lookup({"k": 6}, tmp_path) is None  # the json alone is not an entry
    rebuilt = cache.cached({"k": 6}, 3, SHAPE, lambda: rows(3), cache_dir=tmp_path)
    assert rebuilt.images.shape == (3, *SHAPE)


def test_building_holds_one_chunk_not_the_data_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peak Python/numpy allocations while writing 2000 64x64 RGB rows (24 MiB) stay near a chunk."""
    monkeypatch.setattr(cache, "CHUNK_BYTES", 2**20)
    shape = (3, 64, 64)

    def gen() -> Iterator[np.ndarray]:
        for i in range(2000):
            yield np.full(shape, i % 256, np.uint8)

    tracemalloc.start()
    try:
        entry = cache.build({"k": 7}, 2000, shape, gen(), cache_dir=tmp_path, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert entry.images.shape == (2000, *shape)
    assert int(entry.images[1999, 0, 0, 0]) == 1999 % 256
    assert peak < 4 * 2**20, f"peak {peak / 2**20:.1f} MiB while building a 24 MiB entry"
