"""Validators of the CLI's shared option types: a bad value is a one-line usage error.

Every numeric option is checked where it is parsed, before anything is loaded: counts are
integers in a range, floats are finite (``inf`` and ``nan`` parse as floats), seeds fit in 64
bits (what torch's generators take), and ``--device`` names a device this machine has. Each
validator is a typer ``callback`` that raises ``typer.BadParameter``, which the CLI's
top-level handler prints as one line (`ganzoo.cli.failures`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import typer

MAX_SEED = 2**64 - 1
"""The largest seed: torch's generators take an unsigned 64-bit seed."""
MAX_SAMPLES = 4096
"""``ganzoo sample`` draws its samples in one batch; more would take gigabytes for a big model."""
MAX_EVAL_SAMPLES = 200_000
"""``ganzoo evaluate`` and ``diagnose`` draw in chunks; this bounds their time and memory."""

DEVICE_SYNTAX = re.compile(r"^(auto|cpu|mps|(cuda|xpu)(:\d{1,3})?)$")
"""Device names ganzoo accepts; availability is checked by `ganzoo.hardware.check_device`."""


def int_range(low: int, high: int, what: str = "") -> Callable[[Any], Any]:
    """A callback that accepts None or an integer in ``[low, high]``."""

    def check(value: Any) -> Any:
        if value is None:
            return value
        if not low <= value <= high:
            raise typer.BadParameter(f"{value} is not in {low}..{high}{what}")
        return value

    return check


def finite_float(
    low: float | None = None, high: float | None = None, *, open_low: bool = True
) -> Callable[[Any], Any]:
    """A callback that accepts None or a finite float above ``low`` and below ``high``."""

    def check(value: Any) -> Any:
        if value is None:
            return value
        if not math.isfinite(value):
            raise typer.BadParameter(f"{value} is not a finite number")
        if low is not None and (value <= low if open_low else value < low):
            raise typer.BadParameter(f"{value} must be {'>' if open_low else '>='} {low}")
        if high is not None and value >= high:
            raise typer.BadParameter(f"{value} must be < {high}")
        return value

    return check


def device_name(value: str | None) -> str | None:
    """A callback that accepts None or a device name of the form ``DEVICE_SYNTAX`` allows."""
    if value is None:
        return value
    if not DEVICE_SYNTAX.match(value.strip().lower()):
        raise typer.BadParameter(
            f"{value!r} is not a device: use auto, cpu, cuda, cuda:N, mps or xpu"
        )
    return value.strip().lower()


seed = int_range(0, MAX_SEED, " (seeds are unsigned 64-bit integers)")
"""Validator of every ``--seed``."""
samples = int_range(1, MAX_SAMPLES, " (samples drawn in one batch)")
"""Validator of ``ganzoo sample -n``."""
eval_samples = int_range(1, MAX_EVAL_SAMPLES)
"""Validator of ``ganzoo evaluate -n`` and ``ganzoo diagnose -n``."""
count = int_range(1, 10**9)
"""Validator of counts such as ``--steps``, ``--n-critic`` and ``--batch-size``."""
positive = finite_float(0.0)
"""Validator of finite floats > 0 (``--epochs``, learning rates)."""
unit_open = finite_float(0.0, 1.0)
"""Validator of finite floats in (0, 1) (``--ema``)."""
class_index = int_range(0, 1_000_000, " (a class index)")
"""Validator of ``--class``; the model's own range is checked when it is loaded."""


MAX_THREADS = 1024
"""The most CPU threads ``--threads`` takes."""


def threads_option() -> Any:
    """The ``--threads N`` option of train, sample and evaluate."""
    return typer.Option(
        None,
        "--threads",
        help="CPU threads for torch (default: torch's, one per core); 1 is fastest when other "
        "jobs keep the cores busy.",
        callback=int_range(1, MAX_THREADS),
    )


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (a person watching), where hints are worth a line."""
    import sys

    return sys.stderr.isatty()


def apply_threads(threads: int | None) -> None:
    """Set torch's thread count before any work; without ``--threads``, hint on a busy machine.

    The hint is one line on stderr when the load average exceeds the core count
    (`ganzoo.hardware.busy_hint`), for a person at a terminal who has not chosen a thread count
    (``OMP_NUM_THREADS`` unset): scripts, logs and CI see no extra line.
    """
    import os

    from ganzoo.hardware import busy_hint, set_threads

    if threads is not None:
        set_threads(threads)
    elif (
        stderr_is_terminal()
        and "OMP_NUM_THREADS" not in os.environ
        and (hint := busy_hint()) is not None
    ):
        typer.echo(hint, err=True)
