"""MNIST and Stacked MNIST, read once with torchvision into one uint8 tensor."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ganzoo.data.configs import MNISTConfig, StackedMNISTConfig
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec

_FILES = {True: "train-images-idx3-ubyte", False: "t10k-images-idx3-ubyte"}


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


def build_mnist(config: MNISTConfig, spec: DatasetSpec) -> TensorData:
    """The MNIST data set in memory, described by ``spec`` (the registered entry being built)."""
    x, y = read_mnist(config)
    return TensorData(x, y, spec)


def build_stacked_mnist(config: StackedMNISTConfig, spec: DatasetSpec) -> TensorData:
    """Stacked MNIST: each sample stacks three random MNIST digits as R, G and B."""
    x, y = read_mnist(MNISTConfig(root=config.root, train=config.train, download=config.download))
    gen = torch.Generator().manual_seed(config.seed)
    size = config.limit or config.size
    idx = torch.randint(0, x.shape[0], (size, 3), generator=gen)
    images = x[idx.flatten(), 0].view(size, 3, 28, 28)
    labels = (y[idx] * torch.tensor([100, 10, 1])).sum(1)
    return TensorData(images.contiguous(), labels, spec)
