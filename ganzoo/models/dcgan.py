"""``dcgan``: Radford et al. 2016, deep convolutional GAN.

Transposed convolutions in G, strided convolutions in D, no pooling; BatchNorm in both except
G's output and D's input layers; ReLU and a tanh output in G, LeakyReLU(0.2) in D; weights
N(0, 0.02). Sizes follow the data set (see ``ganzoo.models.blocks.conv_plan``).
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import ConvDiscriminator, ConvGenerator, conv_plan
from ganzoo.models.configs import ConvConfig
from ganzoo.specs import DatasetSpec


def build(config: ConvConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build DCGAN's G and D for the image shape of ``data``."""
    return build_pair(config, data, "dcgan")


def build_pair(config: ConvConfig, data: DatasetSpec, name: str) -> tuple[Generator, Discriminator]:
    """DCGAN's G and D for ``data``; ``name`` is the architecture named in errors."""
    conv_plan(data.shape, f"architecture {name!r}")
    g = ConvGenerator(config.latent_dim, data.shape, config.width)
    d = ConvDiscriminator(data.shape, config.width, norm=config.d_norm)
    return g, d
