"""Lazy regularisation of a loss's penalty (``GANLoss.penalty_interval``, R1's ``interval``).

The loop takes the penalty on every ``interval``-th D update of the run, times the interval,
and on no other update; with interval 1 it is taken on every update, unscaled.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

import ganzoo
from ganzoo.errors import ConfigError
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

TINY = {
    "architecture": "dcgan",
    "data": "mnist",
    "data_options": {"limit": 256},
    "architecture_options": {"width": 8, "latent_dim": 16},
    "batch_size": 16,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "loss": "r1",
}


def _penalties(tmp_path: Path, interval: int, updates: int) -> tuple[list[int], list[float]]:
    """D updates on which the loss's penalty was computed, and the penalty statistic of each."""
    cfg = TrainConfig(
        **TINY,
        out=str(tmp_path / f"i{interval}"),
        steps=updates,
        loss_options={"gamma": 2.0, "interval": interval},
    )
    t = Trainer.create(cfg)
    called: list[int] = []
    original = t.loss.penalty

    def spy(*args: object) -> torch.Tensor | None:
        called.append(t.updates.batches.consumed - 1)
        return original(*args)

    t.loss.penalty = spy  # type: ignore[method-assign]
    stats = [float(t.updates.d_step()[3][0]) for _ in range(updates)]
    return called, stats


def test_lazy_r1_is_taken_every_interval_updates_times_the_interval(tmp_path: Path) -> None:
    called, stats = _penalties(tmp_path, interval=3, updates=7)
    assert called == [0, 3, 6]
    assert [i for i, s in enumerate(stats) if s != 0] == [0, 3, 6]
    # the statistic is 3x the unscaled penalty: gamma/2 * E||grad||^2 > 0, times 3
    t = Trainer.create(
        TrainConfig(
            **TINY, out=str(tmp_path / "one"), steps=1, loss_options={"gamma": 2.0, "interval": 3}
        )
    )
    x, _ = t.updates.batches.real()
    unscaled = float(t.loss.penalty(t.D, x, x).detach())
    t2 = Trainer.create(
        TrainConfig(
            **TINY, out=str(tmp_path / "two"), steps=1, loss_options={"gamma": 2.0, "interval": 3}
        )
    )
    assert float(t2.updates.d_step()[3][0]) == pytest.approx(3 * unscaled, rel=1e-4)


def test_interval_one_takes_r1_on_every_update(tmp_path: Path) -> None:
    called, stats = _penalties(tmp_path, interval=1, updates=4)
    assert called == [0, 1, 2, 3]
    assert all(s > 0 for s in stats)


def test_interval_must_be_positive() -> None:
    assert ganzoo.build("r1").penalty_interval == 1
    assert ganzoo.build("r1", interval=16).penalty_interval == 16
    with pytest.raises((ValidationError, ConfigError), match="interval"):
        ganzoo.build("r1", interval=0)


def test_a_loss_with_a_bad_interval_is_refused(tmp_path: Path) -> None:
    t = Trainer.create(TrainConfig(**TINY, out=str(tmp_path / "bad"), steps=1))
    u = t.updates
    loss = ganzoo.build("r1")
    loss.penalty_interval = 0
    with pytest.raises(ConfigError, match=r"penalty_interval=0.*int >= 1"):
        type(u)(u.G, u.D, loss, u.opt_g, u.opt_d, 1, u.batches)
