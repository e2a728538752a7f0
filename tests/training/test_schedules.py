"""Learning-rate schedules, TTUR rates and gradient accumulation (issue 14, item 5)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from pydantic import ValidationError

from ganzoo.errors import ConfigError
from ganzoo.training.config import TrainConfig, make_train_config
from ganzoo.training.loop import Trainer
from ganzoo.training.schedules import lr_factor

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 2048},
    "architecture_options": {
        "g_hidden": [32, 32],
        "d_hidden": [32],
        "dropout": 0.0,
        "g_batchnorm": False,
    },
    "batch_size": 32,
    "log_every": 5,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
}


def test_lr_factors() -> None:
    lin, cos = lr_factor("linear", 100), lr_factor("cosine", 100)
    assert [lin(t) for t in (0, 50, 100, 150)] == [1.0, 0.5, 0.0, 0.0]
    assert cos(0) == 1.0 and cos(50) == pytest.approx(0.5) and cos(100) == pytest.approx(0.0)
    held = lr_factor("linear", 100, start=60)
    assert [held(t) for t in (0, 59, 60, 80, 100)] == [1.0, 1.0, 1.0, 0.5, 0.0]
    assert lr_factor("cosine", 100, start=60)(80) == pytest.approx(0.5)
    warm = lr_factor("constant", 100, warmup=4)
    assert [warm(t) for t in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert lr_factor("linear", 10, warmup=2)(0) == pytest.approx(0.5)


def test_linear_schedule_steps_once_per_g_update(tmp_path: Path) -> None:
    cfg = TrainConfig(
        **{**RING, "out": str(tmp_path / "r"), "steps": 8},
        lr_schedule="linear",
        optimizer={"lr_g": 1e-3, "lr_d": 4e-3, "n_critic": 2},
    )
    t = Trainer.create(cfg)
    assert t.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3)
    for k in range(1, 5):
        t.train_step()
        assert t.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * (1 - k / 8))
        assert t.opt_d.param_groups[0]["lr"] == pytest.approx(4e-3 * (1 - k / 8))
    assert int(t.updates.schedules.updates) == 4  # type: ignore[union-attr]
    t.release()


def test_constant_schedule_adds_nothing_to_checkpoints(tmp_path: Path) -> None:
    t = Trainer.create(TrainConfig(**{**RING, "out": str(tmp_path / "r"), "steps": 2}))
    assert t.updates.schedules is None and "lr_schedule" not in t.updates.modules()
    t.release()


def test_resume_with_a_schedule_is_bit_exact(tmp_path: Path) -> None:
    extra = {"lr_schedule": "cosine", "lr_warmup": 3}
    full = Trainer.create(TrainConfig(**{**RING, "out": str(tmp_path / "f"), "steps": 10}, **extra))
    full.run()
    # the same run stopped at 5 of 10 steps (its checkpoint), then resumed
    half_cfg = TrainConfig(**{**RING, "out": str(tmp_path / "h"), "steps": 10}, **extra)
    half = Trainer.create(half_cfg)
    half.total_steps = 5
    half.run()
    stored = json.loads((tmp_path / "h" / "config.json").read_text())
    resumed = Trainer.create(make_train_config(stored), resume=True)
    assert resumed.step == 5
    assert resumed.opt_g.param_groups[0]["lr"] == half.opt_g.param_groups[0]["lr"]
    resumed.run()
    for a, b in zip(full.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(full.D.state_dict().values(), resumed.D.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert full.opt_g.param_groups[0]["lr"] == resumed.opt_g.param_groups[0]["lr"] == 0.0


def test_a_constant_run_extended_with_a_held_decay_is_the_fresh_run_bit_for_bit(
    tmp_path: Path,
) -> None:
    # a recipe "constant for 6 G updates, then a linear decay to 12" starts like a constant
    # 6-step run, so that run, resumed with the decay, must give the fresh run's weights
    decay = {"lr_schedule": "linear", "lr_decay_start": 6}
    fresh = Trainer.create(
        TrainConfig(**{**RING, "out": str(tmp_path / "f"), "steps": 12}, **decay)
    )
    fresh.run()
    short = Trainer.create(TrainConfig(**{**RING, "out": str(tmp_path / "s"), "steps": 6}))
    short.run()
    assert not (
        tmp_path / "s" / "checkpoints" / "step-0000006" / "lr_schedule.safetensors"
    ).exists()
    stored = json.loads((tmp_path / "s" / "config.json").read_text())
    longer = make_train_config({**stored, "steps": 12, **decay})
    with pytest.raises(ConfigError, match="lr_schedule"):
        Trainer.create(longer, resume=True)  # a protected change needs allow_changes
    resumed = Trainer.create(longer, resume=True, allow_changes=True)
    assert resumed.step == 6 and int(resumed.updates.schedules.updates) == 6  # type: ignore[union-attr]
    resumed.run()
    assert fresh.opt_g.param_groups[0]["lr"] == resumed.opt_g.param_groups[0]["lr"] == 0.0
    for a, b in zip(fresh.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(fresh.D.state_dict().values(), resumed.D.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_a_decay_start_needs_a_decay_before_the_last_step() -> None:
    with pytest.raises(ValidationError, match="lr_schedule is constant"):
        TrainConfig(**RING, steps=10, lr_decay_start=5)
    with pytest.raises(ValidationError, match="not before the last step"):
        TrainConfig(**RING, steps=10, lr_schedule="linear", lr_decay_start=10)


# SGD: the update is the gradient itself (Adam's first steps are about sign(grad), which turns
# float rounding of a near-zero gradient into a difference of the learning rate)
SGD = {"name": "sgd", "lr_g": 0.05, "lr_d": 0.05}


def _trained(tmp: Path, batch: int, k: int, steps: int = 4, **kw: object) -> Trainer:
    kw = {"optimizer": SGD, **kw}
    cfg = TrainConfig(
        **{**RING, "out": str(tmp), "steps": steps, "batch_size": batch},
        accumulate=k,
        **kw,  # type: ignore[arg-type]
    )
    t = Trainer.create(cfg)
    t.run()
    return t


@pytest.mark.parametrize(("batch", "k"), [(16, 2), (8, 4)])
@pytest.mark.parametrize("reuse", [True, False])
def test_accumulation_equals_one_larger_batch(
    tmp_path: Path, batch: int, k: int, reuse: bool
) -> None:
    # the MLP gan on ring-8 has no batch statistics (no BatchNorm, dropout 0, a mean loss)
    big = _trained(tmp_path / "big", 32, 1, reuse_fakes=reuse)
    acc = _trained(tmp_path / "acc", batch, k, reuse_fakes=reuse)
    for net in ("G", "D"):
        a, b = getattr(big, net).state_dict(), getattr(acc, net).state_dict()
        for name in a:
            assert torch.allclose(a[name], b[name], atol=1e-5, rtol=0), f"{net}.{name}"
    # the same images were read: a step counts the whole accumulated batch
    assert big.batches.consumed == acc.batches.consumed
    summary = json.loads((tmp_path / "acc" / "run.json").read_text())
    assert summary["images"] == 4 * 32


def test_accumulation_with_a_gradient_penalty_and_n_critic(tmp_path: Path) -> None:
    kw = {"loss": "r1", "optimizer": {**SGD, "n_critic": 2}}
    big = _trained(tmp_path / "big", 32, 1, steps=3, **kw)
    acc = _trained(tmp_path / "acc", 16, 2, steps=3, **kw)
    for name, a in big.D.state_dict().items():
        assert torch.allclose(a, acc.D.state_dict()[name], atol=1e-5, rtol=0), name


def test_accumulate_is_validated() -> None:
    from ganzoo.errors import ConfigError

    with pytest.raises(ConfigError, match="accumulate"):
        make_train_config({"architecture": "gan"}, accumulate=0)
    assert math.isfinite(TrainConfig(architecture="gan", accumulate=4).accumulate)
