"""Specs of the built-in experiment loggers. Imported by the built-in plugin; must not import torch."""

from __future__ import annotations

from ganzoo.specs import LoggerSpec, Spec

_M = "ganzoo.training.loggers."
_C = "ganzoo.training.loggers.configs:"  # the options' defaults live there, and only there

ENTRIES: list[Spec] = [
    LoggerSpec(
        name="tensorboard",
        summary="TensorBoard event files in RUN/tensorboard: scalars, sample grids, alarms, hparams.",
        description="torch's SummaryWriter. Scalars of every step record (losses, D's scores and "
        "probabilities, gradient norms, penalty, throughput), each sample grid as an image, "
        "alarms and notices as text, and the run's config as hyperparameters (the HPARAMS tab). "
        "View with `tensorboard --logdir RUN` (or the parent folder of several runs).",
        builder=_M + "tb:build",
        config=_C + "TensorBoardConfig",
        requires=("tensorboard",),
        install="pip install 'torch-ganzoo[tensorboard]'",
        tags=("logging",),
    ),
    LoggerSpec(
        name="wandb",
        summary="Weights & Biases run: scalars, sample grids, alarms as a table, config.",
        description="wandb.init with the run's config; files under RUN/wandb. Offline with "
        "mode=offline or WANDB_MODE=offline (then `wandb sync RUN/wandb/offline-run-*`). A "
        "resumed ganzoo run continues the same W&B run (its id is derived from the run folder).",
        builder=_M + "wandb_logger:build",
        config=_C + "WandbConfig",
        requires=("wandb",),
        install="pip install 'torch-ganzoo[wandb]'",
        tags=("logging", "optional"),
    ),
    LoggerSpec(
        name="mlflow",
        summary="MLflow run: metrics, sample grids as artifacts, alarms as text, params.",
        description="An MlflowClient run in experiment `experiment` at `tracking_uri` (None: "
        "MLFLOW_TRACKING_URI or MLflow's default). A resumed ganzoo run continues the same "
        "MLflow run (its id is kept in RUN/loggers/mlflow.json).",
        builder=_M + "mlflow_logger:build",
        config=_C + "MlflowConfig",
        requires=("mlflow",),
        install="pip install 'torch-ganzoo[mlflow]'",
        tags=("logging", "optional"),
    ),
]
