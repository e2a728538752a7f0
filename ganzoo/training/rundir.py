"""Reading a run directory's files: its config, its metrics and alarms, its latest weights.

Turning a run into a model is ``ganzoo.loading.run_dir``'s job; this module only reads files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError
from ganzoo.specs import DatasetSpec
from ganzoo.training.config import TrainConfig

RUN_INFO = "run.json"
"""The run directory's status file (`ganzoo.training.runfiles.write_run_info` writes it)."""
DATA_FILE = "data.json"
"""The run directory's record of the data set's spec (shape and classes included)."""


def is_run_dir(path: Path) -> bool:
    """Whether ``path`` looks like a ``ganzoo train`` run directory."""
    path = Path(path)
    return (path / "config.json").is_file() and (path / "checkpoints").is_dir()


def read_run_info(run_dir: Path) -> Any:
    """The run's status file ``run.json`` as written (status, step, total_steps, segments, ...).

    Raises:
        OSError: It cannot be read (a run that never started has none).
        ValueError: It is not JSON.
    """
    return json.loads((Path(run_dir) / RUN_INFO).read_text())


def read_run_config(run_dir: Path) -> TrainConfig:
    """The resolved training config of a run."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise CheckpointError(f"{run_dir} is not a run directory: it has no config.json")
    try:
        values = json.loads(path.read_text())
        if isinstance(values, dict) and values.get("ema") and "ema_batchnorm" not in values:
            # written before ema_batchnorm existed: its EMA generator copied G's BatchNorm
            # statistics, and a resumed run goes on the way it started
            values["ema_batchnorm"] = "copy"
        return TrainConfig(**values)
    except Exception as err:
        raise CheckpointError(f"{path} is not a valid training config: {err}") from None


def read_run_data_spec(run_dir: Path) -> DatasetSpec | None:
    """The spec of the data a run trained on (``data.json``), or None for a run without one.

    Runs written before ``data.json`` existed trained on registered data sets, whose spec the
    registry still has.
    """
    path = Path(run_dir) / DATA_FILE
    if not path.is_file():
        return None
    try:
        return DatasetSpec.model_validate_json(path.read_bytes())
    except Exception as err:
        raise CheckpointError(f"{path} is not a valid data set spec: {err}") from None


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


def checkpoint_weight_files(
    run_dir: Path, use_ema: bool = True, checkpoint: Path | None = None
) -> dict[str, Path]:
    """The weight files of a run's latest checkpoint (or of ``checkpoint``), by role.

    Args:
        run_dir: A ``ganzoo train`` run directory.
        use_ema: Take the generator from the EMA copy when the run kept one.
        checkpoint: This checkpoint folder instead of the latest one (e.g. a chosen best one).

    Returns:
        ``{"generator": path}`` (the EMA generator's file when asked for and present), plus
        ``"discriminator"`` when the checkpoint holds one.

    Raises:
        CheckpointError: the run saved no checkpoint yet.
    """
    from ganzoo.training.checkpoint import latest_checkpoint  # imports torch: only when asked

    ckpt = Path(checkpoint) if checkpoint else latest_checkpoint(Path(run_dir) / "checkpoints")
    if not ckpt.is_dir():
        raise CheckpointError(f"no checkpoint at {ckpt}: the folder does not exist")
    generator = ckpt / "ema_generator.safetensors"
    if not (use_ema and generator.is_file()):
        generator = ckpt / "generator.safetensors"
    files = {"generator": generator}
    discriminator = ckpt / "discriminator.safetensors"
    if discriminator.is_file():
        files["discriminator"] = discriminator
    return files
