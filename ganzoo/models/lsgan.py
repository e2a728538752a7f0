"""``lsgan``: Mao et al. 2017, least-squares GAN on DCGAN-style networks.

The architecture is DCGAN's (see ``ganzoo.models.dcgan``); what differs is the default
loss, ``least-squares`` (targets a=0, b=c=1), applied to D's raw linear scores.
"""

from __future__ import annotations

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.configs import ConvConfig
from ganzoo.models.dcgan import build_pair
from ganzoo.specs import DatasetSpec


def build(config: ConvConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build DCGAN's G and D for ``data`` (errors name ``lsgan``)."""
    return build_pair(config, data, "lsgan")
