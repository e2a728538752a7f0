"""``stylegan2``: Karras et al. 2020, *Analyzing and Improving the Image Quality of StyleGAN*.

G: a mapping network z -> w; a learnt constant at the start size (4x4 for 32/64/128/256 px,
7x7 for 28); per resolution two modulated/demodulated 3x3 convolutions (the first upsamples)
with noise inputs, and a skip architecture: each resolution's ``ToRGB`` output is added to the
upsampled image so far. Style mixing in training; ``w_avg`` (a running mean of w) for the
truncation trick. D: residual blocks, minibatch standard deviation, a 3x3 conv and two
linear layers. Layers: ``ganzoo.models.stylegan2_layers``.

Regularisers (the loss is the non-saturating logistic loss): D's lazy R1,
``gamma / 2 * E||grad D(x)||^2`` times ``r1_interval`` every ``r1_interval`` D steps; G's
lazy path-length regulariser (``pl_weight``, every ``pl_interval`` G steps).
"""

from __future__ import annotations

import itertools
from math import sqrt

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.models.blocks import conv_plan
from ganzoo.models.configs import StyleGAN2Config
from ganzoo.models.stylegan2_layers import (
    DiscriminatorBlock,
    EqualConv2d,
    EqualLinear,
    MappingNetwork,
    StyledLayer,
    ToRGB,
    lrelu,
    minibatch_stddev,
)
from ganzoo.specs import DatasetSpec


