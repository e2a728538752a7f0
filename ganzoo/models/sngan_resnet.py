"""``sngan-resnet``: the ResNet networks of Miyato et al. 2018 (SNGAN).

Optionally with a projection discriminator and class-conditional BatchNorm (Miyato & Koyama
2018).

G: ``z`` -> linear -> start image (4x4 for 32/64/128 px, 6x6 for 48) -> one up block per
doubling (``GBlock``) -> BN, ReLU, 3x3 conv, tanh. D: residual down blocks with spectral norm
on every layer (``ResNetDiscriminator``), ReLU, global sum pooling, a linear score. Channel
plans per resolution: ``ganzoo.models.resnet.resnet_plan``.
"""

from __future__ import annotations

from math import prod, sqrt

import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.errors import DataError
from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import require_labels
from ganzoo.models.configs import SNGANResNetConfig
from ganzoo.models.resnet import GBlock, ResNetDiscriminator, ResNetPlan, resnet_plan, xavier_init_
from ganzoo.specs import DatasetSpec


class ResNetGenerator(Generator):
    """SNGAN's ResNet generator; with ``num_classes``, its BatchNorms are class-conditional."""

    def __init__(
        self,
        latent_dim: int,
        output_shape: tuple[int, ...],
        plan: ResNetPlan,
        num_classes: int | None = None,
    ) -> None:
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.output_shape = tuple(output_shape)
        c0 = plan.g_channels[0]
        self.start = (c0, *plan.start)
        self.linear = nn.Linear(latent_dim, prod(self.start))
        mode = "class" if num_classes else "none"
        self.blocks = nn.ModuleList(
            GBlock(a, b, mode, num_classes or 0)
            for a, b in zip(plan.g_channels, plan.g_channels[1:], strict=False)
        )
        self.bn = nn.BatchNorm2d(plan.g_channels[-1])
        self.conv = nn.Conv2d(plan.g_channels[-1], plan.channels, 3, 1, 1)
        xavier_init_(self.blocks, sqrt(2.0))
        for block in self.blocks:
            xavier_init_(block.shortcut)  # type: ignore[arg-type]
        xavier_init_(self.linear)
        xavier_init_(self.conv)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from ``z`` (class-conditional BN on ``y`` when conditional)."""
        cond = (
            require_labels(y, "sngan-resnet's conditional generator") if self.num_classes else None
        )
        h = self.linear(z).view(-1, *self.start)
        for block in self.blocks:
            h = block(h, cond)
        return self.conv(F.relu(self.bn(h))).tanh()


def build(config: SNGANResNetConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """SNGAN's ResNet G and D for ``data`` (projection D and conditional BN if asked)."""
    plan = resnet_plan(data.shape, config.width, "architecture 'sngan-resnet'")
    classes = None
    if config.conditioning == "projection":
        if data.num_classes is None:
            raise DataError(
                f"sngan-resnet with conditioning=projection needs class labels, but data set "
                f"{data.name!r} has none; use conditioning=none (the default)"
            )
        classes = data.num_classes
    g = ResNetGenerator(config.latent_dim, tuple(data.shape), plan, classes)  # type: ignore[arg-type]
    d = ResNetDiscriminator(plan, classes, spectral=True)
    return g, d
