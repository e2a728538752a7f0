"""Pictures of samples: image grids and 2-D scatter plots, written as PNG with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import Tensor

from ganzoo.errors import DataError
from ganzoo.weights import atomic_write_bytes


def tile(images: Tensor, nrow: int, padding: int = 2, pad_value: float = 1.0) -> Tensor:
    """Tile ``images`` (N, C, H, W) into one (3 or C, H', W') image, as torchvision's ``make_grid``.

    Same layout and values as ``torchvision.utils.make_grid(images, nrow, padding,
    pad_value=pad_value)`` (grey images become RGB; one image comes back unpadded), without
    importing torchvision, which costs about 1.5 s of every command's start-up.
    """
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    n, c, h, w = images.shape
    if n == 1:
        return images[0].clone()
    cols = min(nrow, n)
    rows = -(-n // cols)
    cell_h, cell_w = h + padding, w + padding
    grid = images.new_full((c, rows * cell_h + padding, cols * cell_w + padding), pad_value)
    for k in range(n):
        r, q = divmod(k, cols)
        top, left = r * cell_h + padding, q * cell_w + padding
        grid[:, top : top + h, left : left + w] = images[k]
    return grid


def grid_image(samples: Tensor, nrow: int | None = None, padding: int = 2):
    """A PIL image tiling ``samples`` (N, C, H, W) in [-1, 1]; N rounded into ``nrow`` columns.

    Raises ``DataError`` unless ``samples`` holds at least one image shaped (C, H, W).
    """
    from PIL import Image

    if samples.dim() != 4 or samples.shape[0] < 1:
        raise DataError(
            "a sample grid needs images shaped (N, C, H, W) with N >= 1 (or points shaped (N, 2) "
            f"for a scatter plot); got samples of shape {tuple(samples.shape)}"
        )
    x = samples.detach().float().cpu().clamp(-1, 1).add(1).div(2)
    n = x.shape[0]
    nrow = nrow or max(1, round(n**0.5))
    grid = tile(x, nrow=nrow, padding=padding, pad_value=1.0)
    array = grid.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    if array.shape[2] == 1:
        array = array[:, :, 0]
    return Image.fromarray(array)


def scatter_image(
    points: Tensor, modes: Tensor | None = None, size: int = 512, extent: float | None = None
):
    """A PIL image of 2-D ``points`` (blue) and optional mode centres (red crosses).

    Raises ``DataError`` unless ``points`` is shaped (N, 2), with N >= 1 when no ``modes`` are given.
    """
    from PIL import Image, ImageDraw

    if points.dim() != 2 or points.shape[1] != 2 or (modes is None and points.shape[0] < 1):
        raise DataError(
            "a scatter plot needs 2-D points shaped (N, 2) with N >= 1; "
            f"got samples of shape {tuple(points.shape)}"
        )
    pts = points.detach().float().cpu()
    ref = modes.float().cpu() if modes is not None else pts
    if extent is None:
        extent = float(ref.abs().max().clamp(min=1e-3)) * 1.25
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)

    def to_px(p: Tensor) -> Tensor:
        return ((p / extent + 1) / 2 * (size - 1)).round()

    px = to_px(pts)
    for x, y in px.tolist():
        if 0 <= x < size and 0 <= y < size:
            y = size - 1 - y
            draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=(31, 119, 180))
    if modes is not None:
        for x, y in to_px(modes.float().cpu()).tolist():
            y = size - 1 - y
            draw.line((x - 5, y, x + 5, y), fill=(214, 39, 40), width=2)
            draw.line((x, y - 5, x, y + 5), fill=(214, 39, 40), width=2)
    return img


def sample_picture(samples: Tensor, modes: Tensor | None = None, nrow: int | None = None):
    """A grid for image samples, a scatter plot for 2-D points."""
    if samples.dim() == 2:
        return scatter_image(samples, modes)
    return grid_image(samples, nrow)


def save_png(image, path: Path) -> Path:
    """Write a PIL image to ``path`` as PNG, atomically."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def save_samples(
    samples: Tensor, path: Path, modes: Tensor | None = None, nrow: int | None = None
) -> Path:
    """Save ``samples`` as a PNG grid (images) or scatter plot (points)."""
    return save_png(sample_picture(samples, modes, nrow), path)
