"""A tiny dcgan/MNIST recipe for the zoo's tests: 2 steps on 256 images, a checkpoint each step."""

from __future__ import annotations

from typing import Any

TINY: dict[str, Any] = {
    "architecture": "dcgan",
    "data": "mnist",
    "architecture_options": {"width": 8, "latent_dim": 16},
    "data_options": {"limit": 256},
    "batch_size": 32,
    "steps": 2,
    "seed": 0,
    "checkpoint_every": 1,
    "sample_every": 100,
    "log_every": 1,
    "channels_last": False,
}
"""Every checkpoint stays (keep_checkpoints 2 = both steps)."""


def tiny(**changes: Any) -> dict[str, Any]:
    """``TINY`` with ``changes``."""
    return {**TINY, **changes}
