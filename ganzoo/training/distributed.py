"""Multi-process and multi-node training: ``torchrun ... -m ganzoo train ...``.

The standard PyTorch engine and nothing home-made: ``torch.distributed`` (NCCL on CUDA, gloo
on CPU), initialised from the variables torchrun sets (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``), and ``DistributedDataParallel`` around G and D.
`DistributedStrategy` is the strategy a `ganzoo.training.loop.Trainer` is given on each rank
(`ganzoo.training.strategy.choose_strategy` picks it when ``WORLD_SIZE`` > 1); the run and the
update rule are the single-process ones, with these differences:

* **Batch.** ``batch_size`` is the batch of *each rank*; the global batch is
  ``batch_size * world_size``. Each global batch is one slice of the epoch's permutation (the
  same permutation a single-process run draws) and rank ``r`` takes the ``r``-th
  ``batch_size`` rows of it. The latents (and fake labels) are drawn for the whole global batch
  from the global RNG, which is in the same state on every rank, and rank ``r`` takes its rows
  (`ganzoo.training.batches.Batches` with this rank and world size). So for a model without
  BatchNorm (and without randomness inside D, e.g. dropout 0) a run on ``N`` ranks with batch
  ``B`` is the single-process run with batch ``N * B``, up to the order of float additions.
* **Which gradients are synchronised.** In the D step the fakes come from the unwrapped G under
  no_grad and D runs through its DDP wrapper (its real and fake passes are two DDP forwards
  before one backward); the gradient penalty calls the unwrapped D, and its parameter
  gradients reach the same ``AccumulateGrad`` nodes, so the one backward all-reduces the whole
  D gradient, penalty included (the penalty's ``torch.autograd.grad`` is taken with respect to
  the input only and fires no DDP hook). In the G step G runs through its wrapper and D,
  frozen, is called unwrapped: nothing is all-reduced for the frozen net and no parameter is
  "unused".
* **Buffers.** DDP syncs buffers once at construction and not at each forward
  (``forward_sync_buffers=False``): BatchNorm normalises with each rank's own batch and keeps
  per-rank running statistics (rank 0's are checkpointed), unless ``sync_batchnorm`` is set,
  which converts BatchNorm to ``SyncBatchNorm`` (CUDA only). Spectral norm's power-iteration
  vectors are a deterministic function of the weights, which are identical on every rank, so
  they stay identical without any communication. Weight clipping (``constrain``) runs on every
  rank on identical weights.
* **Files.** Rank 0 alone writes the config, checkpoints, sample grids, ``run.json`` and
  (through its callbacks) metrics and alarms. The statistics of a record are averaged over the
  ranks with one ``all_reduce`` per record (not per step); since every rank has the same batch
  size the averages are the global-batch statistics (D accuracy, mean scores, losses), and the
  gradient norms are those of the all-reduced gradients. Images per second count all ranks.
* **Stopping.** After each record or sample grid (the only times rank 0's callbacks can ask to
  stop) the ranks agree on stopping with one one-number ``all_reduce``.
* **Resume** works across process counts: weights, optimizer states and the RNG are the same on
  every rank, and the data position is kept as a count of global batches together with the
  global batch size (``global_batch`` in the checkpoint state), so it maps onto any other global
  batch (see `ganzoo.training.batches.map_position`).
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.distributed.constants import default_pg_timeout
from torch.nn.parallel import DistributedDataParallel

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.training.batches import Batches, map_position
from ganzoo.training.config import TrainConfig
from ganzoo.training.setup import resolve_device

__all__ = [
    "DistributedStrategy",
    "LaunchInfo",
    "init_distributed",
    "launch_info",
    "map_position",
    "rank_device",
]


@dataclass(frozen=True)
class LaunchInfo:
    """What torchrun told this process: its global rank, its rank on the node, the world size."""

    rank: int
    local_rank: int
    world_size: int


def launch_info() -> LaunchInfo:
    """Read ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (a plain run reads as rank 0 of 1)."""
    env = os.environ
    return LaunchInfo(
        rank=int(env.get("RANK", "0")),
        local_rank=int(env.get("LOCAL_RANK", "0")),
        world_size=int(env.get("WORLD_SIZE", "1")),
    )


def rank_device(name: str, local_rank: int) -> torch.device:
    """The device of this rank: ``cuda:LOCAL_RANK`` when ``name`` means CUDA, else ``name``."""
    device = resolve_device(name)
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ConfigError(
                f"local rank {local_rank} has no GPU: this node has {torch.cuda.device_count()}; "
                "start at most that many processes per node (--nproc_per_node)"
            )
        return torch.device("cuda", local_rank)
    return device


def init_distributed(device: torch.device) -> bool:
    """Initialise the default process group from torchrun's variables (NCCL on CUDA, gloo else).

    Under torchrun the group's keys go under a prefix naming the attempt
    (``TORCHELASTIC_RESTART_COUNT``): with c10d rendezvous torchrun keeps one store server for
    all its restarts and hands every attempt the same ``MASTER_PORT``, so without the prefix a
    restarted group (``--max-restarts``) can read the addresses the killed attempt's ranks
    published and fail to connect (gloo: "connectFullMesh failed ... Connection refused").

    Returns whether this call created the group (a group made by the caller is reused).
    """
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT")
    if attempt is None:
        dist.init_process_group(backend=backend)
        return True
    store, rank, world_size = next(dist.rendezvous("env://", timeout=default_pg_timeout))
    store = dist.PrefixStore(f"ganzoo/attempt-{attempt}", store)
    dist.init_process_group(backend=backend, store=store, rank=rank, world_size=world_size)
    return True


class _ForwardAll(nn.Module):
    """D's ``forward_all`` as a module forward, so DDP can wrap it (shares D's parameters)."""

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.d = discriminator

    def forward(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        return self.d.forward_all(x, y)


def _wrap(module: nn.Module, device: torch.device) -> DistributedDataParallel:
    kwargs: dict[str, Any] = {}
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters:
        kwargs["forward_sync_buffers"] = False
    else:  # torch < 2.13
        kwargs["broadcast_buffers"] = False
    if device.type == "cuda":
        kwargs["device_ids"] = [device.index]
    return DistributedDataParallel(module, **kwargs)


class DistributedStrategy:
    """One rank of a torchrun launch (see the module docstring).

    Sets up the default process group from torchrun's variables unless the caller already did;
    `close` releases a group it created.

    Args:
        config: The run's config (its ``device`` and ``sync_batchnorm``).

    Raises:
        ConfigError: ``sync_batchnorm`` on CPU, or a local rank without a GPU.
    """

    def __init__(self, config: TrainConfig) -> None:
        launch = launch_info()
        self.device = rank_device(config.device, launch.local_rank)
        self._owns_group = init_distributed(self.device)
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        if config.sync_batchnorm and self.device.type != "cuda":
            raise ConfigError(
                "sync_batchnorm needs CUDA devices (SyncBatchNorm does not run on CPU); "
                "leave it off for per-rank BatchNorm"
            )
        self.sync_batchnorm = config.sync_batchnorm
        self.batch_size = config.batch_size
        self.G_ddp: DistributedDataParallel | None = None
        self.D_ddp: DistributedDataParallel | None = None

    @property
    def is_main(self) -> bool:
        """Rank 0 writes the files and runs the callbacks."""
        return self.rank == 0

    def wrap(self, G: Generator, D: Discriminator) -> tuple[nn.Module | None, nn.Module | None]:
        """DDP around G and around D's ``forward_all`` (SyncBatchNorm first, if asked).

        G with grads and D in its update go through DDP (their gradients are all-reduced); G
        under no_grad and the frozen D of the G step stay unwrapped.
        """
        if self.sync_batchnorm:
            nn.SyncBatchNorm.convert_sync_batchnorm(G)  # in place: parameters are kept
            nn.SyncBatchNorm.convert_sync_batchnorm(D)
        self.G_ddp = _wrap(G, self.device)
        self.D_ddp = _wrap(_ForwardAll(D), self.device)
        return self.G_ddp, self.D_ddp

    def reduce_stats(self, acc: Tensor) -> None:
        """The one collective per record: sum over the ranks, then divide by their number."""
        dist.all_reduce(acc)
        acc /= self.world_size

    def agree_stop(self, reason: str | None) -> str | None:
        """One tiny ``all_reduce``: if any rank asks to stop, every rank stops."""
        flag = torch.tensor([0.0 if reason is None else 1.0], device=self.device)
        dist.all_reduce(flag)
        if flag.item() > 0 and reason is None:
            return "another rank asked to stop"
        return reason

    def checkpoint_state(self) -> dict[str, Any]:
        """The global batch and the world size, so the position maps onto any other launch."""
        return {"global_batch": self.batch_size * self.world_size, "world_size": self.world_size}

    def run_info(self) -> dict[str, Any]:
        """World size, per-rank and global batch, and the backend."""
        return {
            "world_size": self.world_size,
            "batch_size_per_rank": self.batch_size,
            "global_batch": self.batch_size * self.world_size,
            "backend": dist.get_backend(),
        }

    def resume_position(
        self, state: dict[str, Any], batches: Batches, run_dir: Path
    ) -> tuple[int, str]:
        """Map the checkpoint's position onto this launch's global batch.

        A checkpoint of a single-process run names no global batch: its batch is read from the
        run's ``config.json`` (not yet rewritten at resume time), else taken as this run's
        per-rank batch. When the global batch changed, rank 0 also warns on stderr.
        """
        old_global = int(state.get("global_batch") or self._single_process_batch(run_dir))
        consumed, message = map_position(
            int(state["batches_consumed"]), old_global, batches.global_batch, batches.num_samples
        )
        text = f" on {self.world_size} processes"
        if message:
            text += f"; {message}"
            if self.rank == 0:
                sys.stderr.write(f"warning: {message}\n")
        return consumed, text

    def _single_process_batch(self, run_dir: Path) -> int:
        try:
            return int(json.loads((run_dir / "config.json").read_text())["batch_size"])
        except (OSError, ValueError, KeyError):
            return self.batch_size

    def close(self, release: Callable[[], None]) -> None:
        """Release the process group if this strategy created it.

        Every rank finishes its collectives, and the DDP wrappers (whose reducers hold the
        group) go, before the group is destroyed: otherwise a rank can abort at exit.
        """
        if self._owns_group and dist.is_initialized():
            dist.barrier()
            release()
            self.G_ddp = self.D_ddp = None
            gc.collect()
            dist.destroy_process_group()
            self._owns_group = False
