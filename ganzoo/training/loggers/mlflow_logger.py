"""The ``mlflow`` logger: an MLflow run through ``MlflowClient`` (no global active run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import ConfigError
from ganzoo.training.callbacks import RunView
from ganzoo.training.loggers.base import ExperimentLogger, require
from ganzoo.training.loggers.configs import MlflowConfig

if TYPE_CHECKING:
    import numpy as np

INSTALL = "pip install 'torch-ganzoo[mlflow]'"
STATUS = {"finished": "FINISHED", "stopped": "FINISHED", "interrupted": "KILLED"}


class MlflowLogger(ExperimentLogger):
    """Writes a run to MLflow.

    Args:
        config: Its options (tracking URI, experiment, run name).
    """

    def __init__(self, config: MlflowConfig) -> None:
        self.config = config
        self.client: Any = None
        self.run_id: str | None = None
        """The MLflow run's id (set when the ganzoo run starts; kept in RUN/loggers/mlflow.json)."""

    def open(self, run: RunView) -> None:
        """Create the run (or reopen the one this run folder logged to before a resume).

        MLflow 3 refuses a ``file:`` store unless ``MLFLOW_ALLOW_FILE_STORE=true`` is set;
        that refusal is one line naming the variable.
        """
        import os

        from mlflow.tracking import MlflowClient

        uri = self.config.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI", "")
        allowed = os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() in {"1", "true"}
        if uri.startswith("file:") and not allowed:
            raise ConfigError(
                f"MLflow 3 keeps a file store ({uri}) only with MLFLOW_ALLOW_FILE_STORE=true "
                "set; set it, or use tracking_uri=sqlite:///mlflow.db (pip install mlflow) or "
                "a server URL"
            )

        self.client = MlflowClient(tracking_uri=self.config.tracking_uri)
        memo = Path(run.run_dir) / "loggers" / "mlflow.json"
        if memo.is_file():
            saved = json.loads(memo.read_text())
            if saved.get("tracking_uri") == self.client.tracking_uri:
                self.run_id = saved["run_id"]
                self.client.update_run(self.run_id, status="RUNNING")
                return
        experiment = self.client.get_experiment_by_name(self.config.experiment)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else self.client.create_experiment(self.config.experiment)
        )
        created = self.client.create_run(
            experiment_id, run_name=self.config.name or run.run_dir.name
        )
        self.run_id = created.info.run_id
        memo.parent.mkdir(parents=True, exist_ok=True)
        memo.write_text(
            json.dumps({"tracking_uri": self.client.tracking_uri, "run_id": self.run_id}) + "\n"
        )

    def write_scalars(self, step: int, values: dict[str, float]) -> None:
        """One ``log_batch`` of metrics at ``step``."""
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, v, now, step) for k, v in values.items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def write_image(self, step: int, tag: str, image: np.ndarray) -> None:
        """An artifact ``TAG/step-NNNNNNN.png``."""
        self.client.log_image(self.run_id, image, artifact_file=f"{tag}/step-{step:07d}.png")

    def write_text(self, step: int, tag: str, text: str) -> None:
        """Lines append to the artifact ``TAG.txt`` (rewritten whole: artifacts are files)."""
        self._lines = getattr(self, "_lines", {})
        lines = self._lines.setdefault(tag, [])
        lines.append(f"step {step}: {text}")
        self.client.log_text(self.run_id, "\n".join(lines) + "\n", f"{tag}.txt")

    def write_hparams(self, params: dict[str, str | int | float | bool]) -> None:
        """Params, written once (a resumed run keeps the ones it started with)."""
        from mlflow.entities import Param

        logged = self.client.get_run(self.run_id).data.params
        new = [Param(k, str(v)[:6000]) for k, v in params.items() if k not in logged]
        for start in range(0, len(new), 100):  # log_batch takes at most 100 params
            self.client.log_batch(self.run_id, params=new[start : start + 100])

    def close(self, status: str) -> None:
        """End the run as FINISHED, KILLED (interrupted) or FAILED."""
        if self.client is not None and self.run_id is not None:
            self.client.set_terminated(self.run_id, status=STATUS.get(status, "FAILED"))
            self.client = None


def build(config: MlflowConfig) -> MlflowLogger:
    """The ``mlflow`` entry's builder; one line of error when mlflow is missing."""
    require("mlflow", "mlflow", INSTALL)
    return MlflowLogger(config)
