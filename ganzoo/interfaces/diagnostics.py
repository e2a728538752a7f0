"""The contract of a training-failure detector: records and samples in, typed alarms out."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from ganzoo.errors import PluginError
from ganzoo.events import Alarm, StepRecord


class Diagnostic:
    """Watches training and samples; returns [`Alarm`][ganzoo.events.Alarm] events.

    [`on_step`][ganzoo.interfaces.Diagnostic.on_step] sees a
    [`StepRecord`][ganzoo.events.StepRecord] every ``log_every`` steps;
    [`on_samples`][ganzoo.interfaces.Diagnostic.on_samples] sees a batch of generated samples
    every ``sample_every`` steps and, in ``ganzoo diagnose``, those of a finished model. A
    detector implements either or both; a subclass that implements neither would never raise an
    alarm and is refused with a [`PluginError`][ganzoo.errors.PluginError] when the class is
    defined (pass ``abstract=True`` in the class statement for a shared base class:
    ``class MyBase(Diagnostic, abstract=True)``). A subclass that overrides `on_samples` gets
    `wants_samples` True unless it sets it itself.
    """

    name: ClassVar[str] = "diagnostic"
    """The detector's name; the built-in detectors give it to their alarms as ``source``."""
    wants_layer_grad_norms: ClassVar[bool] = False
    """Asks the loop to record G's per-layer gradient norms (``StepRecord.grad_norms_g``)."""
    wants_samples: ClassVar[bool] = False
    """Asks the loop to call `on_samples`; without it only `on_step` is called (True by default
    for a class that overrides `on_samples`)."""

    def __init_subclass__(cls, abstract: bool = False, **kwargs: object) -> None:
        """Refuse a concrete detector that overrides neither `on_step` nor `on_samples`."""
        super().__init_subclass__(**kwargs)
        step = cls.on_step is not Diagnostic.on_step
        samples = cls.on_samples is not Diagnostic.on_samples
        if not abstract and not (step or samples):
            raise PluginError(
                f"diagnostic class {cls.__module__}.{cls.__qualname__} implements neither "
                "on_step (training records) nor on_samples (sample grids), so it could never "
                "raise an alarm: override one of them (or declare a shared base class with "
                "'class Base(Diagnostic, abstract=True)')"
            )
        declared = any("wants_samples" in vars(k) for k in cls.__mro__ if k is not Diagnostic)
        if samples and not declared:
            cls.wants_samples = True

    def on_step(self, record: StepRecord) -> list[Alarm]:
        """Look at one record of the training statistics.

        Args:
            record: The statistics averaged over the steps since the last record.

        Returns:
            The alarms raised at this record (none by default).
        """
        return []

    def on_samples(self, step: int, samples: Tensor, context: dict[str, object]) -> list[Alarm]:
        """Look at a batch of generated samples (only when `wants_samples` is True).

        Args:
            step: The training step the samples were made at.
            samples: ``(N, *shape)`` samples in [-1, 1].
            context: ``"data"``: the run's data set (a ``TensorData``, from which a detector
                draws real samples or labels), and during training also ``"loss"`` (the
                loss's name), ``"device"`` and ``"generator"`` (the EMA generator if kept).

        Returns:
            The alarms raised on these samples (none by default).
        """
        return []
