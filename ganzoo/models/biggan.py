"""``biggan``: Brock et al. 2019, *Large Scale GAN Training*, at small scale.

G: ``z`` split into one chunk per up block plus one (hierarchical latents); the first chunk goes
through a linear layer to the start image, every other chunk is concatenated with the shared
class embedding and conditions the BatchNorms of one up block (``ConditionalBatchNorm2d`` in
``"linear"`` mode); then BN, ReLU, 3x3 conv, tanh. Spectral norm on every conv and linear
layer of G and D; orthogonal initialisation. D: the ResNet discriminator with a projection
term (``ganzoo.models.resnet.ResNetDiscriminator``). Optional self-attention at one side.

`BigGANGenerator.regularizer` is the orthogonal regularisation ``beta * sum_W ||W W^T * (1 -
I)||_F^2`` over G's weights (not the embedding), added to G's loss every step;
`BigGANGenerator.forward_truncated` is the truncation trick.
"""

from __future__ import annotations

from math import prod

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.special import ndtr, ndtri

from ganzoo.errors import DataError
from ganzoo.interfaces import Discriminator, Generator
from ganzoo.models.blocks import require_labels
from ganzoo.models.configs import BigGANConfig
from ganzoo.models.resnet import (
    GBlock,
    ResNetDiscriminator,
    ResNetPlan,
    SelfAttention,
    maybe_sn,
    resnet_plan,
)
from ganzoo.specs import DatasetSpec


def truncated_normal(z: Tensor, threshold: float) -> Tensor:
    """Map N(0, 1) draws ``z`` to N(0, 1) truncated to [-threshold, threshold], by inverse CDF.

    Deterministic in ``z`` (so a seed still fixes the samples); ``threshold`` 0 gives zeros.
    """
    if threshold == 0:
        return torch.zeros_like(z)
    lo = ndtr(torch.tensor(-threshold, dtype=torch.float64)).item()
    u = ndtr(z.double())
    return ndtri(lo + u * (1.0 - 2.0 * lo)).to(z.dtype).clamp(-threshold, threshold)


def orthogonal_penalty(weights: list[Tensor]) -> Tensor:
    """``sum_W ||W W^T * (1 - I)||_F^2`` with each ``W`` flattened to ``(out, -1)``."""
    total = weights[0].new_zeros(())
    for w in weights:
        m = w.flatten(1)
        gram = m @ m.t()
        off = gram - torch.diag_embed(torch.diagonal(gram))
        total = total + off.pow(2).sum()
    return total


class BigGANGenerator(Generator):
    """BigGAN's generator (see the module docstring)."""

    def __init__(
        self, config: BigGANConfig, output_shape: tuple[int, ...], plan: ResNetPlan, classes: int
    ) -> None:
        super().__init__()
        steps = len(plan.g_channels) - 1
        if config.latent_dim < steps + 1:
            raise DataError(
                f"biggan splits z into {steps + 1} chunks at {output_shape[-1]} px: latent_dim "
                f"must be at least {steps + 1}, got {config.latent_dim}"
            )
        self.latent_dim, self.num_classes = config.latent_dim, classes
        self.output_shape = tuple(output_shape)
        self.ortho_reg = config.ortho_reg
        self.chunks = [len(c) for c in torch.arange(config.latent_dim).tensor_split(steps + 1)]
        c0 = plan.g_channels[0]
        self.start = (c0, *plan.start)
        self.shared = nn.Embedding(classes, config.shared_dim)
        self.linear = maybe_sn(nn.Linear(self.chunks[0], prod(self.start)), True)
        side = plan.start[0]
        blocks: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(plan.g_channels, plan.g_channels[1:], strict=False)):
            cond = config.shared_dim + self.chunks[i + 1]
            blocks.append(GBlock(a, b, "linear", cond, spectral=True))
            side *= 2
            if config.attention is not None and side == config.attention:
                blocks.append(SelfAttention(b, spectral=True))
        self.blocks = nn.ModuleList(blocks)
        self.bn = nn.BatchNorm2d(plan.g_channels[-1])
        self.conv = maybe_sn(nn.Conv2d(plan.g_channels[-1], plan.channels, 3, 1, 1), True)
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                weight = m.parametrizations.weight.original if _is_sn(m) else m.weight
                nn.init.orthogonal_(weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from ``z`` and the classes ``y``."""
        labels = require_labels(y, "biggan's generator")
        parts = z.split(self.chunks, dim=1)
        shared = self.shared(labels)
        h = self.linear(parts[0]).view(-1, *self.start)
        k = 1
        for block in self.blocks:
            if isinstance(block, GBlock):
                h = block(h, torch.cat([shared, parts[k]], dim=1))
                k += 1
            else:
                h = block(h)
        return self.conv(F.relu(self.bn(h))).tanh()

    def forward_truncated(self, z: Tensor, y: Tensor | None, truncation: float) -> Tensor:
        """The truncation trick: each ``z_i`` mapped to N(0, 1) truncated to +-``truncation``."""
        return self(truncated_normal(z, truncation), y)

    def regularized_weights(self) -> list[Tensor]:
        """The weights the orthogonal regularisation covers.

        Every conv and linear layer's (the spectral-norm parametrizations' originals), not the
        embeddings or BatchNorms.
        """
        out = []
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                out.append(m.parametrizations.weight.original if _is_sn(m) else m.weight)
        return out

    def regularizer(self, step: int, z: Tensor, y: Tensor | None) -> Tensor | None:
        """``ortho_reg * orthogonal_penalty(weights)`` on every step (None when 0)."""
        if self.ortho_reg == 0:
            return None
        return self.ortho_reg * orthogonal_penalty(self.regularized_weights())


def _is_sn(m: nn.Module) -> bool:
    return parametrize.is_parametrized(m, "weight")


def build(config: BigGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """BigGAN's G and projection D for ``data`` (labelled images, 16-256 px)."""
    plan = resnet_plan(data.shape, config.width, "architecture 'biggan'")
    assert data.num_classes is not None  # build_architecture rejects unlabelled data
    side = plan.start[0] * 2 ** (len(plan.g_channels) - 1)
    if config.attention is not None and config.attention not in _attention_sides(plan):
        raise DataError(
            f"biggan cannot put self-attention at {config.attention} px for {side} px images: "
            f"pick one of {', '.join(map(str, _attention_sides(plan)))} or none"
        )
    g = BigGANGenerator(config, tuple(data.shape), plan, data.num_classes)  # type: ignore[arg-type]
    d = ResNetDiscriminator(plan, data.num_classes, spectral=True, attention=config.attention)
    for m in d.modules():
        if isinstance(m, nn.Conv2d | nn.Linear | nn.Embedding) and _is_sn(m):
            nn.init.orthogonal_(m.parametrizations.weight.original)
    return g, d


def _attention_sides(plan: ResNetPlan) -> list[int]:
    """Sides where both G (after an up block) and D (after a down block) have feature maps."""
    g_sides = [plan.start[0] * 2**k for k in range(1, len(plan.g_channels))]
    side, d_sides = plan.start[0] * 2 ** (len(plan.g_channels) - 1), []
    for down in plan.d_down:
        side = side // 2 if down else side
        d_sides.append(side)
    return sorted(set(g_sides) & set(d_sides))
