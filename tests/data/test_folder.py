"""Image folders (data set ``image-folder``): scan, labels, transform, bad input and the cache."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.data import folder
from ganzoo.data.configs import ImageFolderConfig
from ganzoo.errors import ConfigError, DataError

NEVER = 10**9
TINY = {"width": 8, "latent_dim": 16}


def save(path: Path, array: np.ndarray, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)
    return path


def rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def grey(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder for this test, through $GANZOO_CACHE."""
    path = tmp_path / "cache"
    monkeypatch.setenv("GANZOO_CACHE", str(path))
    return path


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files decoded (not read from the cache) during the test."""
    seen: list[str] = []
    real = folder._decode

    def counting(path: str, *args: Any) -> Any:
        seen.append(Path(path).name)
        return real(path, *args)

    monkeypatch.setattr(folder, "_decode", counting)
    return seen


def build(path: Path, **options: Any) -> Any:
    return ganzoo.build("image-folder", path=str(path), **options)


def test_class_subfolders_become_labels_in_sorted_order(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "imgs"
    for cls, n in (("zebra", 2), ("cat", 3), ("dog", 1)):
        for i in range(n):
            save(root / cls / f"{i}.png", rgb(16, 16, seed=i))
    data = build(root)
    assert data.y.tolist() == [0, 0, 0, 1, 2, 2]  # cat, dog, zebra
    assert data.spec.num_classes == 3 and data.spec.shape == (3, 16, 16)
    assert data.spec.summary == "Image folder imgs: 6 images 3x16x16, 3 classes."
    assert "Classes (labels 0..2): cat, dog, zebra." in data.spec.description
    assert "resized to 16x16 with Pillow's lanczos filter" in data.spec.description
    read = folder.read_folder(ImageFolderConfig(path=str(root)))
    assert read.classes == ("cat", "dog", "zebra")
    assert read.files[:2] == ("cat/0.png", "cat/1.png")
    assert build(root, unlabelled=True).y is None
    assert build(root, unlabelled=True).spec.num_classes is None


def test_odd_names_and_many_classes_give_a_valid_spec(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / ("x" * 150 + "\x1b[2J")
    for i in range(30):
        save(root / f"class-{i:02d}-{'y' * 60}" / "a.png", rgb(4, 4, i))
    save(root / "class-00-bad\nname" / "b.png", rgb(4, 4))
    data = build(root)
    assert data.spec.num_classes == 31
    assert len(data.spec.summary) <= 200 and "\x1b" not in data.spec.summary
    assert len(data.spec.description) <= 1900 and "and 11 more" in data.spec.description


def test_one_subfolder_or_nested_folders_are_not_classes(tmp_path: Path, cache_dir: Path) -> None:
    save(tmp_path / "one" / "only" / "a.png", rgb(8, 8))
    save(tmp_path / "one" / "only" / "deeper" / "b.png", rgb(8, 8))
    data = build(tmp_path / "one")
    assert data.y is None and len(data) == 2  # recursive, one class folder: unlabelled


def test_images_beside_class_folders_are_an_error(tmp_path: Path, cache_dir: Path) -> None:
    root = tmp_path / "mixed"
    save(root / "a" / "0.png", rgb(8, 8))
    save(root / "b" / "0.png", rgb(8, 8))
    save(root / "loose.png", rgb(8, 8))
    with pytest.raises(DataError, match=r"both directly inside it \(loose.png\).*--unlabelled"):
        build(root)
    assert len(build(root, unlabelled=True)) == 3


def test_grey_is_detected_and_channels_can_be_forced(tmp_path: Path, cache_dir: Path) -> None:
    save(tmp_path / "g" / "a.png", grey(8, 8, 1))
    save(tmp_path / "g" / "b.jpg", grey(8, 8, 2))
    data = build(tmp_path / "g")
    assert data.x.shape == (2, 1, 8, 8) and data.spec.shape == (1, 8, 8)
    assert np.array_equal(data.x[0, 0].numpy(), grey(8, 8, 1))  # PNG: lossless
    forced = build(tmp_path / "g", channels=3)
    assert forced.x.shape == (2, 3, 8, 8)
    assert torch.equal(forced.x[0, 0], forced.x[0, 2])
    save(tmp_path / "g" / "c.png", rgb(8, 8))  # one colour image makes it RGB
    assert build(tmp_path / "g").x.shape == (3, 3, 8, 8)
    assert build(tmp_path / "g", channels=1).x.shape == (3, 1, 8, 8)


@pytest.mark.parametrize("resolution", [32, 64])
def test_resize_and_center_crop(tmp_path: Path, cache_dir: Path, resolution: int) -> None:
    # a 40x60 (h x w) image: a white 40x40 centre, black bands of 10 columns on each side
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, 10:50] = 255
    save(tmp_path / "crop" / "wide.png", image)
    tall = rgb(90, 50, seed=3)
    save(tmp_path / "crop" / "tall.png", tall)
    data = build(tmp_path / "crop", resolution=resolution)
    assert data.x.shape == (2, 3, resolution, resolution)
    assert int(data.x[1].min()) == 255  # the bands were cropped away before resizing
    expected = (
        Image.fromarray(tall)
        .crop((0, 20, 50, 70))
        .resize((resolution, resolution), Image.Resampling.LANCZOS)
    )
    assert np.array_equal(data.x[0].permute(1, 2, 0).numpy(), np.asarray(expected))
    nearest = build(tmp_path / "crop", resolution=resolution, filter="nearest")
    assert not torch.equal(nearest.x[0], data.x[0])  # the filter is part of the transform


def test_default_resolution(tmp_path: Path, cache_dir: Path) -> None:
    save(tmp_path / "same" / "a.png", rgb(24, 24))
    save(tmp_path / "same" / "b.png", rgb(24, 24, 1))
    assert build(tmp_path / "same").spec.shape == (3, 24, 24)
    save(tmp_path / "sizes" / "a.png", rgb(24, 24))
    save(tmp_path / "sizes" / "b.png", rgb(30, 40))
    with pytest.raises(DataError, match=r"have 2 sizes \(24x24, 40x30\).*--resolution N"):
        build(tmp_path / "sizes")
    assert build(tmp_path / "sizes", resolution=16).x.shape == (2, 3, 16, 16)
    save(tmp_path / "oblong" / "a.png", rgb(30, 40))
    with pytest.raises(DataError, match=r"are not square \(40x30\)"):
        build(tmp_path / "oblong")
    assert not cache_dir.exists() or all(  # the errors came before any decoding
        "oblong" not in p.read_text() for p in cache_dir.glob("*.json")
    )


def test_unreadable_files_are_skipped_and_named(
    tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "bad"
    for i in range(3):
        save(root / f"ok{i}.png", rgb(12, 12, i))
    jpeg = io.BytesIO()
    Image.fromarray(rgb(12, 12)).save(jpeg, format="JPEG")
    (root / "cut.jpg").write_bytes(jpeg.getvalue()[:200])  # truncated
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"skipped silently")
    for options in ({}, {"resolution": 12, "channels": 3}):  # with and without the header pass
        data = build(root, **options)
        assert len(data) == 3
        err = capsys.readouterr().err
        assert "skipped 2 unreadable files" in err and "cut.jpg, notes.txt" in err
        assert err.count("\n") == 1 and ".hidden" not in err
    build(root)  # from the cache: the same line again
    assert "skipped 2 unreadable files" in capsys.readouterr().err


def test_bad_folders_are_one_line_errors(tmp_path: Path, cache_dir: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build(tmp_path / "missing")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(DataError, match="is empty"):
        build(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("x")
    (tmp_path / "junk" / "b.png").write_bytes(b"\x89PNG not really")
    for options in ({}, {"resolution": 8, "channels": 1}):
        with pytest.raises(DataError, match=r"no readable image .*2 files.*a.txt, b.png"):
            build(tmp_path / "junk", **options)
    with pytest.raises(DataError, match="is a file"):
        build(tmp_path / "junk" / "a.txt")
    with pytest.raises(ConfigError):
        build(tmp_path / "junk", channels=2)
    with pytest.raises(ConfigError):
        build(tmp_path / "junk", filter="sinc")
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_the_cache_is_hit_and_invalidated(
    tmp_path: Path, cache_dir: Path, decodes: list[str]
) -> None:
    root = tmp_path / "c"
    for i in range(4):
        save(root / f"{i}.png", rgb(16, 16, i))
    first = build(root, resolution=8)
    assert len(decodes) == 4
    again = build(root, resolution=8)
    assert len(decodes) == 4 and torch.equal(first.x, again.x)  # no decoding: from the cache
    moved = root.rename(tmp_path / "moved")  # the key holds relative paths, not the location
    assert torch.equal(build(moved, resolution=8).x, first.x) and len(decodes) == 4
    build(moved, resolution=12)
    assert len(decodes) == 8  # another transform
    build(moved, resolution=12, filter="bilinear")
    assert len(decodes) == 12
    save(moved / "2.png", rgb(16, 16, 99))  # a file changed
    changed = build(moved, resolution=8)
    assert len(decodes) == 16 and not torch.equal(changed.x[2], first.x[2])
    assert torch.equal(changed.x[0], first.x[0])
    assert len(list(cache_dir.glob("*.npy"))) == 4


def test_an_interrupted_decode_leaves_no_cache(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "i"
    for i in range(20):
        save(root / f"{i:02d}.png", rgb(8, 8, i))
    real = folder._decode

    def interrupted(path: str, *args: Any) -> Any:
        if path.endswith("13.png"):
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(folder, "_decode", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(root)
    assert list(cache_dir.iterdir()) == []
    monkeypatch.setattr(folder, "_decode", real)
    assert len(build(root)) == 20


def test_limit_takes_the_first_files_in_sorted_order(tmp_path: Path, cache_dir: Path) -> None:
    for i in range(5):
        save(tmp_path / "l" / f"{i}.png", np.full((8, 8), i, np.uint8))
    data = build(tmp_path / "l", limit=3)
    assert data.x[:, 0, 0, 0].tolist() == [0, 1, 2]


def test_mnist_folder_trains_like_the_mnist_data_set(
    tmp_path: Path, cache_dir: Path, mnist_root: Path
) -> None:
    """512 MNIST digits written as PNGs in class subfolders train dcgan to the same losses as the
    built-in data set holding the same images in the same order (the folder's sorted order)."""
    from ganzoo.data.tensor_data import TensorData
    from ganzoo.training.callbacks import Callback
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    mnist = ganzoo.build("mnist", limit=512)
    root = tmp_path / "mnist-png"
    for i, (image, label) in enumerate(zip(mnist.x, mnist.y, strict=True)):
        save(root / str(int(label)) / f"{i:05d}.png", image[0].numpy())
    read = folder.read_folder(ImageFolderConfig(path=str(root)))
    order = torch.tensor([int(Path(f).stem) for f in read.files])
    assert torch.equal(read.images, mnist.x[order]) and torch.equal(read.labels, mnist.y[order])
    same_order = TensorData(mnist.x[order], mnist.y[order], mnist.spec)

    def losses(data_name: str | None, options: dict[str, Any], data: Any = None) -> list[Any]:
        rows: list[Any] = []

        class Record(Callback):
            def on_step(self, trainer: Any, record: Any) -> None:
                rows.append((record.step, record.loss_d, record.loss_g))

        config = TrainConfig(
            architecture="dcgan",
            data=data_name,
            data_options=options,
            architecture_options=TINY,
            batch_size=16,
            steps=4,
            log_every=1,
            sample_every=NEVER,
            checkpoint_every=NEVER,
            diagnostics=[],
            device="cpu",
            out=str(tmp_path / f"run-{len(list(tmp_path.iterdir()))}"),
        )
        trainer = Trainer.create(config, callbacks=[Record()], data=data)
        assert trainer.data.spec.shape == (1, 28, 28)
        trainer.run()
        return rows

    from_folder = losses("image-folder", {"path": str(root), "progress": False})
    from_mnist = losses(None, {}, data=same_order)
    assert len(from_folder) == 4
    assert from_folder == from_mnist
