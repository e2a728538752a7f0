"""The ``wandb`` logger: a Weights & Biases run (online, or offline with files in ``RUN/wandb``)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ganzoo.training.callbacks import RunView
from ganzoo.training.loggers.base import ExperimentLogger, require
from ganzoo.training.loggers.configs import WandbConfig

if TYPE_CHECKING:
    import numpy as np

INSTALL = "pip install 'torch-ganzoo[wandb]'"


def run_id(run_dir: Any) -> str:
    """A W&B run id derived from the run folder's absolute path: a resume continues the same run."""
    from pathlib import Path

    return hashlib.sha256(str(Path(run_dir).resolve()).encode()).hexdigest()[:16]


class WandbLogger(ExperimentLogger):
    """Writes a run to Weights & Biases.

    Args:
        config: Its options (project, entity, mode, display name).
    """

    def __init__(self, config: WandbConfig) -> None:
        self.config = config
        self.run: Any = None
        """The ``wandb`` run (set when the ganzoo run starts)."""

    def open(self, run: RunView) -> None:
        """``wandb.init`` with files under the run folder; resumable by the folder's id."""
        import wandb

        self.run = wandb.init(
            project=self.config.project,
            entity=self.config.entity,
            name=self.config.name or run.run_dir.name,
            dir=str(run.run_dir),
            mode=self.config.mode,
            id=run_id(run.run_dir),
            resume="allow",
            reinit="create_new",
        )
        self.run.define_metric("*", step_metric="step")

    def write_scalars(self, step: int, values: dict[str, float]) -> None:
        """One ``log`` call with the record's step as the ``step`` metric."""
        self.run.log({**values, "step": step})

    def write_image(self, step: int, tag: str, image: np.ndarray) -> None:
        """A ``wandb.Image`` of the picture."""
        import wandb

        self.run.log({tag: wandb.Image(image, caption=f"step {step}"), "step": step})

    def write_text(self, step: int, tag: str, text: str) -> None:
        """Text goes to the run's summary (the last line) and to a table of all lines."""
        import wandb

        self._lines = getattr(self, "_lines", {})
        rows = self._lines.setdefault(tag, [])
        rows.append([step, text])
        self.run.log({tag: wandb.Table(columns=["step", "text"], data=list(rows)), "step": step})

    def write_hparams(self, params: dict[str, str | int | float | bool]) -> None:
        """The run's config."""
        self.run.config.update(params, allow_val_change=True)

    def close(self, status: str) -> None:
        """``finish`` with exit code 0 for a finished or stopped run, 1 otherwise."""
        if self.run is not None:
            self.run.finish(exit_code=0 if status in {"finished", "stopped"} else 1)
            self.run = None


def build(config: WandbConfig) -> WandbLogger:
    """The ``wandb`` entry's builder; one line of error when wandb is missing."""
    require("wandb", "wandb", INSTALL)
    return WandbLogger(config)
