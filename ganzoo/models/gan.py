"""``gan``: the vanilla GAN of Goodfellow et al. 2014, fully connected G and D.

Images: the paper's MNIST setup, G with ReLU hidden layers and a tanh output, D with maxout
hidden layers and dropout 0.5. Points (the 2-D mixtures): as PacGAN's GAN baseline, G with
BatchNorm after its ReLU layers and a linear output, D without dropout; without G's BatchNorm G
collapses onto one mode of ring-8 (measured, docs/architectures.md). D's head is linear (logits).
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import (
    MLPDiscriminator,
    MLPGenerator,
    data_shape,
    is_image,
    warn_large_mlp,
)
from ganzoo.models.configs import MLPConfig
from ganzoo.specs import DatasetSpec

IMAGE_HIDDEN = ((1200, 1200), (240, 240))
POINTS_HIDDEN = ((128, 128, 128), (128, 128))


def build(config: MLPConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build the MLP pair for ``data`` (any image shape, or points).

    Images above 64x64 get a warning (``warn_large_mlp``): the networks grow with the pixels.
    """
    shape = data_shape(data.shape, "architecture 'gan'")
    image = is_image(data)
    g_default, d_default = IMAGE_HIDDEN if image else POINTS_HIDDEN
    g = MLPGenerator(
        config.latent_dim,
        shape,
        config.g_hidden or g_default,
        bounded=image,
        batchnorm=not image if config.g_batchnorm is None else config.g_batchnorm,
    )
    dropout = (0.5 if image else 0.0) if config.dropout is None else config.dropout
    d = MLPDiscriminator(shape, config.d_hidden or d_default, maxout=config.maxout, dropout=dropout)
    warn_large_mlp(shape, "architecture 'gan'", g, d)
    return g, d
