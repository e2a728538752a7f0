"""Statistics between two records: summed on the device, read back once per record.

The same read carries the largest absolute weight of G and D, so `divergence` can stop a run
whose losses are finite but whose weights ran away, without another host sync. `read_record`
turns one such read into the `ganzoo.events.StepRecord` the callbacks get.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import Tensor

from ganzoo.building import loss_spec
from ganzoo.events import StepRecord
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

    def take(
        self, reduce: Callable[[Tensor], None], watch: Tensor | None = None
    ) -> tuple[dict[str, float], dict[str, float]]:
        """The means since the last call, by name, then start over.

        Args:
            reduce: Averages the sums over the processes in place (a no-op for one process).
            watch: A device scalar read in the same sync (not averaged), returned as
                ``weight_max`` among the statistics (`max_abs_weight`).

        Returns:
            The statistics by `STATS` name (and ``weight_max`` when ``watch`` is given), and G's
            per-layer gradient norms (empty unless they were asked for). Reading them is the
            one host sync of a record.
        """
        reduce(self._acc)
        means = self._acc / max(self.steps, 1)
        if watch is not None:
            means = torch.cat([means, watch.reshape(1).to(means)])
        values = means.tolist()
        layer: dict[str, float] = {}
        if self._layer is not None:
            layer = dict(zip(self.layer_names, (self._layer / self.steps).tolist(), strict=False))
        self._acc.zero_()
        self._layer = None
        self.steps = 0
        names = (*STATS, "weight_max") if watch is not None else STATS
        return dict(zip(names, values, strict=True)), layer


def max_abs_weight(params: Iterable[Tensor]) -> Tensor:
    """The largest absolute value among ``params``, as a device scalar (no host sync)."""
    tensors = [p.detach() for p in params if p.is_floating_point() and p.numel()]
    if not tensors:
        return torch.zeros(())
    return torch.stack([t.abs().amax().float() for t in tensors]).max()


def divergence(stats: dict[str, float], limit: float | None) -> str | None:
    """Why a record's statistics show a diverged run, or None.

    Args:
        stats: A record's statistics (`StatsAccumulator.take`, ``weight_max`` included).
        limit: The largest absolute loss or weight that is still training (None: only
            non-finite losses and gradient norms count).

    Returns:
        What is wrong, as a phrase (``the loss became non-finite (D loss nan, G loss 0.7)``).
    """
    d, g = stats["loss_d"], stats["loss_g"]
    if not (math.isfinite(d) and math.isfinite(g)):
        return f"the loss became non-finite (D loss {d}, G loss {g})"
    grads = {k: stats[k] for k in ("grad_norm_d", "grad_norm_g") if k in stats}
    if bad := [k for k, v in grads.items() if not math.isfinite(v)]:
        return f"a gradient norm became non-finite ({', '.join(f'{k} {grads[k]}' for k in bad)})"
    if limit is None:
        return None
    if max(abs(d), abs(g)) > limit:
        return f"a loss ran past the divergence limit {limit:g} (D loss {d:.4g}, G loss {g:.4g})"
    weight = stats.get("weight_max", 0.0)
    if not math.isfinite(weight) or weight > limit:
        return f"a weight of G or D reached {weight:.4g}, past the divergence limit {limit:g}"
    return None


def read_record(
    acc: StatsAccumulator,
    step: int,
    reduce: Callable[[Tensor], None],
    loss_name: str,
    images_per_second: float,
    limit: float | None,
    weights: Callable[[], Iterable[Tensor]],
) -> tuple[StepRecord, str | None]:
    """The record of the steps summed in ``acc`` (one host sync), and why it shows divergence.

    Args:
        acc: The statistics since the last record; emptied.
        step: The generator step the record ends at.
        reduce: Averages the sums over the processes in place (a no-op for one process).
        loss_name: The run's loss; its spec says what D's scores are (read by consumers).
        images_per_second: Real images per wall second since the last record, all processes.
        limit: ``config.divergence_limit``; when set, the largest weight of ``weights()`` rides
            along in the same read.
        weights: G's and D's parameters (called only when ``limit`` is set).

    Returns:
        The record, and `divergence`'s phrase (None while the run is training).
    """
    watch = None if limit is None else max_abs_weight(weights())
    stats, layer = acc.take(reduce, watch)
    why = divergence(stats, limit)
    stats.pop("weight_max", None)
    loss = loss_spec(loss_name)
    record = StepRecord(
        step=step,
        grad_norms_g=layer,
        loss_name=loss_name,
        scores=loss.scores,
        saturating=loss.saturating,
        images_per_second=images_per_second,
        **stats,
    )
    return record, why
