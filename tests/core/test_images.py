"""ganzoo.images: sample grids and scatter plots, written as PNG and read back with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganzoo.errors import DataError
from ganzoo.images import grid_image, sample_picture, save_png, save_samples, scatter_image

BLUE = (31, 119, 180)
RED = (214, 39, 40)


def colours(img: Image.Image) -> set[tuple[int, ...]]:
    """The distinct pixel values of an RGB image."""
    return {tuple(int(c) for c in px) for px in np.asarray(img).reshape(-1, 3)}


def test_grid_tiles_samples_with_white_padding() -> None:
    # 6 grey images 4x5 in 3 columns: 2 rows; each tile is padded by 2 white pixels
    x = torch.zeros(6, 1, 4, 5)
    img = grid_image(x, nrow=3, padding=2)
    assert img.size == (3 * (5 + 2) + 2, 2 * (4 + 2) + 2)  # (width, height)
    a = np.asarray(img.convert("L"))
    assert a[0, :].tolist() == [255] * a.shape[1]  # top padding row is white
    assert a[2:6, 2:7].tolist() == [[128] * 5] * 4  # 0 maps to mid-grey (127.5 rounded)


def test_grid_default_columns_are_the_rounded_square_root() -> None:
    img = grid_image(torch.zeros(10, 1, 8, 8), padding=0)  # round(sqrt(10)) = 3 columns, 4 rows
    assert img.size == (3 * 8, 4 * 8)


def test_grid_maps_minus_one_to_black_one_to_white_and_clamps() -> None:
    x = torch.tensor([-1.0, 1.0, -7.0, 9.0]).view(4, 1, 1, 1).expand(4, 1, 2, 2)
    a = np.asarray(grid_image(x, nrow=4, padding=0).convert("L"))
    assert a.shape == (2, 8)
    assert a[0].tolist() == [0, 0, 255, 255, 0, 0, 255, 255]  # out-of-range values are clamped


def test_grid_keeps_colour_channels_apart() -> None:
    x = -torch.ones(1, 3, 2, 2)
    x[:, 0] = 1.0  # pure red
    img = grid_image(x, padding=0)
    assert img.mode == "RGB"
    assert img.getpixel((1, 1)) == (255, 0, 0)


def test_png_is_written_and_reads_back_pixel_for_pixel(tmp_path: Path) -> None:
    x = torch.linspace(-1, 1, 4 * 3 * 6 * 6).view(4, 3, 6, 6)
    out = save_samples(x, tmp_path / "sub" / "grid.png", nrow=2)
    assert out == tmp_path / "sub" / "grid.png"  # parent folders are created
    with Image.open(out) as read:
        assert read.format == "PNG"
        assert np.array_equal(np.asarray(read), np.asarray(grid_image(x, nrow=2)))
    assert [p.name for p in out.parent.iterdir()] == ["grid.png"]  # no temporary file left


def test_save_png_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    save_png(Image.new("L", (3, 2), 7), path)
    with Image.open(path) as read:
        assert read.size == (3, 2) and read.getpixel((0, 0)) == 7


def test_points_are_plotted_where_they_are() -> None:
    # extent 1: (0, 0) is the centre; (0.5, 0.5) is right of and above it (y grows upwards)
    size = 101
    img = scatter_image(torch.tensor([[0.5, 0.5]]), size=size, extent=1.0)
    a = np.asarray(img)
    blue = np.argwhere((a == BLUE).all(axis=2))
    assert len(blue) > 0
    row, col = blue.mean(axis=0)
    assert col == pytest.approx(75, abs=1) and row == pytest.approx(25, abs=1)
    assert img.getpixel((50, 50)) == (255, 255, 255)  # nothing drawn at the centre


def test_modes_are_red_crosses_and_set_the_extent() -> None:
    modes = torch.tensor([[2.0, 0.0], [-2.0, 0.0]])
    img = scatter_image(torch.zeros(1, 2), modes=modes, size=101)
    red = np.argwhere((np.asarray(img) == RED).all(axis=2))  # (row, col) pairs
    # extent = 1.25 * 2 = 2.5: the modes sit at 10% and 90% of the width, on the middle row
    left, right = red[red[:, 1] < 50], red[red[:, 1] > 50]
    assert left[:, 1].mean() == pytest.approx(10, abs=0.5)
    assert right[:, 1].mean() == pytest.approx(90, abs=0.5)
    assert red[:, 0].mean() == pytest.approx(50, abs=0.5)
    assert img.getpixel((50, 50)) == BLUE  # the sample at the origin


def test_points_outside_the_extent_are_skipped() -> None:
    img = scatter_image(torch.tensor([[5.0, 5.0]]), size=64, extent=1.0)
    assert colours(img) == {(255, 255, 255)}


def test_sample_picture_picks_scatter_for_points_and_grid_for_images() -> None:
    assert sample_picture(torch.zeros(8, 2)).size == (512, 512)
    assert sample_picture(torch.zeros(4, 1, 8, 8)).size == (2 * 10 + 2, 2 * 10 + 2)


@pytest.mark.parametrize(
    "shape",
    [(10,), (16, 28, 28), (0, 1, 8, 8), (2, 4, 1, 8, 8)],
    ids=["1-d", "no-batch-dim", "empty", "5-d"],
)
def test_bad_image_input_is_a_data_error_naming_the_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(DataError, match=r"\(N, C, H, W\)") as err:
        sample_picture(torch.zeros(shape))
    assert str(tuple(shape)) in str(err.value)


@pytest.mark.parametrize("shape", [(10, 3), (0, 2)], ids=["3-d-points", "no-points"])
def test_bad_points_are_a_data_error_naming_the_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(DataError, match=r"\(N, 2\)") as err:
        scatter_image(torch.zeros(shape))
    assert str(tuple(shape)) in str(err.value)


def test_no_points_with_modes_still_draws_the_modes() -> None:
    img = scatter_image(torch.zeros(0, 2), modes=torch.tensor([[1.0, 1.0]]), size=32)
    assert RED in colours(img) and BLUE not in colours(img)


@pytest.mark.parametrize(
    ("n", "c", "nrow", "padding"),
    [
        (1, 1, 1, 2),
        (1, 3, 4, 2),
        (7, 1, 3, 2),
        (8, 3, 8, 0),
        (10, 3, 4, 3),
        (64, 1, 8, 2),
        (5, 2, 2, 1),
    ],
)
def test_tile_matches_torchvisions_make_grid(n: int, c: int, nrow: int, padding: int) -> None:
    from torchvision.utils import make_grid

    from ganzoo.images import tile

    x = torch.rand(n, c, 6, 5, generator=torch.Generator().manual_seed(n * 10 + c))
    want = make_grid(x, nrow=nrow, padding=padding, pad_value=1.0)
    got = tile(x, nrow=nrow, padding=padding, pad_value=1.0)
    assert got.shape == want.shape
    assert torch.equal(got, want)
