"""Optimizers for G and D from resolved optimizer settings."""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.errors import ConfigError
from ganzoo.specs import OptimizerSettings


def make_optimizers(
    settings: OptimizerSettings, G: nn.Module, D: nn.Module
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Build G's and D's optimizers.

    Args:
        settings: Complete settings, e.g. ``config.optimizer.resolve(arch.optimizer)``; their
            ``n_critic`` is for the update rule, not used here.
        G: The generator whose parameters the first optimizer updates.
        D: The discriminator whose parameters the second optimizer updates.

    Returns:
        ``(opt_g, opt_d)``.

    Raises:
        ConfigError: A field of ``settings`` is unset (they were not resolved).
    """
    if not settings.complete:
        raise ConfigError(
            f"optimizer settings {settings.model_dump()} are not complete: resolve them over "
            "the architecture's settings first"
        )
    name, betas = settings.name, settings.betas
    assert betas is not None and settings.lr_g is not None and settings.lr_d is not None

    def make(params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
        if name == "adam":
            return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)
        if name == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, foreach=True)
        return torch.optim.SGD(params, lr=lr, momentum=betas[0], foreach=True)

    return make(list(G.parameters()), settings.lr_g), make(list(D.parameters()), settings.lr_d)
