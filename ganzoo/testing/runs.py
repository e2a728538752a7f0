"""A few training steps through the Trainer, and the checkpoint they leave, loaded back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganzoo.data.tensor_data import TensorData
from ganzoo.events import StepRecord
from ganzoo.testing._report import expect, finite, step
from ganzoo.training.callbacks import Callback, RunView
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

TOLERANCE = 1e-6
"""How far a network loaded from a checkpoint may differ from the one saved (D: relative)."""


class _Records(Callback):
    """Keeps every record of a run."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        self.records.append(record)


def train_briefly(
    architecture: str,
    options: dict[str, Any],
    data: TensorData,
    steps: int,
    batch_size: int,
    run_dir: Path,
    where: str,
    callbacks: list[Callback] | None = None,
    **config: Any,
) -> Trainer:
    """Train ``steps`` steps on ``data`` in ``run_dir`` and check that every record is finite.

    Returns:
        The finished trainer (its networks hold the trained weights).
    """
    records = _Records()
    cfg = TrainConfig(
        architecture=architecture,
        architecture_options=options,
        batch_size=batch_size,
        steps=steps,
        log_every=1,
        sample_every=steps,
        checkpoint_every=steps,
        num_samples=4,
        diagnostics=[],
        device="cpu",
        out=str(run_dir),
        **config,
    )
    fix = "run the same steps with `ganzoo train` to see the full error"
    with step(where, f"training {steps} steps through the Trainer", fix):
        trainer = Trainer.create(cfg, callbacks=[records, *(callbacks or [])], data=data)
        try:
            trainer.run()
        finally:
            trainer.close()
    expect(
        len(records.records) == steps,
        where,
        f"{len(records.records)} records in {steps} steps",
        fix,
    )
    for r in records.records:
        bad = [k for k in ("loss_d", "loss_g", "d_real", "d_fake") if not finite(getattr(r, k))]
        expect(
            not bad,
            where,
            f"step {r.step} of the short run has non-finite {bad}",
            "check initialisation and the losses' numerics (compute from logits, not "
            "probabilities)",
        )
    return trainer


def check_round_trip(trainer: Trainer, run_dir: Path, where: str) -> None:
    """The run's checkpoint loads back into networks with the trainer's outputs.

    Both are laid out as the run laid out its networks, so the outputs agree to float rounding
    (``TOLERANCE``): anything more is state outside the checkpoint.
    """
    from ganzoo.loading.run_dir import load_run_model

    fix = "keep every tensor that affects the output in the module's state_dict (parameters or buffers)"
    with step(where, "loading the run's checkpoint", fix):
        loaded = load_run_model(run_dir, use_ema=False)
    if trainer.config.channels_last and trainer.data.spec.modality == "image":
        loaded.to(memory_format=torch.channels_last)  # as the trainer laid out its networks
    g, d = trainer.G, trainer.D
    was = g.training
    try:
        a = g.sample(4, seed=3)
        b = loaded.generator.sample(4, seed=3)
        diff = float((a - b).abs().max())
        expect(diff <= TOLERANCE, where, f"G loaded from the checkpoint differs by {diff:.3g}", fix)
        labels = None if g.num_classes is None else torch.arange(4) % g.num_classes
        assert loaded.discriminator is not None
        d.eval()
        loaded.discriminator.eval()
        with torch.no_grad():
            x = a.contiguous()
            da, db = d(x, labels), loaded.discriminator(x, labels)
        diff = float((da - db).abs().max())
        scale = max(1.0, float(da.abs().max()))
        expect(
            diff <= TOLERANCE * scale,
            where,
            f"D loaded from the checkpoint scores {diff:.3g} apart",
            fix,
        )
    finally:
        g.train(was)
        d.train(was)
