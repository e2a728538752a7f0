"""Options of the built-in experiment loggers (torch-free): the one place their defaults live."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TensorBoardConfig(_Options):
    """Options of the ``tensorboard`` logger."""

    log_dir: str | None = Field(
        None, description="Folder of the event files (None: RUN/tensorboard)."
    )
    flush_secs: int = Field(30, ge=1, description="How often the writer flushes, in seconds.")


class WandbConfig(_Options):
    """Options of the ``wandb`` logger."""

    project: str = Field("ganzoo", min_length=1, description="The W&B project.")
    entity: str | None = Field(None, description="The W&B team or user (None: your default).")
    mode: Literal["online", "offline", "disabled"] | None = Field(
        None, description="W&B's mode (None: WANDB_MODE, else online)."
    )
    name: str | None = Field(None, description="The run's display name (None: the run folder's).")


class MlflowConfig(_Options):
    """Options of the ``mlflow`` logger."""

    tracking_uri: str | None = Field(
        None,
        description="Where runs are recorded: a server URL, sqlite:///mlflow.db, file:./mlruns "
        "(None: MLFLOW_TRACKING_URI or MLflow's default).",
    )
    experiment: str = Field("ganzoo", min_length=1, description="The MLflow experiment.")
    name: str | None = Field(None, description="The run's name (None: the run folder's).")
