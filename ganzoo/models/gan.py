"""``gan``: the vanilla GAN of Goodfellow et al. 2014, fully connected G and D.

G: ReLU hidden layers, tanh output for images, linear output for 2-D points. D: maxout hidden
layers with dropout (the paper's MNIST setup), a linear score head (logits).
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import MLPDiscriminator, MLPGenerator, is_image
from ganzoo.models.configs import MLPConfig
from ganzoo.specs import DatasetSpec

IMAGE_HIDDEN = ((1200, 1200), (240, 240))
POINTS_HIDDEN = ((128, 128, 128), (128, 128))


def build(config: MLPConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build the MLP pair for ``data`` (any image shape, or points)."""
    image = is_image(data)
    g_default, d_default = IMAGE_HIDDEN if image else POINTS_HIDDEN
    g = MLPGenerator(config.latent_dim, data.shape, config.g_hidden or g_default, bounded=image)
    d = MLPDiscriminator(
        data.shape, config.d_hidden or d_default, maxout=config.maxout, dropout=config.dropout
    )
    return g, d
