"""StyleGAN2's layers (Karras et al. 2020), written from the paper.

Every weight uses the equalized learning rate of ProGAN/StyleGAN: stored N(0, 1) and scaled
by ``lr_mul / sqrt(fan_in)`` when used (biases scaled by ``lr_mul``). Activations are
LeakyReLU(0.2) times sqrt(2). Resampling is bilinear (the paper low-pass filters with
[1, 3, 3, 1] around strided convolutions; bilinear interpolation and 2x2 average pooling are
the same kind of filter, simpler on a CPU).
"""

from __future__ import annotations

import itertools
from math import sqrt

import torch
import torch.nn.functional as F
from torch import Tensor, nn

GAIN = sqrt(2.0)
"""The gain after every LeakyReLU(0.2) (keeps the activations' scale)."""


def lrelu(x: Tensor) -> Tensor:
    """LeakyReLU(0.2) times sqrt(2)."""
    return F.leaky_relu(x, 0.2) * GAIN


class EqualLinear(nn.Module):
    """A linear layer with the equalized learning rate (``lr_mul`` scales weight and bias)."""

    def __init__(
        self, in_dim: int, out_dim: int, bias_init: float = 0.0, lr_mul: float = 1.0
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init) / lr_mul))
        self.scale, self.lr_mul = lr_mul / sqrt(in_dim), lr_mul

    def forward(self, x: Tensor) -> Tensor:
        """``x W^T + b`` with the runtime scales."""
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqualConv2d(nn.Module):
    """A conv layer (stride 1, same padding) with the equalized learning rate."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_ch)) if bias else None
        self.scale, self.pad = 1 / sqrt(in_ch * kernel * kernel), kernel // 2

    def forward(self, x: Tensor) -> Tensor:
        """The convolution with the runtime weight scale."""
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


class ModulatedConv2d(nn.Module):
    """Modulated (and demodulated) convolution, the paper's replacement for AdaIN.

    The style ``s = A(w)`` (an affine map, bias 1) scales the weight's input channels per
    sample; demodulation divides each output channel's weight by its L2 norm
    (``sqrt(sum w'^2 + 1e-8)``), so outputs keep unit variance without normalising the
    activations. Computed as StyleGAN2's non-fused form (Karras et al.'s ``fused_modconv=False``):
    scale the input channels, convolve, scale the output channels. ``up`` doubles the size first.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int,
        w_dim: int,
        demodulate: bool = True,
        up: bool = False,
    ) -> None:
        super().__init__()
        self.in_ch, self.out_ch, self.kernel = in_ch, out_ch, kernel
        self.demodulate, self.up = demodulate, up
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.scale = 1 / sqrt(in_ch * kernel * kernel)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        """Convolve ``x`` ``(N, in, H, W)`` with the weight modulated by ``w`` ``(N, w_dim)``."""
        s = self.affine(w)  # (N, in)
        weight = self.weight * self.scale  # (out, in, k, k), shared by the batch
        if self.up:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        # conv(x, W * s) == conv(x * s, W): modulate the activations and run one ordinary
        # convolution for the whole batch (a grouped convolution with one group per sample is
        # several times slower on CPUs); demodulation then scales each output channel.
        out = F.conv2d(x * s[:, :, None, None], weight, padding=self.kernel // 2)
        if self.demodulate:
            # sum over in, k, k of (W s)^2 = sum over in of s^2 * (sum over k, k of W^2)
            d = torch.rsqrt(s.pow(2) @ weight.pow(2).sum(dim=(2, 3)).t() + 1e-8)  # (N, out)
            out = out * d[:, :, None, None]
        return out


class StyledLayer(nn.Module):
    """Modulated 3x3 conv, per-pixel noise (learnt strength, 0 at start), bias, LeakyReLU.

    The noise is fresh N(0, 1) in training mode and a fixed buffer in eval mode (the paper's
    "const" noise), so sampling is reproducible from the latents alone.
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, side: int, up: bool) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.register_buffer("noise_const", torch.randn(1, 1, side, side))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        """The layer's output for ``x`` under style ``w``."""
        h = self.conv(x, w)
        if self.training:
            noise = torch.randn(h.shape[0], 1, *h.shape[2:], device=h.device, dtype=h.dtype)
        else:
            noise = self.noise_const.to(h.dtype)
        return lrelu(h + self.noise_strength * noise + self.bias[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, without demodulation, plus a bias."""

    def __init__(self, in_ch: int, channels: int, w_dim: int) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        """The RGB contribution of ``x`` under style ``w``."""
        return self.conv(x, w) + self.bias[None, :, None, None]


class MappingNetwork(nn.Module):
    """z -> w: normalise z (pixel norm), then ``layers`` equalized FC layers at ``lr_mul``."""

    def __init__(self, z_dim: int, w_dim: int, layers: int, lr_mul: float) -> None:
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.fcs = nn.ModuleList(
            EqualLinear(a, b, lr_mul=lr_mul) for a, b in itertools.pairwise(dims)
        )

    def forward(self, z: Tensor) -> Tensor:
        """``w`` ``(N, w_dim)`` for latents ``z``."""
        x = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        for fc in self.fcs:
            x = lrelu(fc(x))
        return x


class DiscriminatorBlock(nn.Module):
    """Residual D block: conv3x3, conv3x3 + 2x2 average pool, skip 1x1 (no bias) + pool, / sqrt 2."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = EqualConv2d(in_ch, in_ch, 3)
        self.conv2 = EqualConv2d(in_ch, out_ch, 3)
        self.skip = EqualConv2d(in_ch, out_ch, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        """Half the size of ``x``."""
        h = lrelu(self.conv1(x))
        h = F.avg_pool2d(lrelu(self.conv2(h)), 2)
        s = self.skip(F.avg_pool2d(x, 2))
        return (h + s) / sqrt(2.0)


def minibatch_stddev(x: Tensor, group: int = 4) -> Tensor:
    """Append one channel: ProGAN's minibatch standard deviation.

    The standard deviation of each feature over a group of samples, averaged over features and
    pixels. The group is the largest divisor of the batch not above ``group``.
    """
    n, c, h, w = x.shape
    g = max(d for d in range(1, min(group, n) + 1) if n % d == 0)
    y = x.view(g, n // g, c, h, w)
    y = (y - y.mean(dim=0)).pow(2).mean(dim=0).add(1e-8).sqrt()  # (n/g, c, h, w)
    y = y.mean(dim=(1, 2, 3)).view(-1, 1, 1, 1).repeat(g, 1, h, w)  # (n, 1, h, w)
    return torch.cat([x, y], dim=1)
