"""An exponential moving average of G that is right with BatchNorm.

The EMA's weights follow G's: ``w_ema <- decay * w_ema + (1 - decay) * w``. BatchNorm's running
statistics are not weights: G's own buffers describe the activations of G's weights, not those
of the averaged ones, and an EMA generator sampled in eval mode with G's statistics normalises
its features with the wrong mean and variance (on dcgan/MNIST this made the EMA's samples worse
than G's; docs/training.md has the figures). `batchnorm` chooses what the EMA keeps:

- ``recompute`` (default): before the EMA generator is used (a sample grid, a checkpoint, the
  diagnostics), its BatchNorm statistics are re-estimated from its own activations: BatchNorm
  layers in train mode with a cumulative average, over ``bn_batches`` batches of latents drawn
  from a generator of their own (fixed seed), so the run's random stream is untouched and a
  resumed run stays bit-exact. Done only when the weights moved since the last estimate.
- ``average``: an EMA of the running statistics too (same decay), which lags like the weights.
- ``copy``: G's buffers copied (what ganzoo did before; kept to compare).

Other buffers (spectral norm's power-iteration vectors, ...) are copied from G in every mode.
Without BatchNorm in G the three are the same.
"""

from __future__ import annotations

import copy
from typing import Literal

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ganzoo.interfaces import Generator

EMABatchNorm = Literal["recompute", "average", "copy"]

BN_SEED = 20_160_701
"""The seed of the latents that re-estimate the EMA's BatchNorm statistics (never the run's)."""


def batchnorm_layers(module: nn.Module) -> list[_BatchNorm]:
    """The BatchNorm layers of ``module`` that keep running statistics."""
    return [m for m in module.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]


class EMAGenerator:
    """The EMA copy of a generator (see the module docstring).

    Args:
        G: The generator being trained (copied now; its later changes are followed by
            `update`).
        decay: The EMA decay per G update, e.g. 0.999.
        batchnorm: What the EMA keeps of BatchNorm's statistics: ``recompute``, ``average`` or
            ``copy``.
        bn_batches: Batches of latents that re-estimate the statistics (``recompute``).
        bn_batch_size: Latents per batch.
        start: The G update the average starts at; before it the EMA is a copy of G
            (BigGAN's ``ema_start``), so a run without an EMA can be extended with one.
        warmup: Use ``min(decay, (1 + t) / (10 + t))`` at G update ``t`` (as TensorFlow's
            ``ExponentialMovingAverage(num_updates=t)``), so the average forgets G's
            initial weights in a short run; False: ``decay`` from the start.
    """

    def __init__(
        self,
        G: Generator,
        decay: float,
        batchnorm: EMABatchNorm = "recompute",
        bn_batches: int = 8,
        bn_batch_size: int = 64,
        warmup: bool = False,
        start: int = 0,
    ) -> None:
        self.module: Generator = copy.deepcopy(G).eval().requires_grad_(False)
        self.decay, self.batchnorm, self.warmup, self.start = decay, batchnorm, warmup, start
        self.bn_batches, self.bn_batch_size = bn_batches, bn_batch_size
        self._bn = batchnorm_layers(self.module)
        bn_buffers = {id(b) for m in batchnorm_layers(G) for b in m.buffers(recurse=False)}
        # G's buffers, each paired with the EMA's, and whether it is a BatchNorm statistic
        self._pairs = [
            (b_ema, b, id(b) in bn_buffers)
            for b_ema, b in zip(self.module.buffers(), G.buffers(), strict=True)
        ]
        self._params = list(zip(self.module.parameters(), G.parameters(), strict=True))
        self._stale = bool(self._bn) and batchnorm == "recompute"

    def decay_at(self, t: int) -> float:
        """The decay used at G update ``t`` (0-based).

        0 before ``start`` (the EMA copies G), then ``decay``, or its warm-up value counted from
        ``start``.
        """
        if t < self.start:
            return 0.0
        if not self.warmup:
            return self.decay
        u = t - self.start
        return min(self.decay, (1 + u) / (10 + u))

    @torch.no_grad()
    def update(self, t: int) -> None:
        """Move the EMA toward G after G update ``t`` (device work only)."""
        decay = self.decay_at(t)
        ema_p, g_p = [p for p, _ in self._params], [p for _, p in self._params]
        if decay == 0.0:  # before the start: an exact copy (a lerp by 1 may round)
            torch._foreach_copy_(ema_p, g_p)
        else:
            torch._foreach_lerp_(ema_p, g_p, 1.0 - decay)
        for b_ema, b, is_bn in self._pairs:
            if is_bn and self.batchnorm == "recompute":
                continue
            if is_bn and self.batchnorm == "average" and b.is_floating_point():
                b_ema.lerp_(b, 1.0 - decay)
            else:
                b_ema.copy_(b)
        self._stale = bool(self._bn) and self.batchnorm == "recompute"

    def ready(self) -> Generator:
        """The EMA generator, its BatchNorm statistics re-estimated first when they are stale."""
        if self._stale:
            self.recompute_batchnorm()
        return self.module

    def mark_loaded(self) -> None:
        """The EMA's weights were replaced (a checkpoint loaded): re-estimate before the next use."""
        self._stale = bool(self._bn) and self.batchnorm == "recompute"

    @torch.no_grad()
    def recompute_batchnorm(self) -> None:
        """Re-estimate the BatchNorm statistics from the EMA's own activations.

        BatchNorm layers run in train mode with a cumulative average (``momentum=None``) over
        ``bn_batches`` batches of latents (and class labels) from a generator of their own, so
        the run's random stream is not touched; everything else stays in eval mode (spectral
        norm does no power iteration here).
        """
        g = self.module
        gen = torch.Generator().manual_seed(BN_SEED)
        device = next(iter(g.parameters())).device
        saved = [m.momentum for m in self._bn]
        try:
            for m in self._bn:
                m.reset_running_stats()
                m.momentum = None
                m.train()
            for _ in range(self.bn_batches):
                z = g.sample_latent(self.bn_batch_size, generator=gen, device="cpu").to(device)
                y = None
                if g.num_classes:
                    y = torch.randint(0, g.num_classes, (self.bn_batch_size,), generator=gen)
                    y = y.to(device)
                g(z, y)
        finally:
            for m, mom in zip(self._bn, saved, strict=True):
                m.momentum = mom
                m.eval()
        self._stale = False