def channel_plan(config: StyleGAN2Config, side: int, sides: list[int]) -> dict[int, int]:
    """Channels per side: ``width`` at the output side, doubled per halving, capped."""
    return {s: min(config.width * side // s, config.max_channels) for s in sides}


class StyleGAN2Generator(Generator):
    """StyleGAN2's generator (see the module docstring)."""

    def __init__(self, config: StyleGAN2Config, output_shape: tuple[int, ...]) -> None:
        super().__init__()
        plan = conv_plan(output_shape, "architecture 'stylegan2'")
        self.latent_dim, self.num_classes = config.latent_dim, None
        self.output_shape = tuple(output_shape)
        self.config = config
        w_dim = config.latent_dim
        sides = [plan.start[0] * 2**k for k in range(plan.steps + 1)]
        ch = channel_plan(config, sides[-1], sides)
        self.mapping = MappingNetwork(w_dim, w_dim, config.mapping_layers, config.mapping_lr)
        self.const = nn.Parameter(torch.randn(1, ch[sides[0]], *plan.start))
        self.first = StyledLayer(ch[sides[0]], ch[sides[0]], w_dim, sides[0], up=False)
        self.first_rgb = ToRGB(ch[sides[0]], plan.channels, w_dim)
        self.layers = nn.ModuleList()
        self.rgbs = nn.ModuleList()
        for a, b in itertools.pairwise(sides):
            self.layers.append(StyledLayer(ch[a], ch[b], w_dim, b, up=True))
            self.layers.append(StyledLayer(ch[b], ch[b], w_dim, b, up=False))
            self.rgbs.append(ToRGB(ch[b], plan.channels, w_dim))
        self.num_ws = 2 * plan.steps + 2
        self.register_buffer("w_avg", torch.zeros(w_dim))
        self.register_buffer("pl_mean", torch.zeros(()))

    def mapped(self, z: Tensor) -> Tensor:
        """``w`` for ``z``; in training mode also moves ``w_avg`` towards the batch's mean."""
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():
                mean = w.detach().mean(0).to(self.w_avg.dtype)
                self.w_avg.lerp_(mean, 1 - self.config.w_avg_beta)
        return w

    def styles(self, z: Tensor) -> Tensor:
        """``(N, num_ws, w_dim)``: one w per layer, mixed with a second latent's in training.

        Style mixing (probability ``style_mixing``): the layers from a random cutoff on take
        the w of a fresh latent, so neighbouring styles are not assumed to be correlated.
        """
        w = self.mapped(z)
        ws = w[:, None].repeat(1, self.num_ws, 1)
        mixing = self.config.style_mixing
        if self.training and mixing > 0 and torch.rand(()).item() < mixing:
            cutoff = int(torch.randint(1, self.num_ws, ()).item())
            ws[:, cutoff:] = self.mapped(torch.randn_like(z))[:, None]
        return ws

    def synthesis(self, ws: Tensor) -> Tensor:
        """Images from per-layer styles ``ws`` ``(N, num_ws, w_dim)``, before the tanh."""
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        x = self.first(x, ws[:, 0])
        img = self.first_rgb(x, ws[:, 1])
        for k, rgb in enumerate(self.rgbs):
            x = self.layers[2 * k](x, ws[:, 2 * k + 1])
            x = self.layers[2 * k + 1](x, ws[:, 2 * k + 2])
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)
            img = img + rgb(x, ws[:, 2 * k + 3])
        return img

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from ``z`` (``y`` is not used)."""
        return self.synthesis(self.styles(z)).tanh()

    def forward_truncated(self, z: Tensor, y: Tensor | None, truncation: float) -> Tensor:
        """The truncation trick: ``w <- w_avg + psi (w - w_avg)`` (psi 0: the mean image)."""
        w = self.w_avg.lerp(self.mapping(z), truncation)
        return self.synthesis(w[:, None].repeat(1, self.num_ws, 1)).tanh()

    def forward_mixed(self, z_coarse: Tensor, z_fine: Tensor, cutoff: int) -> Tensor:
        """Images whose first ``cutoff`` layers take ``z_coarse``'s w and the rest ``z_fine``'s.

        The paper's style-mixing figure: the coarse layers set pose and shape, the fine ones
        texture and colour.
        """
        ws = self.mapping(z_coarse)[:, None].repeat(1, self.num_ws, 1)
        ws[:, cutoff:] = self.mapping(z_fine)[:, None]
        return self.synthesis(ws).tanh()

    def regularizer(self, step: int, z: Tensor, y: Tensor | None) -> Tensor | None:
        """Lazy path-length regularisation every ``pl_interval`` G steps (None when off).

        ``(||J_w^T u|| - a)^2`` with ``u`` image-sized N(0, 1) / sqrt(H W) and ``a`` the running
        mean of the lengths (decay ``pl_decay``), on half the batch, times ``pl_weight`` and the
        interval.
        """
        c = self.config
        if c.pl_weight == 0 or step % c.pl_interval != 0:
            return None
        n = max(z.shape[0] // 2, 1)
        ws = self.styles(z[:n].detach())
        img = self.synthesis(ws).tanh()
        noise = torch.randn_like(img) / sqrt(img.shape[2] * img.shape[3])
        (grad,) = torch.autograd.grad((img * noise).sum(), ws, create_graph=True)
        lengths = grad.pow(2).sum(dim=2).mean(dim=1).sqrt()
        with torch.no_grad():
            self.pl_mean.lerp_(lengths.mean().to(self.pl_mean.dtype), c.pl_decay)
        return (lengths - self.pl_mean).pow(2).mean() * (c.pl_weight * c.pl_interval)


class StyleGAN2Discriminator(Discriminator):
    """StyleGAN2's residual discriminator, with lazy R1 as its regulariser."""

    def __init__(self, config: StyleGAN2Config, input_shape: tuple[int, ...]) -> None:
        super().__init__()
        plan = conv_plan(input_shape, "architecture 'stylegan2'")
        self.config = config
        sides = [plan.start[0] * 2**k for k in range(plan.steps + 1)]
        ch = channel_plan(config, sides[-1], sides)
        self.from_rgb = EqualConv2d(plan.channels, ch[sides[-1]], 1)
        self.blocks = nn.Sequential(
            *(DiscriminatorBlock(ch[s], ch[s // 2]) for s in reversed(sides[1:]))
        )
        c0, (h, w) = ch[sides[0]], plan.start
        self.conv = EqualConv2d(c0 + 1, c0, 3)
        self.fc = EqualLinear(c0 * h * w, c0)
        self.out = EqualLinear(c0, 1)

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores ``(N,)`` and the last hidden layer ``(N, C)`` (``y`` is not used)."""
        h = self.blocks(lrelu(self.from_rgb(x)))
        h = lrelu(self.conv(minibatch_stddev(h)))
        features = lrelu(self.fc(h.flatten(1)))
        return DiscriminatorOutput(scores=self.out(features).squeeze(1), features=features)

    def regularizer(self, step: int, real: Tensor, y: Tensor | None) -> Tensor | None:
        """Lazy R1: ``r1_gamma / 2 * E||grad D(x)||^2 * r1_interval`` every ``r1_interval`` steps."""
        c = self.config
        if c.r1_gamma == 0 or step % c.r1_interval != 0:
            return None
        with torch.enable_grad():
            x = real.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self(x, y).sum(), x, create_graph=True)
        return grad.flatten(1).pow(2).sum(1).mean() * (0.5 * c.r1_gamma * c.r1_interval)


def build(config: StyleGAN2Config, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """StyleGAN2's G and D for the image shape of ``data``."""
    shape = tuple(data.shape or ())
    conv_plan(data.shape, "architecture 'stylegan2'")
    return StyleGAN2Generator(config, shape), StyleGAN2Discriminator(config, shape)
