"""``wgan-gp``: Gulrajani et al. 2017, WGAN with a gradient penalty.

DCGAN-style G; the critic has no BatchNorm (the penalty is taken per sample, which BatchNorm
would couple across the batch): LayerNorm (GroupNorm with one group) by default, or none.
The penalty itself belongs to the ``wasserstein-gp`` loss.
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import ConvDiscriminator, ConvGenerator, conv_plan
from ganzoo.models.configs import WGANGPConfig
from ganzoo.specs import DatasetSpec


def build(config: WGANGPConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build a DCGAN generator and a BatchNorm-free critic for ``data``."""
    conv_plan(data.shape, "architecture 'wgan-gp'")
    g = ConvGenerator(config.latent_dim, data.shape, config.width)
    d = ConvDiscriminator(data.shape, config.width, norm=config.d_norm)
    return g, d
