"""The standard data sets read tiny files written in each one's published on-disk format.

Nothing is downloaded: `support.standard_files` writes the files under tmp_path exactly where
and how the real release (or torchvision's download) puts them, and the tests build the
registered entries from that root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from support import standard_files as files

import ganzoo
from ganzoo.data import standard
from ganzoo.errors import DataError


def _one_line(err: pytest.ExceptionInfo[DataError], *words: str) -> None:
    msg = str(err.value)
    assert "\n" not in msg
    for word in words:
        assert word in msg, (word, msg)


def _near(image: torch.Tensor, colour: tuple, tolerance: int) -> bool:
    return bool(
        np.abs(image.numpy().astype(int) - np.array(colour)[:, None, None]).max() <= tolerance
    )


def test_cifar10_reads_the_python_batches_in_order(tmp_path: Path) -> None:
    x, y = files.write_cifar10(tmp_path, 15)
    data = ganzoo.build("cifar10", root=str(tmp_path))
    assert data.x.dtype == torch.uint8 and data.x.shape == (15, 3, 32, 32)
    assert np.array_equal(data.x.numpy(), x)
    assert data.y.tolist() == y.tolist()
    assert data.spec.shape == (3, 32, 32) and data.spec.num_classes == 10
    batch, _ = data.batch(torch.arange(4))
    assert batch.min() >= -1 and batch.max() <= 1
    test = ganzoo.build("cifar10", root=str(tmp_path), split="test")
    assert test.y.tolist() == [1, 2]


def test_cifar10_resolution_channels_limit_and_unlabelled(tmp_path: Path) -> None:
    x, _ = files.write_cifar10(tmp_path, 15)
    data = ganzoo.build("cifar10", root=str(tmp_path), resolution=16, limit=4)
    assert data.x.shape == (4, 3, 16, 16)
    assert data.spec.shape == (3, 16, 16)
    assert "Resized from 32x32 to 16x16 with Pillow bicubic (antialiased)" in data.spec.description
    first = Image.fromarray(x[0].transpose(1, 2, 0)).resize((16, 16), Image.Resampling.BICUBIC)
    assert np.array_equal(data.x[0].numpy().transpose(1, 2, 0), np.asarray(first))
    grey = ganzoo.build("cifar10", root=str(tmp_path), channels=1, unlabelled=True, limit=2)
    assert grey.x.shape == (2, 1, 32, 32) and grey.y is None and grey.spec.num_classes is None
    pil = np.asarray(Image.fromarray(x[1].transpose(1, 2, 0)).convert("L"))
    assert np.abs(grey.x[1, 0].numpy().astype(int) - pil).max() <= 1  # Pillow's luma, rounded


def test_cifar100_fine_and_coarse_labels(tmp_path: Path) -> None:
    x, fine = files.write_cifar100(tmp_path, 4)
    data = ganzoo.build("cifar100", root=str(tmp_path))
    assert np.array_equal(data.x.numpy(), x) and data.y.tolist() == fine.tolist()
    assert data.spec.num_classes == 100
    coarse = ganzoo.build("cifar100", root=str(tmp_path), labels="coarse")
    assert coarse.y.tolist() == (fine % 20).tolist() and coarse.spec.num_classes == 20


def test_fashion_mnist_reads_idx_files_with_torchvision(tmp_path: Path) -> None:
    x, y = files.write_fashion_mnist(tmp_path, 5)
    data = ganzoo.build("fashion-mnist", root=str(tmp_path))
    assert data.x.shape == (5, 1, 28, 28) and np.array_equal(data.x[:, 0].numpy(), x)
    assert data.y.tolist() == y.tolist() and data.spec.num_classes == 10
    rgb = ganzoo.build("fashion-mnist", root=str(tmp_path), channels=3, resolution=32)
    assert rgb.x.shape == (5, 3, 32, 32) and rgb.spec.shape == (3, 32, 32)
    assert torch.equal(rgb.x[:, 0], rgb.x[:, 2])
    assert ganzoo.build("fashion-mnist", root=str(tmp_path), split="test").y.tolist() == [4, 2]


def test_svhn_reads_the_mat_file_and_maps_label_10_to_0(tmp_path: Path) -> None:
    x, y = files.write_svhn(tmp_path, 3)
    data = ganzoo.build("svhn", root=str(tmp_path))
    assert np.array_equal(data.x.numpy(), x)
    assert data.y.tolist() == [0, 9, 8] == y.tolist()


def test_stl10_unlabeled_at_48_px_and_the_labelled_train_split(tmp_path: Path) -> None:
    files.write_stl10(tmp_path, 3)
    train = files.images(2, 3, 96)
    files.write_stl10_part(tmp_path, "train", train, np.array([0, 9]))
    data = ganzoo.build("stl10", root=str(tmp_path))
    assert data.x.shape == (3, 3, 48, 48) and data.y is None and data.spec.num_classes is None
    native = ganzoo.build("stl10", root=str(tmp_path), resolution=96, split="train")
    assert np.array_equal(native.x.numpy(), train)
    assert native.y.tolist() == [0, 9] and native.spec.num_classes == 10
    both = ganzoo.build("stl10", root=str(tmp_path), split="train+unlabeled", limit=4)
    assert both.x.shape == (4, 3, 48, 48) and both.y is None
    assert torch.equal(both.x[:2], ganzoo.build("stl10", root=str(tmp_path), split="train").x)


def test_celeba_centre_crop_at_64_px_cached_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    colours, _ = files.write_celeba(tmp_path / "data", 3)
    cache = tmp_path / "cache"
    data = ganzoo.build("celeba", root=str(tmp_path / "data"), cache_dir=str(cache))
    assert data.x.dtype == torch.uint8 and data.x.shape == (3, 3, 64, 64) and data.y is None
    for image, colour in zip(data.x, colours, strict=True):
        assert _near(image, colour, 8)  # the 108 px crop leaves no blue frame
    assert "Centre crop 108x108" in data.spec.description
    assert len(list(cache.glob("*.npy"))) == 1
    monkeypatch.setattr(standard, "_decode", lambda *a: pytest.fail("decoded again"))
    again = ganzoo.build("celeba", root=str(tmp_path / "data"), cache_dir=str(cache))
    assert torch.equal(again.x, data.x)
    monkeypatch.undo()
    test = ganzoo.build("celeba", root=str(tmp_path / "data"), cache_dir=str(cache), split="test")
    assert torch.equal(test.x, data.x[2:])  # the last image is in the test split
    assert len(list(cache.glob("*.npy"))) == 2  # another file list: another entry


def test_celeba_split_needs_the_partition_file_and_skips_unreadable_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files.write_celeba(tmp_path, 3)
    (tmp_path / "celeba" / "img_align_celeba" / "000002.jpg").write_bytes(b"not a jpeg")
    data = ganzoo.build("celeba", root=str(tmp_path))
    line = "warning: skipped 1 unreadable CelebA image: 000002.jpg\n"
    assert capsys.readouterr().err == line
    assert len(data) == 2 and "000002.jpg" in data.spec.description
    (tmp_path / "celeba" / "list_eval_partition.txt").unlink()
    assert len(ganzoo.build("celeba", root=str(tmp_path))) == 2  # 'all' lists the folder
    with pytest.raises(DataError) as err:
        ganzoo.build("celeba", root=str(tmp_path), split="train")
    _one_line(err, "list_eval_partition.txt", "--download")


def test_lsun_reads_one_category_from_lmdb(tmp_path: Path) -> None:
    colours, _ = files.write_lsun(tmp_path, 3)
    data = ganzoo.build("lsun", root=str(tmp_path))
    assert data.x.shape == (3, 3, 64, 64) and data.y is None
    for image, colour in zip(data.x, colours, strict=True):
        assert _near(image, colour, 2)  # the centre square: no grey bands
    small = ganzoo.build("lsun", root=str(tmp_path), limit=2, resolution=32)
    assert small.x.shape == (2, 3, 32, 32) and small.spec.shape == (3, 32, 32)
    with pytest.raises(DataError) as err:
        ganzoo.build("lsun", root=str(tmp_path), category="tower", download=True)
    _one_line(err, "tower_train_lmdb", "torchvision cannot download LSUN", "fyu/lsun")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "cifar10",
            "data_batch_1, data_batch_2, data_batch_3 (+2 more) in ROOT/cifar-10-batches-py",
        ),
        ("cifar100", "train in ROOT/cifar-100-python"),
        ("fashion-mnist", "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images"),
        ("svhn", "train_32x32.mat in ROOT/svhn"),
        ("celeba", "img_align_celeba in ROOT/celeba"),
        ("stl10", "unlabeled_X.bin in ROOT/stl10_binary"),
    ],
)
def test_a_missing_data_set_is_one_line_naming_files_and_download(
    tmp_path: Path, name: str, expected: str
) -> None:
    with pytest.raises(DataError) as err:
        ganzoo.build(name, root=str(tmp_path))
    _one_line(err, expected.replace("ROOT", str(tmp_path)), "download=True (--download)")
    assert not any(tmp_path.iterdir())  # nothing fetched, nothing written


def test_a_file_in_the_wrong_format_is_named(tmp_path: Path) -> None:
    files.write_cifar10(tmp_path, 5)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(b"\x80\x04garbage")
    with pytest.raises(DataError, match="data_batch_3 is not a CIFAR python batch"):
        ganzoo.build("cifar10", root=str(tmp_path))


def test_cli_prints_the_missing_data_line_without_a_traceback(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ganzoo", "train", "dcgan", "--data", "cifar10"]
    cmd += ["--data-root", str(tmp_path), "--steps", "1", "--out", str(tmp_path / "run")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "CIFAR-10 not found" in result.stderr and "--download" in result.stderr
