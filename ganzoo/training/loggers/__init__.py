"""Experiment loggers: TensorBoard, Weights & Biases and MLflow, as registry entries of kind ``logger``.

``ganzoo train --log tensorboard`` (or ``Trainer.create(config, callbacks=[ganzoo.build(
"tensorboard")])``) attaches one. Each is an [`ExperimentLogger`][ganzoo.training.loggers.ExperimentLogger]:
a [`Callback`][ganzoo.training.callbacks.Callback] that sends a run's scalars, sample grids, alarms
and notices, and hyperparameters to its backend. The backends' libraries are imported only when a
logger is built; the specs (``catalog.py``) and options (``configs.py``) never import them.
"""

from __future__ import annotations

from ganzoo.training.loggers.base import (
    ExperimentLogger,
    flat_hparams,
    record_scalars,
    require,
)

__all__ = ["ExperimentLogger", "flat_hparams", "record_scalars", "require"]
