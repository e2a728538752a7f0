"""Residual blocks of the spectral-norm GAN family (SNGAN's ResNets, projection D, BigGAN).

* ``resnet_plan`` sizes a ResNet G and D from an image shape on DCGAN's ladder
  (``conv_plan``): up to 32 px the CIFAR-10 networks of Miyato et al. 2018 (G: constant
  ``2 * width`` channels; D: ``width`` channels, down to 8x8 then two blocks without
  downsampling), from 48 px the STL-10 / ImageNet networks (G halves its channels per block
  down to ``width``; D doubles them per block, capped at ``16 * width``, down to G's start size
  then one more block);
* ``GBlock``: BN, ReLU, nearest 2x upsample, 3x3 conv, BN, ReLU, 3x3 conv, with an upsampled
  1x1-conv shortcut; its BatchNorms take a condition (class-conditional or BigGAN's linear
  conditional BN) through ``ConditionalBatchNorm2d``;
* ``DBlock``: (ReLU,) 3x3 conv, ReLU, 3x3 conv, 2x2 average pooling, with a 1x1-conv shortcut;
* ``ResNetDiscriminator``: the blocks, ReLU, global sum pooling, a linear score, plus the
  projection term ``<embed(y), h>`` of Miyato & Koyama 2018 when it has classes;
* ``SelfAttention``: SAGAN's attention block (Zhang et al. 2019), as BigGAN uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo.interfaces import Discriminator, DiscriminatorOutput
from ganzoo.models.blocks import conv_plan, require_labels


@dataclass(frozen=True)
class ResNetPlan:
    """Channels and sizes of a ResNet G and D for one image shape."""

    channels: int
    """Image channels."""
    start: tuple[int, int]
    """G's start size (4-7 px a side)."""
    g_channels: tuple[int, ...]
    """G: the channels at the start, then after each up block (one block per doubling)."""
    d_channels: tuple[int, ...]
    """D: the output channels of each block, in order."""
    d_down: tuple[bool, ...]
    """D: whether each block halves the size."""


def resnet_plan(shape: Sequence[int] | None, width: int, who: str) -> ResNetPlan:
    """Plan a ResNet G and D for images of ``shape`` ``(C, H, W)`` (see the module docstring).

    Raises:
        DataError: A shape off DCGAN's ladder (one line naming the sizes it can make).
    """
    plan = conv_plan(shape, who)
    steps, side = plan.steps, plan.start[0] * 2**plan.steps
    cap = 16 * width
    if side <= 32:  # the CIFAR-10 networks (Miyato et al. 2018, table 4)
        g = (2 * width,) * (steps + 1)
        downs = max(steps - 1, 1)
        d = (width,) * (downs + 2)
        down = (True,) * downs + (False, False)
    else:  # the STL-10 and ImageNet networks (Miyato et al. 2018; Miyato & Koyama 2018)
        g = tuple(min(width * 2 ** (steps - k), cap) for k in range(steps + 1))
        d = tuple(min(width * 2**k, cap) for k in range(steps + 1))
        down = (True,) * steps + (False,)
    return ResNetPlan(plan.channels, plan.start, g, d, down)


def xavier_init_(module: nn.Module, gain: float = 1.0) -> nn.Module:
    """Xavier-uniform weights (``gain``) and zero biases on every conv and linear layer."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.Linear):
            nn.init.xavier_uniform_(m.weight, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def maybe_sn(module: nn.Module, spectral: bool) -> nn.Module:
    """``module`` with a spectral-norm parametrization on its weight when ``spectral``."""
    return spectral_norm(module) if spectral else module


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose scale and shift come from a condition.

    ``mode="none"``: plain BatchNorm (the condition is ignored). ``"class"``: per-class scale
    and shift (embeddings, scale initialised to 1), the categorical conditional BN of Miyato &
    Koyama 2018. ``"linear"``: ``1 + W_gamma c`` and ``W_beta c`` of a condition vector ``c``,
    BigGAN's conditional BN (spectral norm on the two linear maps when ``spectral``).
    """

    def __init__(
        self, channels: int, mode: str = "none", cond_dim: int = 0, spectral: bool = False
    ) -> None:
        super().__init__()
        self.mode = mode
        self.bn = nn.BatchNorm2d(channels, affine=mode == "none")
        if mode == "class":
            self.gamma = nn.Embedding(cond_dim, channels)
            self.beta = nn.Embedding(cond_dim, channels)
            nn.init.ones_(self.gamma.weight)
            nn.init.zeros_(self.beta.weight)
        elif mode == "linear":
            self.gamma = maybe_sn(nn.Linear(cond_dim, channels, bias=False), spectral)
            self.beta = maybe_sn(nn.Linear(cond_dim, channels, bias=False), spectral)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        """Normalise ``x``; scale and shift from ``cond`` (class ids or vectors) unless plain."""
        h = self.bn(x)
        if self.mode == "none":
            return h
        assert cond is not None
        gamma, beta = self.gamma(cond), self.beta(cond)
        if self.mode == "linear":
            gamma = 1.0 + gamma
        return h * gamma[:, :, None, None] + beta[:, :, None, None]


