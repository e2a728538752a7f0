"""PacGAN's networks: an ordinary generator and a discriminator that scores packs.

Built from ganzoo's public building blocks (``ganzoo.models.blocks``), as any plugin can.
"""

from __future__ import annotations

from torch import Tensor

from ganzoo.errors import DataError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.models.blocks import (
    ConvDiscriminator,
    ConvGenerator,
    MLPDiscriminator,
    MLPGenerator,
    conv_plan,
)
from ganzoo.specs import DatasetSpec
from ganzoo_pacgan.config import PacGANConfig


def pack(x: Tensor, m: int) -> Tensor:
    """Concatenate each run of ``m`` consecutive samples along dim 1 (channels or features).

    ``(N, C, ...)`` becomes ``(N / m, m * C, ...)``; raises ``DataError``
    when ``N`` is not a multiple of ``m``.
    """
    n = x.shape[0]
    if n % m:
        raise DataError(
            f"pacgan packs {m} samples per discriminator input, so batch sizes must be "
            f"multiples of {m}; got a batch of {n}"
        )
    return x.reshape(n // m, m * x.shape[1], *x.shape[2:])


class PackedDiscriminator(Discriminator):
    """A discriminator that scores packs of ``m`` samples (PacGAN).

    It packs its input by ``m`` and scores the packs with ``inner``: N samples give N/m scores
    (and N/m feature rows). Losses average over scores, so they need no change.
    """

    def __init__(self, inner: Discriminator, m: int) -> None:
        super().__init__()
        self.inner = inner
        self.pack = m

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """One score (and feature row) per pack of ``m`` samples; ``y`` is not used."""
        return self.inner.forward_all(pack(x, self.pack))


def build(config: PacGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build G and the packed D for ``data`` (images: DCGAN networks; points: MLPs)."""
    m = config.pack
    packed_shape = (m * data.shape[0], *data.shape[1:])
    if data.modality == "image":
        conv_plan(data.shape, "architecture 'pacgan'")
        g: Generator = ConvGenerator(config.latent_dim or 100, data.shape, config.width)
        inner: Discriminator = ConvDiscriminator(packed_shape, config.width)
    elif len(data.shape) == 1:
        g = MLPGenerator(
            config.latent_dim or 2, data.shape, config.g_hidden, bounded=False, batchnorm=True
        )
        inner = MLPDiscriminator(packed_shape, config.d_hidden, maxout=config.maxout)
    else:
        raise DataError(f"pacgan needs points of shape (D,); got {data.shape}")
    return g, PackedDiscriminator(inner, m)
