"""Building blocks shared by the built-in architectures (and usable by plugins).

* ``conv_plan`` sizes a DCGAN-style network from an image shape: DCGAN's ladder (a 4-7 px
  start doubled by stride-2 layers: 28 -> 7x7 and 2 steps, 32/64/128 -> 4x4 and 3/4/5 steps);
* ``ConvGenerator`` / ``ConvDiscriminator``: DCGAN's G and D, with options for the
  variants (normalisation, spectral norm, class conditioning of G);
* ``MLPGenerator`` / ``MLPDiscriminator``: fully connected nets for images and points;
* ``dcgan_init_``, ``require_labels``, ``Maxout``, ``LabelCode``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.functional import one_hot
from torch.nn.utils.parametrizations import spectral_norm

from ganzoo.errors import DataError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.specs import DatasetSpec

MAX_CONV_SIDE = 256
"""The largest image side the convolutional ladder builds (G starts with ``width * 32``
channels at 256 px; larger DCGAN-style networks are not what the papers trained)."""

MLP_REASONABLE_PIXELS = 64 * 64
"""Above this many pixels per channel, fully connected architectures warn (see
``warn_large_mlp``)."""


@dataclass(frozen=True)
class ConvPlan:
    """How a DCGAN-style network covers an image: ``steps`` stride-2 layers from ``start``."""

    channels: int
    start: tuple[int, int]
    steps: int


def data_shape(shape: Sequence[int] | None, who: str) -> tuple[int, ...]:
    """``shape`` as a tuple, or a ``DataError`` when the data set has no fixed shape.

    Args:
        shape: A data spec's sample shape (None: it comes from the files).
        who: Names the architecture in the message.

    Raises:
        DataError: ``shape`` is None.
    """
    if shape is None:
        raise DataError(
            f"{who} is sized from the data, but this data set's shape comes from its files: "
            "build the data first and pass it (data=the built data or its spec)"
        )
    return tuple(int(s) for s in shape)


def _ladder(side: int) -> tuple[int, int]:
    """``(start, steps)``: halve ``side`` while it stays even and the half is at least 4."""
    start, steps = side, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, steps = start // 2, steps + 1
    return start, steps


def conv_sides(limit: int = MAX_CONV_SIDE) -> list[int]:
    """Every image side the convolutional ladder makes, up to ``limit``, in order."""
    return [s for s in range(16, limit + 1) if 4 <= _ladder(s)[0] <= 7 and _ladder(s)[1] >= 2]


def conv_plan(shape: Sequence[int] | None, who: str = "this architecture") -> ConvPlan:
    """Plan the stride-2 layers for images of ``shape`` ``(C, H, W)``: DCGAN's ladder.

    G projects z to a ``start`` image of 4 to 7 px a side and doubles it ``steps`` times with
    stride-2 transposed convolutions; D mirrors it. As in the papers: 64 -> 4x4 and four
    steps (DCGAN), 32 -> 4x4 and three (the CIFAR networks of WGAN-GP, SNGAN, AC-GAN), 128 ->
    4x4 and five, 48 -> 6x6 and three (SNGAN's STL-10), 28 -> 7x7 and two (MNIST). A side
    is halved while it stays even and the half is at least 4, so a side must be 4, 5, 6 or 7
    times 2**steps with ``steps >= 2`` (16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112,
    128, ...; at most ``MAX_CONV_SIDE``), both sides with the same ``steps``.

    Raises:
        DataError: A shape the ladder cannot make (one line naming the sizes it can).
    """
    if shape is not None and len(shape) != 3:
        raise DataError(
            f"{who} needs images of shape (C, H, W); got samples of shape {tuple(shape)}"
        )
    c, h, w = data_shape(shape, who)
    (start_h, steps_h), (start_w, steps_w) = _ladder(h), _ladder(w)
    fits = all(4 <= s <= 7 for s in (start_h, start_w)) and min(steps_h, steps_w) >= 2
    if not fits or steps_h != steps_w or max(h, w) > MAX_CONV_SIDE:
        raise DataError(
            f"{who} cannot make {h}x{w} images: its sides are 4-7 px doubled at least twice, "
            f"height and width the same number of times, up to {MAX_CONV_SIDE} px (28, 32, 48, "
            "64, 96, 128, ...); resize the images, e.g. to 32x32 or 64x64 (--resolution 64)"
        )
    return ConvPlan(channels=c, start=(start_h, start_w), steps=steps_h)


def warn_large_mlp(shape: Sequence[int], who: str, *nets: nn.Module) -> None:
    """Warn when a fully connected architecture is built for images above 64x64.

    Fully connected G and D work at any size, but their first and last layers grow with the
    pixel count and learn no image structure: above ``MLP_REASONABLE_PIXELS`` pixels a
    ``UserWarning`` says so, with the networks' parameter count.

    Args:
        shape: The data's sample shape.
        who: Names the architecture in the message.
        nets: The networks built (their parameters are counted).
    """
    if len(shape) != 3 or shape[1] * shape[2] <= MLP_REASONABLE_PIXELS:
        return
    params = sum(p.numel() for net in nets for p in net.parameters())
    warnings.warn(
        f"{who} is fully connected: on {shape[1]}x{shape[2]} images its G and D hold "
        f"{params / 1e6:.0f}M parameters and learn no image structure; a convolutional "
        "architecture (dcgan, sngan, ...) fits this size",
        UserWarning,
        stacklevel=3,
    )


def dcgan_init_(module: nn.Module) -> nn.Module:
    """DCGAN's initialisation, in place.

    Conv/linear weights N(0, 0.02), biases 0,
    BatchNorm weights N(1, 0.02) and biases 0. Returns ``module``.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


def spectral_norm_all_(module: nn.Module) -> nn.Module:
    """Put a spectral-norm parametrization on every conv and linear layer of ``module``."""
    for m in list(module.modules()):
        if isinstance(m, nn.Conv2d | nn.Linear):
            spectral_norm(m)
    return module


def require_labels(y: Tensor | None, who: str) -> Tensor:
    """``y`` as a LongTensor, or a ``DataError`` if it is missing."""
    if y is None:
        raise DataError(
            f"{who} is conditional and needs class labels y (a LongTensor of class ids); got None"
        )
    return y.long()


class LabelCode(nn.Module):
    """Class ids -> a vector: one-hot (``embed_dim=None``) or a learnt embedding."""

    def __init__(self, num_classes: int, embed_dim: int | None = None) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if embed_dim else None
        self.dim = embed_dim or num_classes

    def forward(self, y: Tensor) -> Tensor:
        """The code of labels ``y``: ``(N, dim)``."""
        if self.embed is not None:
            return self.embed(y)
        return one_hot(y, self.num_classes).float()


class Maxout(nn.Module):
    """Linear layer with ``pieces`` outputs per unit, keeping their maximum (Goodfellow 2013)."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: Tensor) -> Tensor:
        """The maximum over the pieces of each unit."""
        return self.linear(x).view(-1, self.units, self.pieces).amax(dim=-1)


def is_channels_last(x: Tensor) -> bool:
    """True for a 4-D tensor laid out channels_last (and not also plain contiguous)."""
    return (
        x.dim() == 4
        and x.is_contiguous(memory_format=torch.channels_last)
        and not x.is_contiguous()
    )


class _GradInInputLayout(torch.autograd.Function):
    """Identity whose backward hands back the gradient in the input's memory format."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        ctx.channels_last = is_channels_last(x)
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        if ctx.channels_last:
            return grad.contiguous(memory_format=torch.channels_last)
        return grad


class GradInInputLayout(nn.Module):
    """Makes the gradient entering a flatten match channels_last activations (CPU speed).

    Put before ``nn.Flatten`` on channels_last activations: flatten's backward returns a
    plain contiguous gradient, and an elementwise backward (LeakyReLU's) on a channels_last
    activation with a contiguous gradient runs about 30x slower on CPU than with matching
    layouts. Values are unchanged.
    """

    def forward(self, x: Tensor) -> Tensor:
        """``x`` unchanged; only its gradient's layout changes."""
        if not torch.is_grad_enabled():  # no backward to shape: plain identity (exportable)
            return x
        return _GradInInputLayout.apply(x)


def _norm2d(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # LayerNorm over (C, H, W), per sample
    return nn.Identity()


class ConvGenerator(Generator):
    """DCGAN's generator: project-and-reshape, then stride-2 transposed convolutions.

    BatchNorm and ReLU after every layer but the output, which is tanh. With ``num_classes``
    the class code (one-hot or embedding, see ``LabelCode``) is concatenated to ``z``.
    """

    def __init__(
        self,
        latent_dim: int,
        output_shape: Sequence[int],
        width: int = 64,
        num_classes: int | None = None,
        embed_dim: int | None = None,
    ) -> None:
        super().__init__()
        plan = conv_plan(output_shape, type(self).__name__)
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.output_shape = tuple(output_shape)
        self.label = LabelCode(num_classes, embed_dim) if num_classes else None
        in_dim = latent_dim + (self.label.dim if self.label else 0)
        c = width * 2 ** (plan.steps - 1)
        h, w = plan.start
        layers: list[nn.Module] = [
            nn.Linear(in_dim, c * h * w, bias=False),
            nn.Unflatten(1, (c, h, w)),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
        ]
        for _ in range(plan.steps - 1):
            layers += [
                nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c // 2),
                nn.ReLU(inplace=True),
            ]
            c //= 2
        layers += [nn.ConvTranspose2d(c, plan.channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from ``z`` (and the class code of ``y`` when conditional)."""
        if self.label is not None:
            code = self.label(require_labels(y, type(self).__name__))
            z = torch.cat([z, code], dim=1)
        project, unflatten, *rest = self.net
        x = unflatten(project(z))
        if is_channels_last(rest[2].weight):
            # the model is channels_last: lay the projection out like the convolutions that
            # follow (mixed layouts make BatchNorm/ReLU's backward and the conv reorder slow)
            x = x.contiguous(memory_format=torch.channels_last)
        for layer in rest:
            x = layer(x)
        return x


class ConvTrunk(nn.Module):
    """DCGAN's discriminator body.

    Stride-2 convolutions with LeakyReLU(0.2), no norm on the
    input layer; returns the flattened penultimate features ``(N, out_features)``.
    """

    def __init__(
        self, input_shape: Sequence[int], width: int = 64, norm: str = "batch", who: str = "D"
    ) -> None:
        super().__init__()
        plan = conv_plan(input_shape, who)
        layers: list[nn.Module] = [
            nn.Conv2d(plan.channels, width, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        c = width
        for _ in range(plan.steps - 1):
            layers += [
                nn.Conv2d(c, c * 2, 4, 2, 1, bias=norm == "none"),
                _norm2d(norm, c * 2),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            c *= 2
        layers += [GradInInputLayout(), nn.Flatten()]
        self.net = nn.Sequential(*layers)
        self.out_features = c * plan.start[0] * plan.start[1]

    def forward(self, x: Tensor) -> Tensor:
        """The flattened penultimate features ``(N, out_features)``."""
        return self.net(x)


class ConvDiscriminator(Discriminator):
    """DCGAN's discriminator.

    ``ConvTrunk`` and a linear score head (no sigmoid: scores
    are logits or critic values). ``spectral=True`` puts spectral norm on every layer.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        width: int = 64,
        norm: str = "batch",
        spectral: bool = False,
    ) -> None:
        super().__init__()
        self.trunk = ConvTrunk(input_shape, width, norm, who=type(self).__name__)
        self.head = nn.Linear(self.trunk.out_features, 1)
        dcgan_init_(self)
        if spectral:
            spectral_norm_all_(self)

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores and the trunk's features; ``y`` is not used."""
        features = self.trunk(x)
        return DiscriminatorOutput(scores=self.head(features).squeeze(1), features=features)


class MLPGenerator(Generator):
    """Fully connected generator.

    ReLU hidden layers (optionally BatchNorm), then a linear
    layer reshaped to ``output_shape``; tanh output when ``bounded`` (images), linear otherwise
    (points).
    """

    def __init__(
        self,
        latent_dim: int,
        output_shape: Sequence[int],
        hidden: Sequence[int],
        bounded: bool = True,
        batchnorm: bool = False,
    ) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.num_classes = None
        self.output_shape = tuple(output_shape)
        layers: list[nn.Module] = []
        d = latent_dim
        for h in hidden:
            layers.append(nn.Linear(d, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU(inplace=True))
            d = h
        layers += [nn.Linear(d, prod(self.output_shape)), nn.Unflatten(1, self.output_shape)]
        if bounded:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Samples of ``output_shape`` from ``z``; ``y`` is not used."""
        return self.net(z)


class MLPDiscriminator(Discriminator):
    """Fully connected discriminator on flattened samples.

    Maxout (``maxout`` pieces) or
    LeakyReLU(0.2) hidden layers with dropout; the last hidden layer gives the features.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        hidden: Sequence[int],
        maxout: int | None = None,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        d = prod(input_shape)
        for h in hidden:
            if maxout:
                layers.append(Maxout(d, h, maxout))
            else:
                layers += [nn.Linear(d, h), nn.LeakyReLU(0.2, inplace=True)]
            if dropout:
                layers.append(nn.Dropout(dropout))
            d = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(d, 1)

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores and the last hidden layer's features; ``y`` is not used."""
        features = self.body(x)
        return DiscriminatorOutput(scores=self.head(features).squeeze(1), features=features)


def is_image(data: DatasetSpec) -> bool:
    """True for image data sets (outputs bounded by tanh), False for points."""
    return data.modality == "image"
