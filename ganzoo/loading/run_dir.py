"""Resolver for a ``ganzoo train`` run directory: its latest checkpoint as a model."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.building import architecture_spec, build_architecture
from ganzoo.training.rundir import (
    checkpoint_weight_files,
    read_run_config,
    read_run_data_spec,
)

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def load_run_model(
    run_dir: str | Path,
    use_ema: bool = True,
    device: Any = None,
    checkpoint: str | Path | None = None,
) -> GANModel:
    """The model of a run's latest checkpoint (or of the checkpoint folder ``checkpoint``).

    Args:
        run_dir: The run directory (``config.json`` and ``checkpoints/``).
        use_ema: Use the EMA generator when the run kept one.
        device: Move the model there (None: stay on the CPU).
        checkpoint: Load this checkpoint folder of the run instead of its latest one.

    Returns:
        The model in eval mode, built from the run's architecture, options and data set.

    Raises:
        CheckpointError: the folder has no valid run config or no checkpoint.
        WeightsError: a weight file is missing, corrupt or does not fit (naming the file).
    """
    from ganzoo.weights import load_module_file  # imports torch: only when loading

    config = read_run_config(Path(run_dir))
    arch = architecture_spec(config.architecture)
    data = read_run_data_spec(Path(run_dir)) or config.data
    model = build_architecture(arch, data=data, **config.architecture_options)
    files = checkpoint_weight_files(
        Path(run_dir), use_ema=use_ema, checkpoint=Path(checkpoint) if checkpoint else None
    )
    load_module_file(model.generator, files["generator"])
    if model.discriminator is not None and "discriminator" in files:
        disc = files["discriminator"]
        load_module_file(model.discriminator, disc)
    if device is not None:
        model.to(device)
    return model.eval()
