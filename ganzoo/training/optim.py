"""Optimizers for G and D from the architecture's defaults and the run's overrides."""

from __future__ import annotations

import torch
from torch import nn

from ganzoo.specs import ArchitectureSpec
from ganzoo.training.config import OptimizerConfig


def make_optimizers(
    arch: ArchitectureSpec, cfg: OptimizerConfig, G: nn.Module, D: nn.Module, device: torch.device
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer, int]:
    """``(opt_g, opt_d, n_critic)``: unset fields of ``cfg`` take ``arch.optimizer``'s values."""
    base = arch.optimizer
    name = cfg.name or base.name
    lr_g = cfg.lr_g or base.lr_g
    lr_d = cfg.lr_d or base.lr_d
    betas = cfg.betas or base.betas
    n_critic = cfg.n_critic or base.n_critic

    def make(params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
        if name == "adam":
            return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)
        if name == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, foreach=True)
        return torch.optim.SGD(params, lr=lr, momentum=betas[0], foreach=True)

    return make(list(G.parameters()), lr_g), make(list(D.parameters()), lr_d), n_critic
