"""Statistics between two records: summed on the device, read back once per record."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ganzoo.training.updates import STATS


class StatsAccumulator:
    """Sums the update rule's statistics vectors (and G's per-layer norms) on the device.

    Args:
        device: Where the sums live.
        layer_names: The names of G's per-parameter gradient norms, in order.
    """

    def __init__(self, device: torch.device, layer_names: list[str]) -> None:
        self._acc = torch.zeros(len(STATS), device=device)
        self._layer: Tensor | None = None
        self.layer_names = layer_names
        self.steps = 0

    def add(self, stats: Tensor, layer: Tensor | None) -> None:
        """Add one step's statistics (device work only, no sync)."""
        self._acc += stats
        if layer is not None:
            self._layer = layer if self._layer is None else self._layer + layer
        self.steps += 1

    def take(self, reduce: Callable[[Tensor], None]) -> tuple[dict[str, float], dict[str, float]]:
        """The means since the last call, by name, then start over.

        Args:
            reduce: Averages the sums over the processes in place (a no-op for one process).

        Returns:
            The statistics by `STATS` name, and G's per-layer gradient norms (empty unless
            they were asked for). Reading them is the one host sync of a record.
        """
        reduce(self._acc)
        values = (self._acc / max(self.steps, 1)).tolist()
        layer: dict[str, float] = {}
        if self._layer is not None:
            layer = dict(zip(self.layer_names, (self._layer / self.steps).tolist(), strict=False))
        self._acc.zero_()
        self._layer = None
        self.steps = 0
        return dict(zip(STATS, values, strict=True)), layer
