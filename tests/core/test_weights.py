"""ganzoo.weights: sha256, atomic safetensors saves, and strict loads whose errors say what differs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import torch
from torch import nn

import ganzoo.weights as weights
from ganzoo.errors import WeightsError
from ganzoo.weights import (
    atomic_write_bytes,
    load_module,
    module_tensors,
    read_tensors,
    save_module,
    save_tensors,
    sha256_file,
)


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))


def test_sha256_matches_hashlib_across_chunk_boundaries(tmp_path: Path) -> None:
    data = os.urandom(10_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_file(path) == expected
    assert sha256_file(path, chunk=333) == expected  # 30 full chunks and a partial one
    path.write_bytes(data[:-1])
    assert sha256_file(path) != expected


def test_module_round_trip_is_exact_and_file_is_deterministic(tmp_path: Path) -> None:
    src = small_net()
    src[1].running_mean.add_(0.5)  # buffers travel too
    save_module(src, tmp_path / "a.safetensors")
    save_module(src, tmp_path / "b.safetensors")
    assert sha256_file(tmp_path / "a.safetensors") == sha256_file(tmp_path / "b.safetensors")
    dst = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    load_module(dst, read_tensors(tmp_path / "a.safetensors"), "a.safetensors")
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(), strict=True):
        assert torch.equal(a, b), k


def test_fp16_file_loads_into_an_fp32_module(tmp_path: Path) -> None:
    src = small_net()
    save_module(src.half(), tmp_path / "half.safetensors")
    dst = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    load_module(dst, read_tensors(tmp_path / "half.safetensors"), "half.safetensors")
    assert dst[0].weight.dtype == torch.float32
    assert torch.equal(dst[0].weight, src[0].weight.float())


def test_metadata_is_stored(tmp_path: Path) -> None:
    from safetensors import safe_open

    save_module(small_net(), tmp_path / "m.safetensors", metadata={"recipe": "x"})
    with safe_open(str(tmp_path / "m.safetensors"), "pt") as fh:
        assert fh.metadata() == {"recipe": "x"}


def test_tied_weights_are_saved_as_separate_copies(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    net[1].weight = net[0].weight  # shared storage: safetensors refuses aliases
    save_module(net, tmp_path / "tied.safetensors")
    read = read_tensors(tmp_path / "tied.safetensors")
    assert torch.equal(read["0.weight"], read["1.weight"])


def test_module_tensors_breaks_views_of_a_larger_storage() -> None:
    net = nn.Linear(2, 2, bias=False)
    big = torch.zeros(8)
    net.weight = nn.Parameter(big[:4].view(2, 2))
    t = module_tensors(net)["weight"]
    assert t.untyped_storage().nbytes() == 4 * t.element_size()


def test_strict_load_names_missing_keys_and_the_source() -> None:
    tensors = module_tensors(small_net())
    del tensors["2.bias"]
    with pytest.raises(WeightsError) as err:
        load_module(small_net(), tensors, "runs/x/generator.safetensors")
    msg = str(err.value)
    assert "runs/x/generator.safetensors" in msg and "Sequential" in msg
    assert "missing keys 2.bias" in msg
    assert "unexpected" not in msg and "wrong shapes" not in msg


def test_strict_load_names_unexpected_keys() -> None:
    tensors = {**module_tensors(small_net()), "head.weight": torch.zeros(1)}
    with pytest.raises(WeightsError, match=r"unexpected keys head\.weight") as err:
        load_module(small_net(), tensors, "g.safetensors")
    assert "missing" not in str(err.value)


def test_strict_load_names_shape_mismatches_with_both_shapes() -> None:
    tensors = module_tensors(small_net())
    tensors["0.weight"] = torch.zeros(5, 3)
    with pytest.raises(
        WeightsError, match=r"wrong shapes 0\.weight: file \(5, 3\) vs model \(4, 3\)"
    ):
        load_module(small_net(), tensors, "g.safetensors")


def test_strict_load_reports_every_kind_of_problem_at_once_and_loads_nothing() -> None:
    net = small_net()
    before = net[0].weight.detach().clone()
    tensors = {k: torch.ones_like(v) for k, v in module_tensors(net).items()}
    del tensors["0.bias"]
    tensors["extra"] = torch.zeros(1)
    tensors["2.weight"] = torch.zeros(9, 9)
    with pytest.raises(WeightsError) as err:
        load_module(net, tensors, "f.safetensors")
    msg = str(err.value)
    assert "missing keys 0.bias" in msg and "unexpected keys extra" in msg
    assert "wrong shapes 2.weight" in msg
    assert torch.equal(net[0].weight, before)  # nothing was half-loaded


def test_long_key_lists_are_shortened() -> None:
    net = nn.Sequential(*[nn.Linear(1, 1) for _ in range(4)])  # 8 keys
    with pytest.raises(WeightsError, match=r"missing keys 0\.bias, .* \(and 3 more\)"):
        load_module(net, {}, "empty.safetensors")


def test_missing_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "nope.safetensors"
    with pytest.raises(WeightsError, match=rf"{path}.*does not exist"):
        read_tensors(path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_file_is_named(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "w.safetensors"
    save_module(small_net(), path)
    data = path.read_bytes()
    path.write_bytes(
        {"garbage": b"not a safetensors file", "truncated": data[: len(data) // 2], "empty": b""}[
            damage
        ]
    )
    with pytest.raises(WeightsError) as err:
        read_tensors(path)
    assert str(path) in str(err.value) and "not a readable safetensors file" in str(err.value)


def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.safetensors"
    save_module(small_net(), path)
    good = path.read_bytes()

    def broken_save_file(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(weights, "save_file", broken_save_file)
    with pytest.raises(OSError, match="disk full"):
        save_tensors({"a": torch.zeros(3)}, path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_atomic_write_bytes_replaces_and_keeps_old_bytes_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deep" / "latest.json"
    atomic_write_bytes(path, b"one")  # parent folders are created
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"

    def no_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(weights.os, "replace", no_replace)
    with pytest.raises(OSError, match="rename failed"):
        atomic_write_bytes(path, b"three")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["latest.json"]


def test_saved_files_get_the_usual_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        save_module(small_net(), tmp_path / "w.safetensors")
        atomic_write_bytes(tmp_path / "x.json", b"{}")
    finally:
        os.umask(mask)
    for name in ("w.safetensors", "x.json"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_weights_are_refused_naming_the_tensor_and_loading_nothing(
    value: float,
) -> None:
    net = small_net()
    before = net[0].weight.detach().clone()
    tensors = module_tensors(small_net())
    tensors["2.weight"] = tensors["2.weight"].clone()
    tensors["2.weight"][0, 1] = value
    with pytest.raises(
        WeightsError, match=r"g\.safetensors hold NaN or infinite values \(in 2\.weight\)"
    ):
        load_module(net, tensors, "g.safetensors")
    assert torch.equal(net[0].weight, before)
