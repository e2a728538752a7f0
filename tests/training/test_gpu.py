"""The GPU switches of the training loop (bf16 autocast, channels_last, torch.compile) train a
few steps without NaN. Marked ``gpu``; skipped cleanly without CUDA."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

SWITCHES = {
    "bf16": {"amp": "bf16"},
    "channels_last": {"channels_last": True},
    "compile": {"compile": True},
    "all": {"amp": "bf16", "channels_last": True, "compile": True},
}


@pytest.mark.parametrize("architecture", ["dcgan", "wgan-gp"])
@pytest.mark.parametrize("switch", list(SWITCHES), ids=list(SWITCHES))
def test_switch_trains_without_nan(
    architecture: str, switch: str, tmp_path: Path, mnist_root: Path
) -> None:
    config = TrainConfig(
        architecture=architecture,
        data="mnist",
        data_options={"limit": 1024},
        architecture_options={"width": 16, "latent_dim": 32},
        batch_size=32,
        steps=4,
        log_every=2,
        sample_every=1000,
        checkpoint_every=1000,
        diagnostics=[],
        device="cuda",
        out=str(tmp_path / "run"),
        **SWITCHES[switch],
    )
    trainer = Trainer.create(config)
    records = []
    for _ in range(4):
        trainer.train_step()
        if trainer.step % 2 == 0:
            records.append(trainer.record(1.0, 1))
    assert trainer.step == 4
    for record in records:
        assert math.isfinite(record.loss_d) and math.isfinite(record.loss_g)
    for p in [*trainer.G.parameters(), *trainer.D.parameters()]:
        assert torch.isfinite(p).all()
    assert trainer.sample_grid().isfinite().all()
