"""How a run is spread over processes: the strategy a `Trainer` is given.

A strategy decides the device, wraps the networks' with-grad forwards (DDP), averages a record's
statistics over the processes, makes the processes agree on stopping, says which process writes
files and what a checkpoint and ``run.json`` add, maps the data position at a resume, and
releases what it holds at the end. `SingleProcess` does the least of each; a torchrun launch of
several processes gets `ganzoo.training.distributed.DistributedStrategy`, which `choose_strategy`
imports only then, so a plain run never loads ``torch.distributed``'s DDP machinery of ours.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Discriminator, Generator
from ganzoo.training.batches import Batches, map_position
from ganzoo.training.config import TrainConfig
from ganzoo.training.setup import resolve_device


class Strategy(Protocol):
    """What a `Trainer` asks of the way its run is spread over processes.

    Attributes:
        device: This process's device.
        rank: This process's rank (0 in a single-process run).
        world_size: The number of processes.
    """

    device: torch.device
    rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run's files and runs callbacks (rank 0)."""
        ...

    def wrap(self, G: Generator, D: Discriminator) -> tuple[nn.Module | None, nn.Module | None]:
        """Wrappers of G and of D's ``forward_all`` for their with-grad passes (None: as is)."""
        ...

    def reduce_stats(self, acc: Tensor) -> None:
        """Average a record's accumulated statistics over the processes, in place."""
        ...

    def agree_stop(self, reason: str | None) -> str | None:
        """The stop reason every process acts on, given this process's own (None: go on)."""
        ...

    def checkpoint_state(self) -> dict[str, Any]:
        """What a checkpoint's JSON state keeps besides the data position."""
        ...

    def run_info(self) -> dict[str, Any]:
        """What ``run.json`` (and a summary) adds."""
        ...

    def resume_position(
        self, state: dict[str, Any], batches: Batches, run_dir: Path
    ) -> tuple[int, str]:
        """Where a resumed run goes on in the data.

        Returns:
            The data position to go on from, in this run's global batches, and what to add to
            the resume notice (``""``: nothing).
        """
        ...

    def close(self, release: Callable[[], None]) -> None:
        """Release what the strategy holds.

        ``release`` drops the trainer's references to its wrappers first.
        """
        ...


class SingleProcess:
    """One process on one device: no wrappers, no collectives; it writes every file.

    Args:
        config: The run's config (its ``device``: ``auto``, ``cpu``, ``cuda:1``, ...).
    """

    rank = 0
    world_size = 1

    def __init__(self, config: TrainConfig) -> None:
        self.device = resolve_device(config.device)

    @property
    def is_main(self) -> bool:
        """Always True: the one process writes the files."""
        return True

    def wrap(self, G: Generator, D: Discriminator) -> tuple[nn.Module | None, nn.Module | None]:
        """No wrappers."""
        return None, None

    def reduce_stats(self, acc: Tensor) -> None:
        """Nothing to average."""

    def agree_stop(self, reason: str | None) -> str | None:
        """This process's own reason."""
        return reason

    def checkpoint_state(self) -> dict[str, Any]:
        """Nothing besides the data position."""
        return {}

    def run_info(self) -> dict[str, Any]:
        """Nothing to add."""
        return {}

    def resume_position(
        self, state: dict[str, Any], batches: Batches, run_dir: Path
    ) -> tuple[int, str]:
        """The checkpoint's data position, in this run's batches.

        A checkpoint written by several processes (it names its global batch) is mapped onto
        this run's batch.
        """
        consumed = int(state["batches_consumed"])
        if "global_batch" in state:
            consumed, _ = map_position(
                consumed, int(state["global_batch"]), batches.global_batch, batches.num_samples
            )
        return consumed, ""

    def close(self, release: Callable[[], None]) -> None:
        """Nothing to release."""


def restart_count() -> int:
    """How many times torchrun restarted this process's group (``--max-restarts``); 0 otherwise."""
    try:
        return int(os.environ.get("TORCHELASTIC_RESTART_COUNT") or 0)
    except ValueError:
        return 0


def choose_strategy(config: TrainConfig) -> Strategy:
    """The strategy a run uses, from the launch environment.

    `SingleProcess`, or under a torchrun launch of several processes (``WORLD_SIZE`` > 1)
    `ganzoo.training.distributed.DistributedStrategy` (set up from torchrun's variables).

    Args:
        config: The run's config.

    Returns:
        The strategy for this process.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # imported here and only here: a single-process run does not load the distributed module
        from ganzoo.training.distributed import DistributedStrategy

        return DistributedStrategy(config)
    return SingleProcess(config)
