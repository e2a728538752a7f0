"""MNIST and Stacked MNIST at other resolutions (the ``resolution`` data option, issue 13).

None keeps 28x28 (and the registered spec itself); 32 pads 2 px of background on each side; other
sides are resized with Pillow's bicubic filter. The built data's spec carries the real shape, and
the architectures are sized from it. Reads the real MNIST ($GANZOO_DATA), a few hundred images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.errors import ConfigError

N = 64


def _mnist(root: Path, **options: object) -> ganzoo.data.tensor_data.TensorData:
    return ganzoo.build("mnist", root=str(root), limit=N, **options)


def test_default_is_the_published_28px(mnist_root: Path) -> None:
    data = _mnist(mnist_root)
    assert data.x.shape == (N, 1, 28, 28) and data.x.dtype == torch.uint8
    assert data.spec is ganzoo.building.dataset_spec("mnist")  # the registered spec, unchanged
    assert torch.equal(_mnist(mnist_root, resolution=28).x, data.x)


def test_32_pads_two_pixels_of_background(mnist_root: Path) -> None:
    base = _mnist(mnist_root).x
    data = _mnist(mnist_root, resolution=32)
    assert data.x.shape == (N, 1, 32, 32) and data.x.dtype == torch.uint8
    assert torch.equal(data.x[:, :, 2:30, 2:30], base)  # the digits untouched, in the middle
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert int(data.x[:, :, border].max()) == 0  # background: -1 once scaled
    assert data.spec.shape == (1, 32, 32)
    assert data.spec.name == "mnist" and data.spec.num_classes == 10
    assert torch.equal(data.y, _mnist(mnist_root).y)
    x, _ = data.batch(torch.arange(4))
    assert x.shape == (4, 1, 32, 32) and x.min() == -1


@pytest.mark.parametrize("side", [64, 16])
def test_other_sides_resize_with_pillow_bicubic(mnist_root: Path, side: int) -> None:
    base = _mnist(mnist_root).x
    data = _mnist(mnist_root, resolution=side)
    assert data.x.shape == (N, 1, side, side) and data.x.dtype == torch.uint8
    assert data.spec.shape == (1, side, side) and data.spec.num_classes == 10
    for i in (0, N - 1):
        im = Image.fromarray(base[i, 0].numpy()).resize((side, side), Image.Resampling.BICUBIC)
        assert np.array_equal(data.x[i, 0].numpy(), np.asarray(im))
    # the same digit: its mean brightness survives the resize (to within a few grey levels)
    assert abs(data.x.float().mean() - base.float().mean()) < 3


def test_stacked_mnist_keeps_its_draws_at_every_resolution(mnist_root: Path) -> None:
    small = ganzoo.build("stacked-mnist", root=str(mnist_root), limit=N)
    data = ganzoo.build("stacked-mnist", root=str(mnist_root), limit=N, resolution=32)
    assert data.x.shape == (N, 3, 32, 32)
    assert torch.equal(data.x[:, :, 2:30, 2:30], small.x)
    assert torch.equal(data.y, small.y)
    assert data.spec.shape == (3, 32, 32) and data.spec.num_classes == 1000
    big = ganzoo.build("stacked-mnist", root=str(mnist_root), limit=8, resolution=64)
    assert big.x.shape == (8, 3, 64, 64) and big.spec.shape == (3, 64, 64)


@pytest.mark.parametrize("side", [32, 64])
def test_architectures_are_sized_from_the_built_spec(mnist_root: Path, side: int) -> None:
    data = _mnist(mnist_root, resolution=side)
    for arch in ("dcgan", "acgan"):
        model = ganzoo.build(arch, data=data.spec, width=4)
        y = torch.arange(4) % 10 if model.generator.num_classes else None
        x = model.generator(model.generator.sample_latent(4), y)
        assert x.shape == (4, 1, side, side)
        real, labels = data.batch(torch.arange(4))
        assert model.discriminator(real, labels).shape == (4,)


@pytest.mark.parametrize("bad", [0, 3, 2000, "big"])
def test_a_bad_resolution_names_the_option(bad: object) -> None:
    with pytest.raises(ConfigError, match="resolution"):
        ganzoo.build("mnist", resolution=bad)
