"""Ctrl-C and SIGTERM during training: finish the step, save a checkpoint, say how to resume.

While `catch_signals` is active, the first SIGINT or SIGTERM only sets a flag that the training
loop reads between steps (a Python attribute: no host sync); the loop then saves a checkpoint,
marks the run ``interrupted`` in ``run.json`` and raises `RunInterrupted`. A second signal
raises ``KeyboardInterrupt`` at once, for a run that will not stop (the checkpoint being written
then is not renamed into place, so the previous one stays the latest).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from ganzoo.errors import TrainingError

SIGNALS = {"SIGINT": 130, "SIGTERM": 143}
"""The signals caught, and the exit status a shell gives a process that they ended (128 + n)."""


class RunInterrupted(TrainingError):
    """Training stopped on SIGINT or SIGTERM after saving a checkpoint.

    Args:
        message: The one line to show (where the checkpoint is, how to resume).
        signal_name: ``SIGINT`` or ``SIGTERM``.
    """

    def __init__(self, message: str, signal_name: str) -> None:
        super().__init__(message)
        self.signal_name = signal_name
        """The signal that stopped the run."""
        self.exit_code = SIGNALS.get(signal_name, 1)
        """The exit status for the command line: 130 for SIGINT, 143 for SIGTERM."""


@contextlib.contextmanager
def handling_signals(handler: Callable[[int, FrameType | None], None]) -> Iterator[bool]:
    """``handler`` for SIGINT and SIGTERM while active; the previous handlers restored after.

    Handlers can only be installed in the main thread; elsewhere this does nothing (and yields
    False).

    Yields:
        Whether the handler was installed.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = {}
    for name in SIGNALS:
        sig = getattr(signal, name)
        previous[sig] = signal.signal(sig, handler)
    try:
        yield True
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


@contextlib.contextmanager
def catch_signals(on_signal: Callable[[str], None]) -> Iterator[bool]:
    """Call ``on_signal(name)`` on the first SIGINT/SIGTERM instead of stopping the process.

    Installed as `handling_signals` installs (the main thread only; restored on exit).

    Args:
        on_signal: Called with ``"SIGINT"`` or ``"SIGTERM"`` from the signal handler.

    Yields:
        Whether the handlers were installed.
    """
    seen: list[str] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if seen:  # the second one: stop now
            raise KeyboardInterrupt
        seen.append(name)
        on_signal(name)

    with handling_signals(handler) as installed:
        yield installed
