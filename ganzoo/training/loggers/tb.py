"""The ``tensorboard`` logger: torch's SummaryWriter, event files in ``RUN/tensorboard``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.training.callbacks import RunView
from ganzoo.training.loggers.base import SCALARS, ExperimentLogger, require
from ganzoo.training.loggers.configs import TensorBoardConfig

if TYPE_CHECKING:
    import numpy as np

INSTALL = "pip install 'torch-ganzoo[tensorboard]'"


class TensorBoardLogger(ExperimentLogger):
    """Writes a run to TensorBoard event files.

    Args:
        config: Its options (the folder, the flush interval).
    """

    def __init__(self, config: TensorBoardConfig) -> None:
        self.config = config
        self.writer: Any = None
        self.log_dir: Path | None = None
        """The folder the event files go to (set when the run starts)."""

    def open(self, run: RunView) -> None:
        """Open a SummaryWriter in ``log_dir`` (default ``RUN/tensorboard``)."""
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = Path(self.config.log_dir or run.run_dir / "tensorboard")
        self.writer = SummaryWriter(
            log_dir=str(self.log_dir), purge_step=None, flush_secs=self.config.flush_secs
        )

    def write_scalars(self, step: int, values: dict[str, float]) -> None:
        """One ``add_scalar`` per tag."""
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, step)

    def write_image(self, step: int, tag: str, image: np.ndarray) -> None:
        """``add_image`` of the HWC picture."""
        self.writer.add_image(tag, image, step, dataformats="HWC")

    def write_text(self, step: int, tag: str, text: str) -> None:
        """``add_text`` (TensorBoard's TEXT tab renders it as Markdown)."""
        self.writer.add_text(tag, text, step)

    def write_hparams(self, params: dict[str, str | int | float | bool]) -> None:
        """The HPARAMS tab's summaries, written into this run's own event file.

        ``SummaryWriter.add_hparams`` would open a second run in a subfolder; the summaries it
        writes are written here instead, with the losses as the metrics the tab shows.
        """
        from torch.utils.tensorboard.summary import hparams

        metrics = {SCALARS["loss_d"]: float("nan"), SCALARS["loss_g"]: float("nan")}
        writer = self.writer._get_file_writer()
        for summary in hparams(params, metrics):
            writer.add_summary(summary)

    def close(self, status: str) -> None:
        """Flush and close the writer."""
        if self.writer is not None:
            self.writer.flush()
            self.writer.close()
            self.writer = None


def build(config: TensorBoardConfig) -> TensorBoardLogger:
    """The ``tensorboard`` entry's builder; one line of error when tensorboard is missing."""
    require("tensorboard", "tensorboard", INSTALL)
    return TensorBoardLogger(config)
