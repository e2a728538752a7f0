"""Seeds trained side by side: one process per seed, ``jobs`` at a time.

A small model leaves part of a machine idle: on 2 CPU cores two seeds at 1 thread each finished
in 0.87x the time of the same seeds one after another at 2 threads, and on a GPU three runs side
by side each ran at least as fast as one alone (docs/reproduce.md). `run_seeds` maps a per-seed
function over the seeds either in this process (``jobs`` 1) or in ``jobs`` spawned processes,
each with its share of this process's CPU threads; the results come back in seed order, and
each worker's stderr lines start with ``[seed S]`` so the interleaved progress stays readable.
Every run is resumable, so a seed that fails or is interrupted loses nothing the others saved.

Signals reach the workers through the parent only: each worker has a process group of its own,
and while the seeds run the parent forwards a SIGINT or SIGTERM it gets to every worker. So a
Ctrl-C (which the terminal sends to the parent's group) and a ``kill`` of the parent alike stop
each running seed once, as a single-process run stops (the step finished, a checkpoint saved),
no seed starts after it, and no worker is left training on its own.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import FrameType
from typing import Any, TextIO, TypeVar

from ganzoo.errors import ConfigError, GanzooError
from ganzoo.training.interrupts import SIGNALS as STOP_SIGNALS
from ganzoo.training.interrupts import RunInterrupted, handling_signals

T = TypeVar("T")

_stopped_by: list[str] = []
"""In a worker process only: the stop signals it has had; a seed does not start after one."""


class SeedRunError(GanzooError):
    """Seeds' runs failed in their worker processes; the message names each seed and its cause.

    Args:
        message: One line: ``seed S: cause`` for each failed seed.
        exit_code: The command line's exit status: the first failure's own (130 for a run
            interrupted by SIGINT), else 1.
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message, exit_code)  # both in args: the error pickles back from a worker
        self.exit_code = exit_code

    def __str__(self) -> str:
        """The message alone (``args`` also holds the exit code)."""
        return str(self.args[0])


class _Prefixed:
    """A text stream that starts each line written to ``stream`` with ``prefix``."""

    def __init__(self, stream: TextIO, prefix: str) -> None:
        self.stream, self.prefix, self._at_start = stream, prefix, True

    def write(self, text: str) -> int:
        """Write ``text``, each of its lines prefixed."""
        for piece in text.splitlines(keepends=True):
            if self._at_start:
                self.stream.write(self.prefix)
            self.stream.write(piece)
            self._at_start = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        """Flush the stream."""
        self.stream.flush()

    def isatty(self) -> bool:
        """False: a worker's output is never a person's terminal to draw a bar on."""
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _note_stop(signum: int, frame: FrameType | None) -> None:
    """A worker's handler between runs (a run installs its own): remember the signal."""
    _stopped_by.append(signal.Signals(signum).name)


def _worker_init(threads: int) -> None:
    """Before a worker does any work: its thread count, its own process group, its handlers."""
    from ganzoo.hardware import set_threads

    os.setpgrp()  # a terminal's Ctrl-C reaches the parent alone, which forwards it once
    for name in STOP_SIGNALS:
        signal.signal(getattr(signal, name), _note_stop)
    set_threads(threads)


def _in_worker(fn: Callable[[int], T], seed: int) -> T:
    """``fn(seed)`` with this worker's stderr lines prefixed by the seed.

    A worker that has had a stop signal starts no further seed.
    """
    sys.stderr = _Prefixed(sys.__stderr__ or sys.stderr, f"[seed {seed}] ")
    try:
        if _stopped_by:
            name = _stopped_by[0]
            raise SeedRunError(f"seed {seed}: not started: stopped by {name}", STOP_SIGNALS[name])
        return fn(seed)
    except SeedRunError:
        raise
    except GanzooError as err:  # its own class may not pickle (extra __init__ arguments)
        if isinstance(err, RunInterrupted):
            _stopped_by.append(err.signal_name)
        raise SeedRunError(f"seed {seed}: {err}", getattr(err, "exit_code", 1)) from None
    except Exception as err:
        if _round_trips(err):
            raise  # the parent re-raises it as it came, the worker's traceback attached
        # one that cannot come back would break the whole pool (BrokenProcessPool, no cause)
        raise RuntimeError(
            f"seed {seed}: {type(err).__module__}.{type(err).__qualname__}: {err} (the error "
            f"could not be sent back from its worker process as it was; its traceback follows)"
        ) from err
    finally:
        sys.stderr.flush()


def _round_trips(err: BaseException) -> bool:
    """Whether ``err`` survives the pickling that carries it from a worker to the parent."""
    try:
        pickle.loads(pickle.dumps(err))
    except Exception:
        return False
    return True


def threads_per_job(jobs: int, threads: int | None = None) -> int:
    """Each worker's CPU threads: ``threads`` (default torch's, one per core) shared by ``jobs``."""
    import torch

    total = threads if threads is not None else torch.get_num_threads()
    return max(1, total // jobs)


def run_seeds(fn: Callable[[int], T], seeds: Sequence[int], jobs: int = 1) -> list[T]:
    """``[fn(seed) for seed in seeds]``, with up to ``jobs`` seeds at a time in their own processes.

    Args:
        fn: The per-seed work; with ``jobs`` > 1 it must pickle (a module-level function, or a
            ``functools.partial`` of one) and so must its result.
        seeds: The seeds, in the order of the results.
        jobs: Processes at a time; 1 runs every seed here, one after another. Each worker
            gets `threads_per_job` of this process's torch threads.

    Raises:
        SeedRunError: Seeds' ``fn`` raised ganzoo errors (a run folder holding another recipe,
            missing data, an interruption); raised once every seed has ended, naming each
            failed seed and its error. Any other exception is re-raised as it came, with the
            worker's traceback, or, where it cannot be pickled back from a worker, as a
            RuntimeError naming the seed, its class and message, the traceback attached.
        ConfigError: ``jobs`` is below 1.

    A SIGINT or SIGTERM to this process while the workers run is passed on to each of them: a
    running seed stops as a run does (`ganzoo.training.interrupts`), a seed not yet started
    does not start, and the SeedRunError names each (exit status 130 or 143). A second one
    stops the runs at once.
    """
    if jobs < 1:
        raise ConfigError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(seeds) < 2:
        return [fn(seed) for seed in seeds]
    import multiprocessing

    workers = min(jobs, len(seeds))
    # spawn: a forked child of a process that has touched CUDA (or torch's thread pools) breaks
    context = multiprocessing.get_context("spawn")
    init = (threads_per_job(workers),)
    # forwarding outermost: the pool's exit is where this process waits for the seeds
    with (
        handling_signals(_forward_to_workers),
        ProcessPoolExecutor(
            workers, mp_context=context, initializer=_worker_init, initargs=init
        ) as pool,
    ):
        futures = [pool.submit(_in_worker, fn, seed) for seed in seeds]
    failed = [e for f in futures if isinstance(e := f.exception(), SeedRunError)]
    if failed:
        raise SeedRunError("; ".join(str(e) for e in failed), failed[0].exit_code)
    return [future.result() for future in futures]  # another error: raised with its traceback


def _forward_to_workers(signum: int, frame: FrameType | None) -> None:
    """A signal handler: send ``signum`` on to each worker process of this one."""
    import multiprocessing

    for child in multiprocessing.active_children():
        if child.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signum)
