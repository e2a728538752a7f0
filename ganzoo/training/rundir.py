"""Reading a run directory: its config, metrics, alarms and the trained model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError
from ganzoo.training.config import TrainConfig


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` looks like a ``ganzoo train`` run directory."""
    path = Path(path)
    return (path / "config.json").is_file() and (path / "checkpoints").is_dir()


def read_run_config(run_dir: Path) -> TrainConfig:
    """The resolved training config of a run."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{run_dir} is not a run directory: it has no config.json")
    try:
        return TrainConfig(**json.loads(path.read_text()))
    except Exception as err:
        raise CheckpointError(f"{path} is not a valid training config: {err}") from None


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """Every row of ``metrics.jsonl`` (steps, alarms, checkpoints); torn last lines are skipped."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        raise CheckpointError(
            f"{run_dir} has no metrics.jsonl: train it first (ganzoo train ... --out {run_dir})"
        )
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def load_run_model(run_dir: Path, use_ema: bool = True, device: Any = None):
    """The model of a run's latest checkpoint (G replaced by its EMA when the run kept one)."""
    from ganzoo.building import build_architecture
    from ganzoo.registry import get_registry
    from ganzoo.training.checkpoint import latest_checkpoint
    from ganzoo.weights import load_module, read_tensors

    config = read_run_config(run_dir)
    arch = get_registry().get(config.architecture, "architecture").spec
    model = build_architecture(arch, data=config.data, **config.architecture_options)  # type: ignore[arg-type]
    ckpt = latest_checkpoint(Path(run_dir) / "checkpoints")
    gen_file = ckpt / "ema_generator.safetensors"
    if not (use_ema and gen_file.is_file()):
        gen_file = ckpt / "generator.safetensors"
    load_module(model.generator, read_tensors(gen_file), str(gen_file))
    disc_file = ckpt / "discriminator.safetensors"
    if model.discriminator is not None and disc_file.is_file():
        load_module(model.discriminator, read_tensors(disc_file), str(disc_file))
    if device is not None:
        model.to(device)
    return model.eval()
