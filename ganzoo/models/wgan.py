"""``wgan``: Arjovsky et al. 2017, Wasserstein GAN with weight clipping.

A DCGAN-style critic with a linear output (no sigmoid). BatchNorm is kept in the critic, as in
the paper's DCGAN experiments (no gradient penalty needs per-sample independence here).
``WGANCritic.constrain`` clips every parameter to [-clip, clip] after each critic step.
"""

from __future__ import annotations

import torch

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import ConvDiscriminator, ConvGenerator, conv_plan
from ganzoo.models.configs import WGANConfig
from ganzoo.specs import DatasetSpec


class WGANCritic(ConvDiscriminator):
    """DCGAN-style critic whose parameters are clipped by ``constrain``."""

    def __init__(self, *args: object, clip: float = 0.01, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.clip = clip

    @torch.no_grad()
    def constrain(self) -> None:
        """Clip every parameter to ``[-clip, clip]`` (called after each optimizer step)."""
        for p in self.parameters():
            p.clamp_(-self.clip, self.clip)


def build(config: WGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build a DCGAN generator and a clipped critic for ``data``."""
    conv_plan(data.shape, "architecture 'wgan'")
    g = ConvGenerator(config.latent_dim, data.shape, config.width)
    d = WGANCritic(data.shape, config.width, norm=config.d_norm, clip=config.clip)
    return g, d
