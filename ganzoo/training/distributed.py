"""Multi-process and multi-node training: ``torchrun ... -m ganzoo train ...``.

The standard PyTorch engine and nothing home-made: :mod:`torch.distributed` (NCCL on CUDA, gloo
on CPU), initialised from the variables torchrun sets (``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``MASTER_ADDR``/``MASTER_PORT``), and :class:`~torch.nn.parallel.DistributedDataParallel` around
G and D. :class:`DistributedTrainer` is the single-process :class:`~ganzoo.training.loop.Trainer`
with these changes:

* **Batch.** ``batch_size`` is the batch of *each rank*; the global batch is
  ``batch_size * world_size``. Each global batch is one slice of the epoch's permutation (the
  same permutation a single-process run draws) and rank ``r`` takes the ``r``-th
  ``batch_size`` rows of it. The latents (and fake labels) are drawn for the whole global batch
  from the global RNG, which is in the same state on every rank, and rank ``r`` takes its rows.
  So for a model without BatchNorm (and without randomness inside D, e.g. dropout 0) a run on
  ``N`` ranks with batch ``B`` is the single-process run with batch ``N * B``, up to the order
  of float additions.
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
  which converts BatchNorm to :class:`~torch.nn.SyncBatchNorm` (CUDA only). Spectral norm's
  power-iteration vectors are a deterministic function of the weights, which are identical on
  every rank, so they stay identical without any communication. Weight clipping
  (``constrain``) runs on every rank on identical weights.
* **Files.** Rank 0 alone writes the config, checkpoints, sample grids, ``run.json`` and
  (through its callbacks) metrics and alarms. The statistics of a record are averaged over the
  ranks with one ``all_reduce`` per record (not per step); since every rank has the same batch
  size the averages are the global-batch statistics (D accuracy, mean scores, losses), and the
  gradient norms are those of the all-reduced gradients. Images per second count all ranks.
* **Resume** works across process counts: weights, optimizer states and the RNG are the same on
  every rank, and the data position is kept as a count of global batches together with the
  global batch size (``global_batch`` in the checkpoint state), so it maps onto any other global
  batch (see :func:`map_position`).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from ganzoo.errors import ConfigError
from ganzoo.interfaces import DiscriminatorOutput
from ganzoo.training.callbacks import Callback
from ganzoo.training.checkpoint import latest_checkpoint, load_checkpoint
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer, resolve_device


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


def launched_distributed() -> bool:
    """True when this process is one of several started by torchrun (``WORLD_SIZE`` > 1)."""
    return launch_info().world_size > 1


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

    Returns whether this call created the group (a group made by the caller is reused).
    """
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return True


