"""``cgan``: conditional GAN of Mirza & Osindero 2014.

The one-hot label enters both networks. G: z -> 200 ReLU and y -> 1000 ReLU, joined in a
1200-unit ReLU layer, then a tanh image. D: x -> 240 maxout units and y -> 50 maxout units
(5 pieces), joined in a 240-unit maxout layer (4 pieces), dropout, then a linear score.
"""

from __future__ import annotations

from math import prod

import torch
from torch import Tensor, nn
from torch.nn.functional import one_hot

from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.models.blocks import Maxout, data_shape, require_labels, warn_large_mlp
from ganzoo.models.configs import CGANConfig
from ganzoo.specs import DatasetSpec


class CGANGenerator(Generator):
    """Two-branch MLP generator conditioned on a one-hot class."""

    def __init__(self, config: CGANConfig, output_shape: tuple[int, ...], num_classes: int):
        super().__init__()
        self.latent_dim = config.latent_dim
        self.num_classes = num_classes
        self.output_shape = tuple(output_shape)
        hz, hy, hj = config.g_hidden
        self.z_branch = nn.Sequential(nn.Linear(config.latent_dim, hz), nn.ReLU(inplace=True))
        self.y_branch = nn.Sequential(nn.Linear(num_classes, hy), nn.ReLU(inplace=True))
        self.joint = nn.Sequential(
            nn.Linear(hz + hy, hj),
            nn.ReLU(inplace=True),
            nn.Linear(hj, prod(self.output_shape)),
            nn.Unflatten(1, self.output_shape),
            nn.Tanh(),
        )

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Samples from ``z`` and the one-hot labels ``y`` (required)."""
        code = one_hot(require_labels(y, "cgan's generator"), self.num_classes).float()
        return self.joint(torch.cat([self.z_branch(z), self.y_branch(code)], dim=1))


class CGANDiscriminator(Discriminator):
    """Two-branch maxout discriminator conditioned on a one-hot class."""

    def __init__(self, config: CGANConfig, input_shape: tuple[int, ...], num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        hx, hy, hj = config.d_hidden
        drop = config.dropout
        self.x_branch = nn.Sequential(
            nn.Flatten(), Maxout(prod(input_shape), hx, config.maxout), nn.Dropout(drop)
        )
        self.y_branch = nn.Sequential(Maxout(num_classes, hy, config.maxout), nn.Dropout(drop))
        self.joint = nn.Sequential(Maxout(hx + hy, hj, 4), nn.Dropout(drop))
        self.head = nn.Linear(hj, 1)

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores and joint features of ``x`` and the one-hot labels ``y`` (required)."""
        code = one_hot(require_labels(y, "cgan's discriminator"), self.num_classes).float()
        features = self.joint(torch.cat([self.x_branch(x), self.y_branch(code)], dim=1))
        return DiscriminatorOutput(scores=self.head(features).squeeze(1), features=features)


def build(config: CGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build the conditional MLP pair; ``data`` must have classes.

    Any image size; above 64x64 a warning says the networks grow with the pixels.
    """
    assert data.num_classes is not None  # build_architecture rejects unlabelled data
    shape = data_shape(data.shape, "architecture 'cgan'")
    g = CGANGenerator(config, shape, data.num_classes)
    d = CGANDiscriminator(config, shape, data.num_classes)
    warn_large_mlp(shape, "architecture 'cgan'", g, d)
    return g, d
