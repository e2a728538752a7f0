"""A record: the statistics summed on the device between two records, read in one sync."""

from __future__ import annotations

import math

import torch

from ganzoo.training.records import StatsAccumulator, read_record
from ganzoo.training.updates import STATS


def _step(**values: float) -> torch.Tensor:
    return torch.tensor([values.get(name, 0.0) for name in STATS])


def _no_reduce(t: torch.Tensor) -> None:
    return None


def test_a_record_holds_the_means_since_the_last_one_and_starts_over() -> None:
    acc = StatsAccumulator(torch.device("cpu"), ["l1"])
    acc.add(_step(loss_d=1.0, loss_g=2.0), torch.tensor([4.0]))
    acc.add(_step(loss_d=3.0, loss_g=4.0), torch.tensor([2.0]))
    record, why = read_record(acc, 7, _no_reduce, "non-saturating", 128.0, None, list)
    assert why is None
    assert (record.step, record.loss_d, record.loss_g) == (7, 2.0, 3.0)
    assert record.grad_norms_g == {"l1": 3.0}
    assert record.loss_name == "non-saturating" and record.scores == "logits"
    assert record.images_per_second == 128.0
    assert acc.steps == 0  # the next record starts from zero
    acc.add(_step(loss_d=5.0), None)
    again, _ = read_record(acc, 8, _no_reduce, "non-saturating", 1.0, None, list)
    assert again.loss_d == 5.0 and again.grad_norms_g == {}


def test_the_weights_are_read_only_when_a_limit_is_set_and_a_runaway_weight_is_divergence() -> None:
    calls: list[int] = []

    def weights() -> list[torch.Tensor]:
        calls.append(1)
        return [torch.tensor([0.5, -3e6]), torch.tensor([1.0])]

    acc = StatsAccumulator(torch.device("cpu"), [])
    acc.add(_step(loss_d=0.7, loss_g=0.7), None)
    _, why = read_record(acc, 1, _no_reduce, "non-saturating", 1.0, None, weights)
    assert why is None and calls == []
    acc.add(_step(loss_d=0.7, loss_g=0.7), None)
    record, why = read_record(acc, 2, _no_reduce, "non-saturating", 1.0, 1e6, weights)
    assert calls == [1]
    assert why is not None and "3e+06" in why and "divergence limit 1e+06" in why
    assert not hasattr(record, "weight_max")  # the watch value is not a statistic


def test_a_non_finite_loss_is_divergence_even_without_a_limit() -> None:
    acc = StatsAccumulator(torch.device("cpu"), [])
    acc.add(_step(loss_d=math.nan, loss_g=0.7), None)
    _, why = read_record(acc, 3, _no_reduce, "non-saturating", 1.0, None, list)
    assert why is not None and why.startswith("the loss became non-finite (D loss nan")