def map_position(
    batches_consumed: int, old_global_batch: int, new_global_batch: int, num_samples: int
) -> tuple[int, str | None]:
    """Map a data position counted in batches of ``old_global_batch`` onto ``new_global_batch``.

    Every run reads epoch ``e`` in the order of the same permutation (seeded by seed and epoch),
    so the position is ``(epoch, samples read in that epoch)``. With the same global batch the
    count is returned unchanged and the message is None. Otherwise the new position is the first
    new batch boundary at or after the samples already read (no sample of the epoch is read
    twice, fewer than ``new_global_batch`` are skipped), and the message says that the data order
    (and the latents, drawn per global batch) now differ from an uninterrupted run.
    """
    if old_global_batch == new_global_batch:
        return batches_consumed, None
    old_per_epoch = max(num_samples // old_global_batch, 1)
    new_per_epoch = max(num_samples // new_global_batch, 1)
    epoch, pos = divmod(batches_consumed, old_per_epoch)
    new_pos = math.ceil(pos * old_global_batch / new_global_batch)
    if new_pos >= new_per_epoch:
        epoch, new_pos = epoch + 1, 0
    message = (
        f"the global batch changed from {old_global_batch} to {new_global_batch}: training goes on "
        f"from epoch {epoch}, batch {new_pos} (the same weights, optimizer states and epoch), but "
        "the batches and latents differ from those of an uninterrupted run"
    )
    return epoch * new_per_epoch + new_pos, message


class _ForwardAll(nn.Module):
    """D's :meth:`forward_all` as a module forward, so DDP can wrap it (shares D's parameters)."""

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


class DistributedTrainer(Trainer):
    """The :class:`Trainer` for one rank of a torchrun launch (see the module docstring).

    Create it with :meth:`Trainer.create` on every rank; only rank 0 keeps ``callbacks``.
    Call :meth:`close` when done to release the process group this trainer created.
    """

    def __init__(
        self, config: TrainConfig, run_dir: Path, callbacks: list[Callback] | None = None
    ) -> None:
        launch = launch_info()
        device = rank_device(config.device, launch.local_rank)
        self._owns_group = init_distributed(device)
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        if config.sync_batchnorm and device.type != "cuda":
            raise ConfigError(
                "sync_batchnorm needs CUDA devices (SyncBatchNorm does not run on CPU); "
                "leave it off for per-rank BatchNorm"
            )
        super().__init__(
            config.model_copy(update={"device": str(device)}),
            run_dir,
            callbacks if self.rank == 0 else None,
        )
        self.config = config  # config.json keeps the device as given ("auto"), not cuda:<rank>
        self.global_batch = self.batch_size * self.world_size
        if len(self.data) < self.global_batch:
            raise ConfigError(
                f"the global batch {self.global_batch} ({self.batch_size} per rank x "
                f"{self.world_size} ranks) is larger than the data set ({len(self.data)} samples)"
            )
        self.batches_per_epoch = len(self.data) // self.global_batch
        if config.steps is None:
            epochs = config.epochs if config.epochs is not None else 1.0
            self.total_steps = max(1, math.ceil(epochs * self.batches_per_epoch / self.n_critic))
        if config.sync_batchnorm:
            nn.SyncBatchNorm.convert_sync_batchnorm(self.G)  # in place: parameters are kept
            nn.SyncBatchNorm.convert_sync_batchnorm(self.D)
        self.G_ddp = _wrap(self.G, self.device)
        self.D_ddp = _wrap(_ForwardAll(self.D), self.device)
        # G with grads and D in its update go through DDP (their gradients are all-reduced);
        # G under no_grad and the frozen D of the G step stay unwrapped.
        self._g_train_forward = torch.compile(self.G_ddp) if config.compile else self.G_ddp
        self._d_forward_all = torch.compile(self.D_ddp) if config.compile else self.D_ddp
        self._sync_stop_due = False
        self._notices: list[dict[str, Any]] = []
        self._summary: dict[str, Any] = {}

    # ----------------------------------------------------------------- data and latents
    def _rows(self) -> slice:
        return slice(self.rank * self.batch_size, (self.rank + 1) * self.batch_size)

    def _batch_rows(self, pos: int) -> slice:
        """This rank's rows of global batch ``pos``: one slice of the single-process order."""
        start = pos * self.global_batch + self.rank * self.batch_size
        return slice(start, start + self.batch_size)

    def _latents(self) -> Tensor:
        z = self.G.sample_latent(self.global_batch, device=self.device)
        return z[self._rows()]

    def _fake_labels(self) -> Tensor | None:
        if self.G.num_classes is None:
            return None
        y = torch.randint(0, self.G.num_classes, (self.global_batch,), device=self.device)
        return y[self._rows()]

    # ----------------------------------------------------------------- records and stopping
    def _flush(self, elapsed: float, images: int) -> Any:
        dist.all_reduce(self._acc)  # the one collective per record: sum, then mean over ranks
        self._acc /= self.world_size
        self._sync_stop_due = True
        for notice in self._notices:
            self.emit(notice)
        self._notices.clear()
        return super()._flush(elapsed, images * self.world_size)

    def _stop_requested(self) -> bool:
        # Callbacks (rank 0's) may ask to stop only when a record or samples were made; the ranks
        # agree then, with one tiny all_reduce, so no rank is left waiting in a collective.
        if self._sync_stop_due:
            self._sync_stop_due = False
            flag = torch.tensor([0.0 if self._stop_reason is None else 1.0], device=self.device)
            dist.all_reduce(flag)
            if flag.item() > 0 and self._stop_reason is None:
                self._stop_reason = "another rank asked to stop"
        return self._stop_reason is not None

    # ----------------------------------------------------------------- files: rank 0 only
    def _save_samples(self) -> None:
        self._sync_stop_due = True
        if self.rank == 0:
            super()._save_samples()

    def _checkpoint_state(self) -> dict[str, Any]:
        return {
            "batches_consumed": self.batches_consumed,
            "global_batch": self.global_batch,
            "world_size": self.world_size,
        }

    def checkpoint(self) -> Path:
        """Rank 0 saves the unwrapped modules (no ``module.`` prefixes); other ranks write nothing."""
        if self.rank == 0:
            return super().checkpoint()
        return self.run_dir / "checkpoints" / f"step-{self.step:07d}"

    def _write_run_files(self) -> None:
        if self.rank == 0:
            super()._write_run_files()

    def _write_run_info(self, wall: float, images: int, status: str) -> None:
        extra = {
            "world_size": self.world_size,
            "batch_size_per_rank": self.batch_size,
            "global_batch": self.global_batch,
            "backend": dist.get_backend(),
        }
        if self.rank == 0:
            super()._write_run_info(wall, images * self.world_size, status)
            path = self.run_dir / "run.json"
            path.write_text(json.dumps({**json.loads(path.read_text()), **extra}, indent=2))
        self._summary = {
            "status": status,
            "step": self.step,
            "total_steps": self.total_steps,
            "wall_seconds": round(wall, 2),
            "images_per_second": round(images * self.world_size / wall, 1) if wall else None,
            "rank": self.rank,
            **extra,
        }

    def _run_summary(self) -> dict[str, Any]:
        return super()._run_summary() if self.rank == 0 else dict(self._summary)

    # ----------------------------------------------------------------- resume
    def _resume(self) -> None:
        ckpt = latest_checkpoint(self.run_dir / "checkpoints")
        state = load_checkpoint(ckpt, self._modules(), {"g": self.opt_g, "d": self.opt_d})
        self.step = int(state["step"])
        old_global = int(state.get("global_batch") or self._single_process_batch())
        self.batches_consumed, message = map_position(
            int(state["batches_consumed"]), old_global, self.global_batch, len(self.data)
        )
        text = f"resumed from {ckpt} on {self.world_size} processes"
        if message:
            text += f"; {message}"
            if self.rank == 0:
                sys.stderr.write(f"warning: {message}\n")
        # emitted with the first record, once rank 0's callbacks are attached
        self._notices.append({"event": "resume", "step": self.step, "message": text})

    def _single_process_batch(self) -> int:
        """The batch of the single-process run that wrote a checkpoint without ``global_batch``:
        its ``config.json`` (not yet rewritten at resume time), else this run's per-rank batch."""
        try:
            return int(json.loads((self.run_dir / "config.json").read_text())["batch_size"])
        except (OSError, ValueError, KeyError):
            return self.batch_size

    # ----------------------------------------------------------------- end
    def close(self) -> None:
        """Release the process group if this trainer created it."""
        if self._owns_group and dist.is_initialized():
            # every rank finishes its collectives, and the DDP wrappers (whose reducers hold the
            # group) go, before the group is destroyed: otherwise a rank can abort at exit
            dist.barrier()
            self._g_train_forward, self._d_forward_all = self._g_forward, self._d_frozen_forward_all
            self._kept_fakes = None
            for name in ("G_ddp", "D_ddp"):
                if hasattr(self, name):
                    delattr(self, name)
            import gc

            gc.collect()
            dist.destroy_process_group()
            self._owns_group = False


def create_trainer(
    config: TrainConfig, callbacks: list[Callback] | None = None, resume: bool = False
) -> Trainer:
    """A :class:`DistributedTrainer` under a multi-process torchrun launch, else a :class:`Trainer`."""
    cls = DistributedTrainer if launched_distributed() else Trainer
    return cls.create(config, callbacks, resume=resume)


def is_main_process(trainer: Trainer) -> bool:
    """True for a single-process trainer and for rank 0 of a distributed one."""
    return getattr(trainer, "rank", 0) == 0


def close_trainer(trainer: Trainer) -> None:
    """Release what a distributed trainer holds (its process group); a no-op for a plain one."""
    if isinstance(trainer, DistributedTrainer):
        trainer.close()
