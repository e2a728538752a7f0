"""What every experiment logger sends, in one place: `ExperimentLogger` and its helpers.

A backend subclasses `ExperimentLogger` and implements how to open a run, write scalars, an
image, a line of text and the hyperparameters, and close; the callback hooks that turn a run's
records, grids and events into those calls are here, so every logger sends the same tags.
"""

from __future__ import annotations

import json
import math
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

from ganzoo.errors import ConfigError
from ganzoo.events import Alarm, Event, StepRecord, format_alarm
from ganzoo.text import clean
from ganzoo.training.callbacks import Callback, RunView

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor

SCALARS: dict[str, str] = {
    "loss_d": "loss/d",
    "loss_g": "loss/g",
    "d_real": "scores/d_real",
    "d_fake": "scores/d_fake",
    "p_real": "prob/real",
    "p_fake": "prob/fake",
    "grad_norm_d": "grad_norm/d",
    "grad_norm_g": "grad_norm/g",
    "penalty": "penalty",
    "d_accuracy": "d_accuracy",
    "r_t": "r_t",
    "augment_p": "augment/p",
    "images_per_second": "images_per_second",
}
"""`StepRecord` field -> the tag every logger writes it under."""


def record_scalars(record: StepRecord) -> dict[str, float]:
    """The scalars of a step record by tag (`SCALARS`; per-layer norms as ``grad_norm_g/LAYER``).

    Statistics that were not measured (NaN) are left out.

    Args:
        record: One record of the run.

    Returns:
        ``{"loss/d": ..., "loss/g": ..., ...}``, finite values only.
    """
    out = {tag: float(getattr(record, field)) for field, tag in SCALARS.items()}
    out.update({f"grad_norm_g/{k}": float(v) for k, v in record.grad_norms_g.items()})
    return {k: v for k, v in out.items() if math.isfinite(v)}


def flat_hparams(config: Any) -> dict[str, str | int | float | bool]:
    """A run config as flat hyperparameters: dotted keys, scalar values.

    Nested fields become ``optimizer.lr_g``; ``None`` becomes ``"none"`` and lists become their
    JSON text, since every backend takes only numbers, strings and booleans.

    Args:
        config: A pydantic model (a `TrainConfig`) or a dict.

    Returns:
        The flattened parameters, sorted by key.
    """
    data = config.model_dump(mode="json") if hasattr(config, "model_dump") else dict(config)
    out: dict[str, str | int | float | bool] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif value is None:
            out[prefix] = "none"
        elif isinstance(value, bool | int | float | str):
            out[prefix] = value
        else:
            out[prefix] = json.dumps(value)

    walk("", data)
    return dict(sorted(out.items()))


def require(logger: str, module: str, install: str) -> None:
    """Fail with one line when the library a logger needs is not installed (nothing is imported).

    Args:
        logger: The logger's name (``wandb``).
        module: The import name of the library.
        install: The command that installs it.

    Raises:
        ConfigError: ``module`` cannot be found.
    """
    if find_spec(module) is None:
        raise ConfigError(f"the {logger} logger needs the {module} package: {install}")


def picture(samples: Tensor) -> np.ndarray:
    """A sample grid (images) or scatter plot (2-D points) as an (H, W, 3) uint8 array."""
    import numpy as np

    from ganzoo.images import sample_picture

    return np.asarray(sample_picture(samples.detach().float().cpu()).convert("RGB"))


class ExperimentLogger(Callback):
    """A `Callback` that sends a run to an experiment tracker.

    Subclasses implement `open`, `write_scalars`, `write_image`, `write_text`, `write_hparams`
    and `close`; this class calls them from the run's hooks, with the same tags for every backend:

    * on start: `open`, then the run's config (`flat_hparams`) to `write_hparams`;
    * every record: `record_scalars` to `write_scalars` at the record's step;
    * every sample grid: the picture to `write_image` as ``samples``;
    * every alarm: its `format_alarm` line to `write_text` as ``alarms``; notices as ``notices``;
    * at the end: a ``status`` line and `close`.
    """

    def open(self, run: RunView) -> None:
        """Start the backend's run (called once, before anything is written)."""
        raise NotImplementedError

    def write_scalars(self, step: int, values: dict[str, float]) -> None:
        """Record scalars (tag -> value) at ``step``."""
        raise NotImplementedError

    def write_image(self, step: int, tag: str, image: np.ndarray) -> None:
        """Record an (H, W, 3) uint8 image at ``step``."""
        raise NotImplementedError

    def write_text(self, step: int, tag: str, text: str) -> None:
        """Record one line of text at ``step``."""
        raise NotImplementedError

    def write_hparams(self, params: dict[str, str | int | float | bool]) -> None:
        """Record the run's hyperparameters (flat keys, scalar values)."""
        raise NotImplementedError

    def close(self, status: str) -> None:
        """Flush and end the backend's run; ``status`` is how the ganzoo run ended."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the callback hooks
    def on_start(self, trainer: RunView) -> None:
        """Open the backend's run and write the hyperparameters.

        Raises:
            ConfigError: The backend refused to start (a server not reached, a store refused);
                its message on one line.
        """
        try:
            self.open(trainer)
        except ConfigError:
            raise
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(
                f"the {type(self).__name__} could not start: {clean(first, 400)}"
            ) from err
        self._opened = True
        self.write_hparams(flat_hparams(trainer.config))

    def on_step(self, trainer: RunView, record: StepRecord) -> None:
        """Write the record's scalars."""
        self.write_scalars(record.step, record_scalars(record))

    def on_samples(self, trainer: RunView, step: int, samples: Tensor) -> None:
        """Write the sample grid as an image."""
        self.write_image(step, "samples", picture(samples))

    def on_event(self, trainer: RunView, event: Event) -> None:
        """Write an alarm's line under ``alarms``, a notice's message under ``notices``."""
        if isinstance(event, Alarm):
            self.write_text(event.step, "alarms", format_alarm(event))
        elif event.message:
            self.write_text(event.step, "notices", f"{event.kind}: {event.message}")

    def on_end(self, trainer: RunView, status: str) -> None:
        """Write the end status and close (nothing when the run never started)."""
        if not getattr(self, "_opened", False):
            return
        self._opened = False
        self.write_text(trainer.step, "notices", f"end: {status} at step {trainer.step}")
        self.close(status)
