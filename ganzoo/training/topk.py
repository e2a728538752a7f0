"""Top-k generator updates (Sinha et al. 2020, "Top-k Training of GANs").

G's loss is taken over the ``k`` fakes of its batch that D scores as the most real, and the
others' gradients are dropped: a fake that D rejects outright tends to lie between the data's
modes, and its gradient pulls G toward an average of them. ``k`` starts at the whole batch
(early in training every fake's gradient is useful) and falls to ``fraction`` of it over the
first ``anneal`` G updates, linearly (the paper decays it geometrically per epoch, 0.99 a time,
for runs of hundreds of epochs; a run of a few epochs would never reach its floor).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class TopK:
    """The top-k schedule of one run.

    Attributes:
        fraction: The share of each batch's fakes G's loss keeps once annealed, in (0, 1].
        anneal: The G updates over which the share falls from 1 to ``fraction`` (0: from the
            start).
    """

    fraction: float
    anneal: int = 0

    def kept(self, g_update: int, batch: int) -> int:
        """How many of ``batch`` fakes G's loss keeps at G update ``g_update`` (0-based)."""
        if self.anneal > 0 and g_update < self.anneal:
            share = 1.0 - (1.0 - self.fraction) * g_update / self.anneal
        else:
            share = self.fraction
        return max(1, min(batch, math.ceil(share * batch)))

    def select(self, scores: Tensor, g_update: int) -> Tensor:
        """The scores of the fakes D rates highest (the most real) at G update ``g_update``.

        Args:
            scores: D's raw scores of a batch of fakes, shape ``(N,)`` or ``(N, ...)`` (a
                sample's score is then the mean over its other dimensions).
            g_update: The G update under way (0-based).

        Returns:
            The rows of ``scores`` kept, in no particular order (G's loss is a mean over them);
            ``scores`` itself when every row is kept.
        """
        n = scores.shape[0]
        k = self.kept(g_update, n)
        if k >= n:
            return scores
        rank = scores.detach().reshape(n, -1).float().mean(dim=1)
        return scores.index_select(0, torch.topk(rank, k, sorted=False).indices)
