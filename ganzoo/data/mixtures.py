"""The 2-D Gaussian mixtures of the PacGAN protocol: a ring of 8 and a grid of 25."""

from __future__ import annotations

import math

import torch

from ganzoo.data.configs import GridConfig, RingConfig
from ganzoo.data.tensor_data import TensorData
from ganzoo.specs import DatasetSpec


def ring_modes(modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """Centres of the ring's Gaussians, ``(modes, 2)``."""
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], 1)).float()


def grid_modes(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """Centres of the grid's Gaussians, ``(side*side, 2)``."""
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], 1)


def _mixture(
    centres: torch.Tensor, sigma: float, size: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, centres.shape[0], (size,), generator=gen)
    points = centres[labels] + sigma * torch.randn(size, 2, generator=gen)
    return points, labels


def build_ring(config: RingConfig, spec: DatasetSpec) -> TensorData:
    """Samples of the ring mixture described by ``spec`` (the registered entry being built)."""
    centres = ring_modes(config.modes, config.radius)
    x, _ = _mixture(centres, config.sigma, config.limit or config.size, config.seed)
    return TensorData(x, None, spec, modes=centres)


def build_grid(config: GridConfig, spec: DatasetSpec) -> TensorData:
    """Samples of the grid mixture described by ``spec`` (the registered entry being built)."""
    centres = grid_modes(config.side, config.spacing)
    x, _ = _mixture(centres, config.sigma, config.limit or config.size, config.seed)
    return TensorData(x, None, spec, modes=centres)
