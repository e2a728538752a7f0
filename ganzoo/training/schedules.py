"""Learning-rate schedules of G and D: torch ``LambdaLR`` schedulers stepped once per G update.

``lr_schedule`` is ``constant`` (the default: the papers' fixed rates), ``linear`` (decay to 0
at the last step, as SNGAN and BigGAN's small-data recipes) or ``cosine`` (half a cosine to 0);
``lr_decay_start`` holds the rate until that G update and decays it over the rest (CycleGAN's
"n_epochs + n_epochs_decay"); ``lr_warmup`` G updates ramp the rate up linearly from
``1/lr_warmup`` of it first. D's rate
follows the same factor at the same G update (with ``n_critic`` D steps per G update, all of
one G update's D steps use one rate).

The schedulers' position is the number of G updates done, kept in a buffer of the module
`LRSchedules`, which checkpoints save with the weights; the optimizers' current rates are in
their own saved state. A resumed run therefore goes on with the rates an uninterrupted run has.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

LRSchedule = Literal["constant", "linear", "cosine"]


def lr_factor(
    schedule: LRSchedule, total: int, warmup: int = 0, start: int = 0
) -> Callable[[int], float]:
    """The factor of the base rate after ``t`` G updates.

    Args:
        schedule: ``constant``, ``linear`` or ``cosine``.
        total: G updates the run makes (the decay reaches 0 there).
        warmup: G updates of linear warm-up (0: none).
        start: The G update the decay begins at (the factor is 1 before it).

    Returns:
        ``f(t)``: 1 throughout for ``constant``; with ``s = (t - start)/(total - start)``
        clipped to [0, 1], ``1 - s`` for ``linear`` and ``(1 + cos(pi s)) / 2`` for
        ``cosine``; times ``min(1, (t + 1)/warmup)``.
    """
    total = max(total, 1)
    start = min(max(start, 0), total - 1)
    span = total - start

    def factor(t: int) -> float:
        frac = min(max(t - start, 0) / span, 1.0)
        if schedule == "linear":
            f = 1.0 - frac
        elif schedule == "cosine":
            f = 0.5 * (1.0 + math.cos(math.pi * frac))
        else:
            f = 1.0
        if warmup > 0:
            f *= min(1.0, (t + 1) / warmup)
        return f

    return factor


class LRSchedules(nn.Module):
    """G's and D's schedulers, and the count of G updates they are at (a saved buffer).

    Args:
        opt_g: G's optimizer.
        opt_d: D's optimizer.
        schedule: ``constant``, ``linear`` or ``cosine``.
        total: G updates the run makes.
        warmup: G updates of warm-up.
        start: The G update the decay begins at.
    """

    def __init__(
        self,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer,
        schedule: LRSchedule,
        total: int,
        warmup: int = 0,
        start: int = 0,
    ) -> None:
        super().__init__()
        self.schedule, self.total, self.warmup, self.start = schedule, total, warmup, start
        factor = lr_factor(schedule, total, warmup, start)
        self._factor = factor
        self.schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, factor) for opt in (opt_g, opt_d)]
        # G updates done; on the CPU, so reading it is no device sync
        self.register_buffer("updates", torch.zeros((), dtype=torch.int64))

    def step(self) -> None:
        """After one G update: every scheduler moves to the next G update's rate."""
        done = int(self.updates) + 1
        self.updates.fill_(done)
        for sched in self.schedulers:
            sched.last_epoch = done - 1  # the position a checkpoint restored
            sched.step()

    def move_to(self, updates: int) -> None:
        """Stand at ``updates`` G updates done, with the rates the schedule has there.

        For a checkpoint saved without a schedule (a run that had a constant rate and now
        resumes with a decay): its position is its step.
        """
        self.updates.fill_(updates)
        for sched in self.schedulers:
            sched.last_epoch = updates
            for group, base in zip(sched.optimizer.param_groups, sched.base_lrs, strict=True):
                group["lr"] = base * self._factor(updates)

    def rates(self) -> tuple[float, float]:
        """G's and D's current learning rates (of their first parameter group)."""
        lr_g, lr_d = (s.optimizer.param_groups[0]["lr"] for s in self.schedulers)
        return float(lr_g), float(lr_d)

    def extra_repr(self) -> str:
        """The schedule, in the module's repr."""
        return (
            f"schedule={self.schedule}, total={self.total}, warmup={self.warmup}, "
            f"start={self.start}"
        )
