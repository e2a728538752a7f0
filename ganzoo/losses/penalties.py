"""Gradient penalties on the discriminator, as plain functions, and the losses built on them.

The functions return the *unweighted* penalty (a scalar); the loss classes multiply by their
weight. Every function:

* calls ``discriminator(x, y)`` (scores of shape ``(N,)``) on fresh, detached inputs, so no
  gradient flows back into the generator and nothing is accumulated in ``.grad`` of D's
  parameters (the input gradient is taken with ``torch.autograd.grad``);
* takes that gradient with ``create_graph=True`` when autograd is on, so the penalty trains D;
  under ``torch.no_grad`` it returns a detached value and keeps no graph;
* works on samples of any shape, ``(N, 2)`` points or ``(N, C, H, W)`` images: norms are taken
  over all non-batch dimensions, and random interpolation weights are drawn once per sample.

Gradients are taken of ``scores.sum()``, which gives per-sample gradients only when D treats the
samples of a batch independently (no BatchNorm in D, as WGAN-GP prescribes).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.interfaces import Discriminator
from ganzoo.losses._common import WeightedPenalty
from ganzoo.losses.classic import NonSaturatingLoss
from ganzoo.losses.configs import DraganConfig, R1Config


def _check_pair(real: Tensor, fake: Tensor) -> None:
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake batches must have the same shape for a gradient penalty, got "
            f"{tuple(real.shape)} and {tuple(fake.shape)}"
        )


def per_sample_uniform(like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """U[0, 1) weights, one per sample, shaped ``(N, 1, ..., 1)`` to broadcast over ``like``."""
    n = like.shape[0]
    device = generator.device if generator is not None else like.device
    u = torch.rand(n, generator=generator, device=device, dtype=like.dtype).to(like.device)
    return u.view(n, *([1] * (like.dim() - 1)))


def interpolate(real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """WGAN-GP's ``x_hat = eps * real + (1 - eps) * fake``, ``eps ~ U[0, 1]`` once per sample.

    Both inputs are detached; the result does not require grad.
    """
    _check_pair(real, fake)
    eps = per_sample_uniform(real, generator)
    return eps * real.detach() + (1.0 - eps) * fake.detach()


def input_gradients(
    discriminator: Discriminator | torch.nn.Module,
    x: Tensor,
    y: Tensor | None = None,
) -> Tensor:
    """``grad_x sum_i D(x_i, y_i)`` at ``x`` (detached first), same shape as ``x``.

    Built with ``create_graph=True`` when autograd is enabled, so a penalty on it trains D.
    """
    create_graph = torch.is_grad_enabled()
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        scores = discriminator(x, y)
        (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=create_graph, allow_unused=True)
    if grad is None:  # D ignores its input: the gradient is zero
        grad = torch.zeros_like(x)
    return grad if create_graph else grad.detach()


def grad_norms(grad: Tensor) -> Tensor:
    """L2 norm of each sample's gradient over all non-batch dimensions, shape ``(N,)``."""
    return torch.linalg.vector_norm(grad.flatten(1), ord=2, dim=1)


def gradient_penalty(
    discriminator: Discriminator | torch.nn.Module,
    real: Tensor,
    fake: Tensor,
    y: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017), unweighted: ``E[(||grad D(x_hat)||_2 - 1)^2]``.

    ``x_hat`` comes from ``interpolate`` (``eps`` per sample); ``y`` is passed to D as is.
    """
    grad = input_gradients(discriminator, interpolate(real, fake, generator), y)
    return (grad_norms(grad) - 1.0).pow(2).mean()


def r1_penalty(
    discriminator: Discriminator | torch.nn.Module,
    real: Tensor,
    y: Tensor | None = None,
) -> Tensor:
    """R1's squared gradient norm on real data, unweighted.

    ``E[||grad_x D(x)||_2^2]`` (Mescheder et al. 2018). The R1 regulariser is ``gamma / 2`` times this.
    """
    grad = input_gradients(discriminator, real, y)
    return grad.flatten(1).pow(2).sum(1).mean()


def dragan_perturb(
    real: Tensor,
    scale: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Points near the data for DRAGAN, detached.

    As the widely used reference code of DRAGAN (Kodali et al. 2017)
    makes them: ``x_p = x + scale * std(x) * U[0, 1)`` noise (std over the whole batch), then
    ``x + alpha * (x_p - x)`` with ``alpha ~ U[0, 1]`` once per sample. The result is detached.
    """
    real = real.detach()
    device = generator.device if generator is not None else real.device
    noise = torch.rand(real.shape, generator=generator, device=device, dtype=real.dtype)
    std = real.std() if real.numel() > 1 else real.new_zeros(())
    x_p = real + scale * std * noise.to(real.device)
    alpha = per_sample_uniform(real, generator)
    return real + alpha * (x_p - real)


def dragan_penalty(
    discriminator: Discriminator | torch.nn.Module,
    real: Tensor,
    y: Tensor | None = None,
    scale: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    """DRAGAN's penalty, unweighted.

    ``E[(||grad D(x_tilde)||_2 - 1)^2]`` at perturbed real data
    ``x_tilde`` from ``dragan_perturb``.
    """
    grad = input_gradients(discriminator, dragan_perturb(real, scale, generator), y)
    return (grad_norms(grad) - 1.0).pow(2).mean()


class R1Loss(WeightedPenalty, NonSaturatingLoss):
    """Non-saturating loss plus the R1 penalty ``gamma / 2 * E[||grad_x D(x_real)||^2]``.

    With ``interval`` > 1 the loop takes it lazily (`GANLoss.penalty_interval`).
    """

    name = "r1"

    def __init__(self, config: R1Config | None = None) -> None:
        self.config = config or R1Config()
        self.gamma = self.config.gamma
        self.penalty_interval = self.config.interval

    @property
    def penalty_weight(self) -> float:
        """R1 is ``gamma / 2`` times the mean squared gradient norm."""
        return 0.5 * self.gamma

    def unweighted_penalty(
        self, discriminator: Discriminator, real: Tensor, fake: Tensor, y: Tensor | None
    ) -> Tensor:
        """``r1_penalty(D, real, y)``; ``fake`` is unused."""
        return r1_penalty(discriminator, real, y)


class DraganLoss(WeightedPenalty, NonSaturatingLoss):
    """Non-saturating loss plus DRAGAN's penalty ``weight * E[(||grad D(x_tilde)|| - 1)^2]``."""

    name = "dragan"

    def __init__(self, config: DraganConfig | None = None) -> None:
        self.config = config or DraganConfig()
        self.weight, self.scale = self.config.weight, self.config.scale

    def unweighted_penalty(
        self, discriminator: Discriminator, real: Tensor, fake: Tensor, y: Tensor | None
    ) -> Tensor:
        """``dragan_penalty(D, real, y)``; ``fake`` is unused."""
        return dragan_penalty(discriminator, real, y, scale=self.scale)


def build_r1(config: R1Config | None = None) -> R1Loss:
    """Builder of the ``r1`` entry."""
    return R1Loss(config)


def build_dragan(config: DraganConfig | None = None) -> DraganLoss:
    """Builder of the ``dragan`` entry."""
    return DraganLoss(config)
