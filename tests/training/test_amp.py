"""bf16 autocast on the CPU: ``amp: bf16`` changes the arithmetic, ``amp: auto`` picks it only
where the device runs bf16 natively and records its choice in config.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import ganzoo.training.setup
from ganzoo.events import Event, Notice
from ganzoo.hardware import native_bf16
from ganzoo.training.callbacks import Callback
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer


def config(tmp_path: Path, name: str, amp: str) -> TrainConfig:
    return TrainConfig(
        architecture="dcgan",
        architecture_options={"width": 4, "latent_dim": 8},
        data="mnist",
        data_options={"limit": 64},
        batch_size=8,
        steps=2,
        log_every=1,
        sample_every=100,
        checkpoint_every=100,
        num_samples=4,
        diagnostics=[],
        amp=amp,  # type: ignore[arg-type]
        out=str(tmp_path / name),
    )


class Notices(Callback):
    def __init__(self) -> None:
        self.seen: list[Notice] = []

    def on_event(self, trainer: object, event: Event) -> None:
        if isinstance(event, Notice):
            self.seen.append(event)


def train(cfg: TrainConfig, callbacks: list[Callback] | None = None) -> tuple[Trainer, dict]:
    trainer = Trainer.create(cfg, callbacks=callbacks)
    trainer.run()
    recorded = json.loads((Path(cfg.out) / "config.json").read_text())  # type: ignore[arg-type]
    return trainer, recorded


def test_bf16_autocast_changes_the_arithmetic_and_stays_finite(
    tmp_path: Path, mnist_root: Path
) -> None:
    notices = Notices()
    fp32, _ = train(config(tmp_path, "fp32", "none"))
    bf16, recorded = train(config(tmp_path, "bf16", "bf16"), [notices])
    assert not [n for n in notices.seen if n.kind == "setup"]  # a choice given is not announced
    assert recorded["amp"] == "bf16" and bf16.updates.amp == "bf16"
    g32 = torch.cat([p.detach().flatten() for p in fp32.G.parameters()])
    g16 = torch.cat([p.detach().flatten() for p in bf16.G.parameters()])
    assert torch.isfinite(g16).all()
    assert not torch.equal(g32, g16)  # same seed and data: only the autocast differs
    assert (g32 - g16).abs().max() < 0.05  # two small Adam steps apart, not another run


@pytest.mark.parametrize("native", [True, False])
def test_auto_takes_bf16_only_where_the_device_has_it(
    native: bool, tmp_path: Path, mnist_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ganzoo.training.setup, "native_bf16", lambda device: native)
    notices = Notices()
    trainer, recorded = train(config(tmp_path, "auto", "auto"), [notices])
    chosen = "bf16" if native else "none"
    assert recorded["amp"] == chosen  # the run records the choice, not "auto"
    setup = [n for n in notices.seen if n.kind == "setup"]  # and says it once, at its start
    assert [(n.step, n.message.split(" (")[0]) for n in setup] == [
        (0, "amp auto: bf16 autocast" if native else "amp auto: none, fp32")
    ]
    assert trainer.updates.amp == chosen
    assert trainer.config.amp == "auto"  # the config as given is kept as given
    assert math.isfinite(float(next(trainer.G.parameters()).detach().sum()))


def test_native_bf16_answers_for_each_device_type() -> None:
    assert native_bf16("cpu") == bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    assert native_bf16("meta") is False
