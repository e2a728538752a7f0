"""Top-k generator updates: the schedule, the selection, and a run's G loss seeing k fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from ganzoo.errors import ConfigError
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer
from ganzoo.training.topk import TopK


def test_the_kept_count_anneals_linearly_from_the_batch_to_its_floor() -> None:
    top = TopK(0.5, anneal=100)
    assert [top.kept(t, 64) for t in (0, 50, 99, 100, 5000)] == [64, 48, 33, 32, 32]
    assert TopK(0.5).kept(0, 64) == 32  # no anneal: the floor from the first update
    assert TopK(0.01).kept(0, 8) == 1  # never fewer than one fake
    assert TopK(1.0, anneal=10).kept(3, 7) == 7


def test_select_keeps_the_highest_scores_and_only_their_gradients() -> None:
    scores = torch.tensor([0.3, -2.0, 1.5, 0.9, -0.1, 4.0], requires_grad=True)
    kept = TopK(0.5).select(scores, g_update=0)
    assert sorted(kept.tolist()) == pytest.approx([0.9, 1.5, 4.0])
    kept.sum().backward()
    assert scores.grad is not None
    assert scores.grad.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 1.0]
    patch = torch.tensor([[[0.0, 0.0]], [[5.0, -1.0]], [[1.0, 1.0]]])  # (N, 1, 2): mean ranks
    assert TopK(0.34).select(patch, 0).tolist() == [[[5.0, -1.0]], [[1.0, 1.0]]]
    every = torch.randn(4)
    assert TopK(0.5, anneal=10).select(every, 0) is every  # nothing dropped: no copy


def _config(tmp_path: Path, **extra: object) -> TrainConfig:
    return TrainConfig(
        architecture="dcgan", data="mnist", data_options={"limit": 64},
        architecture_options={"width": 8, "latent_dim": 16}, batch_size=16, steps=6,
        diagnostics=[], sample_every=100, checkpoint_every=100, channels_last=False,
        out=str(tmp_path / "run"), **extra,
    )  # fmt: skip


def test_a_run_with_top_k_gives_gs_loss_the_annealed_number_of_fakes(tmp_path: Path) -> None:
    trainer = Trainer.create(_config(tmp_path, top_k=0.25, top_k_anneal=4))
    seen: list[int] = []
    loss = trainer.updates.loss
    original = loss.generator_loss

    def spy(fake_scores: torch.Tensor, real_scores: torch.Tensor | None) -> torch.Tensor:
        seen.append(fake_scores.shape[0])
        return original(fake_scores, real_scores)

    loss.generator_loss = spy  # type: ignore[method-assign]
    trainer.run()
    assert seen == [16, 13, 10, 7, 4, 4]  # 16 * (1 - 0.75 t / 4), rounded up, then 16 * 0.25
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())


def test_top_k_is_refused_with_a_loss_that_compares_fakes_with_real_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"compares G.s fakes with real data.*drop top_k"):
        Trainer.create(_config(tmp_path, top_k=0.5, loss="relativistic-average"))
    with pytest.raises(ValueError, match="top_k is not set"):
        _config(tmp_path, top_k_anneal=10)
