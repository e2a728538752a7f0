"""``sngan``: Miyato et al. 2018, spectral normalisation of the discriminator.

DCGAN-style G (with BatchNorm); every conv and linear layer of D carries a
``torch.nn.utils.parametrizations.spectral_norm`` parametrization, and D has no other
normalisation by default. Trained with the hinge loss.
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import ConvDiscriminator, ConvGenerator, conv_plan
from ganzoo.models.configs import SNGANConfig
from ganzoo.specs import DatasetSpec


def build(config: SNGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build a DCGAN generator and a spectrally normalised D for ``data``."""
    conv_plan(data.shape, "architecture 'sngan'")
    g = ConvGenerator(config.latent_dim, data.shape, config.width)
    d = ConvDiscriminator(data.shape, config.width, norm=config.d_norm, spectral=True)
    return g, d
