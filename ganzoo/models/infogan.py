"""``infogan``: Chen et al. 2016, information-maximising GAN.

The latent is ``[noise (62) | one-hot categorical code (10) | continuous codes (2)]``:
``InfoGANGenerator.sample_latent`` draws noise ~ N(0, I), the category uniformly and the
continuous codes ~ U[-1, 1]. D shares its trunk with a Q head that predicts the codes,
exposed as ``aux["codes"]`` ``(N, categorical + continuous)``: category logits first, then the
continuous means. ``InfoGANDiscriminator.auxiliary_loss`` is the mutual-information lower
bound's negative: cross-entropy on the category plus (weighted) squared error on the
continuous codes (a fixed-variance Gaussian); None for real data, which has no codes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.functional import cross_entropy, mse_loss, one_hot

from ganzoo.errors import DataError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.models.blocks import ConvDiscriminator, ConvGenerator, conv_plan, dcgan_init_
from ganzoo.models.configs import InfoGANConfig
from ganzoo.specs import DatasetSpec


class InfoGANGenerator(ConvGenerator):
    """DCGAN generator whose latent carries InfoGAN's structured codes."""

    def __init__(self, config: InfoGANConfig, output_shape: tuple[int, ...]) -> None:
        total = config.latent_dim + config.categorical + config.continuous
        super().__init__(total, output_shape, config.width)
        self.noise_dim = config.latent_dim
        self.categorical = config.categorical
        self.continuous = config.continuous

    def sample_latent(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> Tensor:
        """``[noise ~ N(0, I) | one-hot category ~ U{0..K-1} | codes ~ U[-1, 1]]``."""
        device = device if device is not None else self._device()
        noise = torch.randn(n, self.noise_dim, generator=generator, device=device)
        cat = torch.randint(self.categorical, (n,), generator=generator, device=device)
        cont = torch.rand(n, self.continuous, generator=generator, device=device) * 2 - 1
        return torch.cat([noise, one_hot(cat, self.categorical).float(), cont], dim=1)


class InfoGANDiscriminator(ConvDiscriminator):
    """DCGAN discriminator with InfoGAN's Q head on the shared features."""

    def __init__(self, config: InfoGANConfig, input_shape: tuple[int, ...]) -> None:
        super().__init__(input_shape, config.width, norm=config.d_norm)
        self.noise_dim = config.latent_dim
        self.categorical = config.categorical
        self.continuous = config.continuous
        self.lambda_cat = config.lambda_cat
        self.lambda_cont = config.lambda_cont
        self.q_head = dcgan_init_(
            nn.Sequential(
                nn.Linear(self.trunk.out_features, 128),
                nn.BatchNorm1d(128),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(128, config.categorical + config.continuous),
            )
        )

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        """Scores and features of the DCGAN trunk, plus the Q head's ``aux["codes"]``."""
        out = super().forward_all(x)
        assert out.features is not None
        out.aux["codes"] = self.q_head(out.features)
        return out

    def auxiliary_loss(
        self, out: DiscriminatorOutput, y: Tensor | None, z: Tensor | None, real: bool
    ) -> Tensor | None:
        """Code reconstruction loss for generated samples (None for real ones)."""
        if real:
            return None
        if z is None:
            raise DataError("infogan's auxiliary loss needs the latents z the fakes came from")
        k, start = self.categorical, self.noise_dim
        codes = out.aux["codes"]
        target_cat = z[:, start : start + k].argmax(dim=1)
        loss = self.lambda_cat * cross_entropy(codes[:, :k], target_cat)
        if self.continuous:
            loss = loss + self.lambda_cont * mse_loss(codes[:, k:], z[:, start + k :])
        return loss


def build(config: InfoGANConfig, data: DatasetSpec) -> tuple[Generator, Discriminator]:
    """Build InfoGAN's G (structured latent) and D (with the Q head) for ``data``."""
    conv_plan(data.shape, "architecture 'infogan'")
    return InfoGANGenerator(config, data.shape), InfoGANDiscriminator(config, data.shape)
