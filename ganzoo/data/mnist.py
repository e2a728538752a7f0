"""MNIST and Stacked MNIST, read once with torchvision into one uint8 tensor.

Both take a ``resolution`` option (see `at_resolution`): None keeps the published 28x28; 32
pads 2 px of background on each side, the usual MNIST for 32 px networks (LeNet-5's input was
MNIST padded to 32x32 the same way); any other side is resized with Pillow's bicubic filter
(antialiased when shrinking), as the standard data sets are. The built data's spec carries the
real shape.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ganzoo.data.configs import MNISTConfig, StackedMNISTConfig
from ganzoo.data.tensor_data import TensorData, derived_spec
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec

_FILES = {True: "train-images-idx3-ubyte", False: "t10k-images-idx3-ubyte"}

SIDE = 28
"""MNIST's published image side."""
PAD_TO_32 = 2
"""Background pixels added on each side for ``resolution=32``."""
RESIZE_FILTER = "Pillow bicubic (antialiased)"
"""How sides other than 28 and 32 are made."""


def data_root(root: str | os.PathLike[str] | None) -> Path:
    """The data root: the given one, else ``$GANZOO_DATA``, else ``~/.cache/ganzoo/data``."""
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get("GANZOO_DATA")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "ganzoo" / "data"


def read_mnist(config: MNISTConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST images ``(N, 1, 28, 28)`` uint8 and labels ``(N,)`` int64."""
    from torchvision.datasets import MNIST

    root = data_root(config.root)
    expected = root / "MNIST" / "raw" / _FILES[config.train]
    if not expected.exists() and not config.download:
        raise DataError(
            f"MNIST not found: looked for {expected}. Point ganzoo at the folder that holds "
            "MNIST/raw with --data-root DIR or GANZOO_DATA=DIR, or pass download=True "
            "(--download) to fetch it."
        )
    try:
        ds = MNIST(root=str(root), train=config.train, download=config.download)
    except (RuntimeError, OSError) as err:
        raise DataError(f"could not read MNIST under {root}: {err}") from None
    x, y = ds.data.unsqueeze(1).contiguous(), ds.targets.long()
    if config.limit is not None:
        x, y = x[: config.limit], y[: config.limit]
    return x, y


def at_resolution(x: torch.Tensor, resolution: int | None) -> torch.Tensor:
    """MNIST-style uint8 images ``(N, C, 28, 28)`` at ``resolution`` x ``resolution``.

    Args:
        x: uint8 images, background 0.
        resolution: None or 28: unchanged; 32: 2 px of background (0) padded on each side;
            any other side: each channel resized with Pillow's bicubic filter (antialiased).

    Returns:
        uint8 images ``(N, C, resolution, resolution)`` (``x`` itself when unchanged).
    """
    if resolution is None or resolution == x.shape[-1]:
        return x
    if resolution == SIDE + 2 * PAD_TO_32:
        return torch.nn.functional.pad(x, (PAD_TO_32,) * 4, value=0)
    from PIL import Image

    n, c = x.shape[:2]
    planes = x.reshape(n * c, *x.shape[2:]).numpy()
    out = np.empty((n * c, resolution, resolution), dtype=np.uint8)
    size = (resolution, resolution)
    for i, plane in enumerate(planes):
        out[i] = np.asarray(Image.fromarray(plane).resize(size, Image.Resampling.BICUBIC))
    return torch.from_numpy(out).view(n, c, resolution, resolution)


def _with_shape(spec: DatasetSpec, x: torch.Tensor) -> DatasetSpec:
    """``spec`` when ``x`` has its shape, else the derived spec of images shaped like ``x``."""
    shape = tuple(x.shape[1:])
    if shape == spec.shape:
        return spec
    return derived_spec(spec, shape=shape, num_classes=spec.num_classes)


def build_mnist(config: MNISTConfig, spec: DatasetSpec) -> TensorData:
    """The MNIST data set in memory, described by ``spec`` (the registered entry being built).

    With a ``resolution`` other than 28, the data's spec is ``spec`` with the real shape.
    """
    x, y = read_mnist(config)
    x = at_resolution(x, config.resolution)
    return TensorData(x.contiguous(), y, _with_shape(spec, x))


def build_stacked_mnist(config: StackedMNISTConfig, spec: DatasetSpec) -> TensorData:
    """Stacked MNIST: each sample stacks three random MNIST digits as R, G and B.

    The digits are drawn at 28x28 (the same draws at every ``resolution``), then brought to
    ``resolution`` like MNIST.
    """
    x, y = read_mnist(MNISTConfig(root=config.root, train=config.train, download=config.download))
    gen = torch.Generator().manual_seed(config.seed)
    size = config.limit or config.size
    idx = torch.randint(0, x.shape[0], (size, 3), generator=gen)
    images = x[idx.flatten(), 0].view(size, 3, 28, 28)
    labels = (y[idx] * torch.tensor([100, 10, 1])).sum(1)
    images = at_resolution(images, config.resolution)
    return TensorData(images.contiguous(), labels, _with_shape(spec, images))
