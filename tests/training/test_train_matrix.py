"""Every architecture and every loss train a few steps through the one loop without NaN.

Parametrised over the registry: a new architecture or loss is covered the moment it registers.
Tiny widths and a 64-sample data slice keep each case well under a second.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import ganzoo
import ganzoo.training.callbacks
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

TINY = {  # per-architecture options that shrink the networks (unknown names: no override)
    "gan": {"g_hidden": [16], "d_hidden": [16]},
    "cgan": {"g_hidden": [8, 8, 16], "d_hidden": [8, 8, 16]},
    "pacgan": {"width": 4, "g_hidden": [16], "d_hidden": [16]},
}
CONV_TINY = {"width": 4}


def options(arch: str) -> dict:
    return TINY.get(arch, CONV_TINY)


def cases() -> list[tuple[str, str, str]]:
    """Every architecture with its default loss (on each modality it supports), and every loss
    with a BatchNorm conv net (dcgan on MNIST) and an MLP on 2-D points (gan on ring-8)."""
    out: set[tuple[str, str, str]] = set()
    for arch in ganzoo.list_entries("architecture"):
        for modality, data in (("image", "mnist"), ("points", "ring-8")):
            if modality in arch.modalities:
                out.add((arch.name, arch.default_loss, data))
    for loss in ganzoo.list_entries("loss"):
        out.add(("dcgan", loss.name, "mnist"))
        out.add(("gan", loss.name, "ring-8"))
    return sorted(out)


@pytest.mark.parametrize(("arch", "loss", "data"), cases())
def test_trains_without_nan(arch: str, loss: str, data: str, tmp_path: Path) -> None:
    config = TrainConfig(
        architecture=arch,
        architecture_options=options(arch),
        data=data,
        data_options={"limit": 64} if data == "mnist" else {"size": 64},
        loss=loss,
        batch_size=8,
        steps=2,
        log_every=1,
        sample_every=100,
        checkpoint_every=100,
        num_samples=4,
        diagnostics=[],
        out=str(tmp_path / "run"),
    )
    trainer = Trainer.create(config)
    records = []

    class Keep(ganzoo.training.callbacks.Callback):  # type: ignore[name-defined]
        def on_step(self, trainer, record):
            records.append(record)

    trainer.callbacks.append(Keep())
    summary = trainer.run()
    assert summary["status"] == "finished" and summary["step"] == 2
    assert len(records) == 2
    for r in records:
        assert math.isfinite(r.loss_d) and math.isfinite(r.loss_g), (arch, loss, r)
        assert math.isfinite(r.grad_norm_d) and math.isfinite(r.grad_norm_g)