class GBlock(nn.Module):
    """Up block: BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3, shortcut upsample-conv1x1."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        bn_mode: str = "none",
        cond_dim: int = 0,
        spectral: bool = False,
    ) -> None:
        super().__init__()
        self.bn1 = ConditionalBatchNorm2d(in_ch, bn_mode, cond_dim, spectral)
        self.conv1 = maybe_sn(nn.Conv2d(in_ch, out_ch, 3, 1, 1), spectral)
        self.bn2 = ConditionalBatchNorm2d(out_ch, bn_mode, cond_dim, spectral)
        self.conv2 = maybe_sn(nn.Conv2d(out_ch, out_ch, 3, 1, 1), spectral)
        self.shortcut = maybe_sn(nn.Conv2d(in_ch, out_ch, 1), spectral)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        """Double the size of ``x`` (conditioned on ``cond`` when the BNs take one)."""
        h = F.relu(self.bn1(x, cond))
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DBlock(nn.Module):
    """Down block: (ReLU-)conv3x3-ReLU-conv3x3(-avgpool), shortcut conv1x1(-avgpool).

    The first block of D (``first=True``) takes the image: no ReLU before its first conv, and
    its shortcut pools before the 1x1 conv (SNGAN's "optimized block").
    """

    def __init__(
        self, in_ch: int, out_ch: int, down: bool, first: bool = False, spectral: bool = True
    ) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = maybe_sn(nn.Conv2d(in_ch, out_ch, 3, 1, 1), spectral)
        self.conv2 = maybe_sn(nn.Conv2d(out_ch, out_ch, 3, 1, 1), spectral)
        self.learnable = first or down or in_ch != out_ch
        self.shortcut = maybe_sn(nn.Conv2d(in_ch, out_ch, 1), spectral) if self.learnable else None

    def forward(self, x: Tensor) -> Tensor:
        """The block's output (half the size when ``down``)."""
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.first:
            s = self.shortcut(F.avg_pool2d(s, 2) if self.down else s)  # type: ignore[misc]
        elif self.shortcut is not None:
            s = self.shortcut(s)
            s = F.avg_pool2d(s, 2) if self.down else s
        return h + s


class SelfAttention(nn.Module):
    """SAGAN's self-attention (theta/phi at C/8, g at C/2, 2x2 max-pooled keys and values).

    ``x + gamma * o(attention)``, with ``gamma`` initialised to 0 as in SAGAN and BigGAN.
    """

    def __init__(self, channels: int, spectral: bool = True) -> None:
        super().__init__()
        c8, c2 = max(channels // 8, 1), max(channels // 2, 1)
        self.theta = maybe_sn(nn.Conv2d(channels, c8, 1, bias=False), spectral)
        self.phi = maybe_sn(nn.Conv2d(channels, c8, 1, bias=False), spectral)
        self.g = maybe_sn(nn.Conv2d(channels, c2, 1, bias=False), spectral)
        self.o = maybe_sn(nn.Conv2d(c2, channels, 1, bias=False), spectral)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        """``x`` plus ``gamma`` times the attended values."""
        n, _, h, w = x.shape
        theta = self.theta(x).flatten(2)  # (N, C/8, HW)
        phi = F.max_pool2d(self.phi(x), 2).flatten(2)  # (N, C/8, HW/4)
        g = F.max_pool2d(self.g(x), 2).flatten(2)  # (N, C/2, HW/4)
        attn = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)  # (N, HW, HW/4)
        o = (g @ attn.transpose(1, 2)).view(n, -1, h, w)
        return x + self.gamma * self.o(o)


class ResNetDiscriminator(Discriminator):
    """ResNet D with spectral norm, global sum pooling and (with classes) a projection term.

    ``score = w . h + <embed(y), h>`` where ``h`` is the ReLU'd, sum-pooled output of the
    last block (also returned as the features); the projection term needs ``y``.

    Args:
        plan: The sizes (`resnet_plan`).
        num_classes: Classes of the projection (None: unconditional).
        spectral: Spectral norm on every layer (always, in the papers).
        attention: Add self-attention after the block whose output is this side (None: none).
    """

    def __init__(
        self,
        plan: ResNetPlan,
        num_classes: int | None = None,
        spectral: bool = True,
        attention: int | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        blocks: list[nn.Module] = []
        c, side = plan.channels, plan.start[0] * 2 ** (len(plan.g_channels) - 1)
        for i, (out, down) in enumerate(zip(plan.d_channels, plan.d_down, strict=True)):
            blocks.append(DBlock(c, out, down, first=i == 0, spectral=spectral))
            c, side = out, side // 2 if down else side
            if attention is not None and side == attention:
                blocks.append(SelfAttention(c, spectral))
        self.blocks = nn.Sequential(*blocks)
        xavier_init_(self.blocks, sqrt(2.0))
        self.linear = maybe_sn(xavier_init_(nn.Linear(c, 1)), spectral)
        self.embed: nn.Module | None = None
        if num_classes:
            emb = nn.Embedding(num_classes, c)
            nn.init.xavier_uniform_(emb.weight)
            self.embed = maybe_sn(emb, spectral)
        self.out_features = c

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores ``(N,)`` and the pooled features ``(N, C)``; ``y`` is needed with classes."""
        h = F.relu(self.blocks(x)).sum(dim=(2, 3))
        scores = self.linear(h).squeeze(1)
        if self.embed is not None:
            labels = require_labels(y, "this projection discriminator")
            scores = scores + (self.embed(labels) * h).sum(dim=1)
        return DiscriminatorOutput(scores=scores, features=h)
