"""The training run: one `Trainer` per run directory.

The run is everything around the update rule (`ganzoo.training.updates`): it builds the parts
from the config (`ganzoo.training.setup`), keeps the data position (`ganzoo.training.batches`),
turns the statistics of ``log_every`` steps into one `ganzoo.events.StepRecord` with one host
sync, draws sample grids, writes checkpoints and the run files, sends events to its callbacks
and stops when they ask. How the run is spread over processes is the `Strategy` it is given
(`ganzoo.training.strategy`): one process by default, DDP under torchrun.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.building import loss_spec
from ganzoo.errors import ConfigError, TrainingError
from ganzoo.events import Event, Notice, StepRecord
from ganzoo.images import save_samples
from ganzoo.interfaces import Generator
from ganzoo.training.batches import Batches
from ganzoo.training.callbacks import Callback
from ganzoo.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from ganzoo.training.config import TrainConfig
from ganzoo.training.records import StatsAccumulator
from ganzoo.training.runfiles import (
    default_run_dir,
    previous_segments,
    write_config,
    write_run_info,
)
from ganzoo.training.setup import build_parts
from ganzoo.training.strategy import SingleProcess, Strategy, choose_strategy
from ganzoo.training.updates import AlternatingUpdates, Forwards


class Trainer:
    """One training run in one run directory. Create with `create`, then `run`.

    Attributes:
        config: The run's config, as given.
        run_dir: The run directory.
        strategy: How the run is spread over processes.
        callbacks: What the run reports to (none on a process other than the main one).
        updates: The update rule, which owns G, D, the loss, the optimizers and the EMA.
        batches: The data order and latents of each step.
        step: Generator updates done so far.
        total_steps: Generator updates the run is to do.
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        callbacks: list[Callback] | None = None,
        strategy: Strategy | None = None,
        data: Any = None,
    ) -> None:
        self.config, self.run_dir = config, Path(run_dir)
        self.strategy = strategy or SingleProcess(config)
        self.callbacks: list[Callback] = list(callbacks or []) if self.strategy.is_main else []
        self.device = self.strategy.device
        parts = build_parts(config, self.device, data)
        self.resolved_config = parts.config
        self.arch, self.data_name, self.loss_name = parts.arch, parts.data_name, parts.loss_name
        self.data, self.model, self.optimizer = parts.data, parts.model, parts.optimizer
        self.batches = Batches(
            self.data, config.batch_size, config.seed, self.device, config.channels_last,
            self.strategy.rank, self.strategy.world_size,
        )  # fmt: skip
        n_critic: int = parts.optimizer.n_critic  # type: ignore[assignment]  # resolved: complete
        self.updates = AlternatingUpdates(
            parts.G, parts.D, parts.loss, parts.opt_g, parts.opt_d, n_critic, self.batches,
            ema=config.ema, reuse_fakes=config.reuse_fakes, amp=config.amp,
        )  # fmt: skip
        epochs = config.epochs if config.epochs is not None else 1.0
        self.total_steps = config.steps or max(
            1, math.ceil(epochs * self.batches.per_epoch / n_critic)
        )
        self._fixed_z, self._fixed_y = fixed_latents(parts.G, self.data, config, self.device)
        # wrapped after the EMA copy was made: a SyncBatchNorm conversion must not reach it
        g_train, d_train = self.strategy.wrap(parts.G, parts.D)
        self.updates.forwards = Forwards.make(parts.G, parts.D, config.compile, g_train, d_train)
        self.stats = StatsAccumulator(self.device, self.updates.layer_names)
        self.step = 0
        self.status = "created"
        self._stop_reason: str | None = None
        self._stop_due = False  # a record or a grid was made: callbacks may have asked to stop
        # sent once the callbacks are attached (run start)
        self._pending: list[Event] = [Notice("data", 0, note) for note in parts.notes]
        self._prior: tuple[float, int] = (0.0, 0)
        self._summary: dict[str, Any] = {}

    @classmethod
    def create(
        cls,
        config: TrainConfig,
        callbacks: list[Callback] | None = None,
        resume: bool = False,
        strategy: Strategy | None = None,
        data: Any = None,
    ) -> Trainer:
        """A trainer for ``config``, new or resumed.

        With ``resume``, it continues from the run directory's latest
        checkpoint.

        A new run refuses a run directory that already holds a run, so nothing is overwritten.

        Args:
            config: The run's config.
            callbacks: What the run reports to (kept on the main process only).
            resume: Continue the run in ``config.out`` from its latest checkpoint.
            strategy: How to spread the run over processes; default `choose_strategy`'s
                (several processes under a torchrun launch, else one).
            data: Train on this Python object (a tensor, numpy array or
                ``torch.utils.data.Dataset``; see `ganzoo.data.objects.as_data`) instead of the
                data set ``config.data`` names; a resumed run needs it passed again.
        """
        run_dir = Path(config.out) if config.out else default_run_dir(config)
        if not resume and (run_dir / "config.json").exists():
            raise ConfigError(
                f"run directory {run_dir} already holds a run; pass --resume {run_dir} to continue it, "
                "or choose another --out"
            )
        trainer = cls(config, run_dir, callbacks, strategy or choose_strategy(config), data)
        if resume:
            trainer._resume()
        return trainer

    def _resume(self) -> None:
        ckpt = latest_checkpoint(self.run_dir / "checkpoints")
        state = load_checkpoint(ckpt, self.updates.modules(), self.updates.optimizers())
        self.step = int(state["step"])
        self.batches.consumed, note = self.strategy.resume_position(
            state, self.batches, self.run_dir
        )
        self._pending.append(Notice("resume", self.step, f"resumed from {ckpt}{note}"))

    # ----------------------------------------------------------------- what the run holds
    @property
    def G(self) -> Generator:
        """The generator."""
        return self.updates.G

    @property
    def D(self) -> Any:
        """The discriminator."""
        return self.updates.D

    @property
    def ema(self) -> Generator | None:
        """The EMA generator, or None."""
        return self.updates.ema

    @property
    def loss(self) -> Any:
        """The GAN loss."""
        return self.updates.loss

    @property
    def opt_g(self) -> torch.optim.Optimizer:
        """G's optimizer."""
        return self.updates.opt_g

    @property
    def opt_d(self) -> torch.optim.Optimizer:
        """D's optimizer."""
        return self.updates.opt_d

    @property
    def n_critic(self) -> int:
        """D updates per G update."""
        return self.updates.n_critic

    @property
    def batch_size(self) -> int:
        """Rows per step on this process."""
        return self.batches.batch_size

    @property
    def batches_consumed(self) -> int:
        """Global batches read so far (the data position a checkpoint keeps)."""
        return self.batches.consumed

    @property
    def want_layer_norms(self) -> bool:
        """Whether records carry G's per-layer gradient norms (a diagnostic asks for them)."""
        return self.updates.want_layer_norms

    @want_layer_norms.setter
    def want_layer_norms(self, value: bool) -> None:
        self.updates.want_layer_norms = value

    @property
    def is_main(self) -> bool:
        """Whether this process writes the files (always, for a single process)."""
        return self.strategy.is_main

    # ----------------------------------------------------------------- steps and records
    def train_step(self) -> None:
        """One generator iteration of the update rule; its statistics stay on the device."""
        stats, layer = self.updates.step()
        self.stats.add(stats, layer)
        self.step += 1

    def record(self, elapsed: float, images: int) -> StepRecord:
        """The record of the steps since the last one: their statistics, read in one host sync.

        Args:
            elapsed: Wall seconds since the last record.
            images: Real images this process read since the last record.

        Raises:
            TrainingError: A loss became non-finite (an ``error`` notice goes out first).
        """
        self._stop_due = True
        stats, layer = self.stats.take(self.strategy.reduce_stats)
        images *= self.strategy.world_size
        loss = loss_spec(self.loss_name)  # what it declares of D's scores, read by consumers
        record = StepRecord(
            step=self.step,
            grad_norms_g=layer,
            loss_name=self.loss_name,
            scores=loss.scores,
            saturating=loss.saturating,
            images_per_second=images / elapsed if elapsed > 0 else float("nan"),
            **stats,
        )
        if not all(math.isfinite(stats[k]) for k in ("loss_d", "loss_g")):
            d, g = stats["loss_d"], stats["loss_g"]
            self.emit(
                Notice("error", self.step, f"non-finite loss at step {self.step} (D {d}, G {g})")
            )
            raise TrainingError(
                f"training diverged: the loss became non-finite before step {self.step} "
                f"(D loss {d}, G loss {g}); the last good checkpoint in "
                f"{self.run_dir / 'checkpoints'} is kept. Try a lower learning rate or another loss."
            )
        return record

    @torch.no_grad()
    def sample_grid(self) -> Tensor:
        """Samples of the fixed latents from the EMA generator if any, else G (eval mode)."""
        g = self.ema if self.ema is not None else self.G
        was = g.training
        g.eval()
        try:
            return g(self._fixed_z, self._fixed_y).float()
        finally:
            g.train(was)

    def _save_samples(self) -> None:
        self._stop_due = True
        if not self.is_main:
            return
        samples = self.sample_grid()
        path = self.run_dir / "samples" / f"step-{self.step:07d}.png"
        save_samples(samples, path, modes=self.data.modes)
        for cb in self.callbacks:
            cb.on_samples(self, self.step, samples)

    def checkpoint(self) -> Path:
        """Save a checkpoint of the current state (the main process writes; others only name it)."""
        folder = self.run_dir / "checkpoints"
        if not self.is_main:
            return folder / f"step-{self.step:07d}"
        state = {"batches_consumed": self.batches.consumed, **self.strategy.checkpoint_state()}
        path = save_checkpoint(
            folder,
            self.step,
            self.updates.modules(),
            self.updates.optimizers(),
            state,
            keep=self.config.keep_checkpoints,
        )
        for cb in self.callbacks:
            cb.on_checkpoint(self, path)
        return path

    # ----------------------------------------------------------------- events and stopping
    def emit(self, event: Event) -> None:
        """Send an event (an alarm or a notice) to every callback."""
        for cb in self.callbacks:
            cb.on_event(self, event)

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step (diagnostics with the ``stop`` policy)."""
        self._stop_reason = reason

    def _should_stop(self) -> bool:
        # Callbacks can ask to stop only when a record or a grid was made; the processes agree
        # then (a no-op for one process), so none is left waiting in a collective.
        if self._stop_due:
            self._stop_due = False
            self._stop_reason = self.strategy.agree_stop(self._stop_reason)
        return self._stop_reason is not None

    # ----------------------------------------------------------------- the run
    def run(self) -> dict[str, Any]:
        """Train to ``total_steps``; returns the run summary written to ``run.json``.

        After a resume, ``wall_seconds``, ``images`` and ``images_per_second`` cover every segment
        of the run; ``segment`` holds this invocation's own figures.
        """
        self._prior = previous_segments(self.run_dir, self.step)
        if self.is_main:
            write_config(self.run_dir, self.resolved_config, self.data.spec)
        self.status = "running"
        for cb in self.callbacks:
            cb.on_start(self)
        for event in self._pending:
            self.emit(event)
        self._pending.clear()
        cfg = self.config
        start_wall = last_wall = time.perf_counter()
        images = last_images = 0
        status = "failed"
        try:
            while self.step < self.total_steps and not self._should_stop():
                self.train_step()
                images += self.batch_size * self.n_critic
                s = self.step
                last = s == self.total_steps
                if s % cfg.log_every == 0 or last or s % cfg.checkpoint_every == 0:
                    now = time.perf_counter()
                    record = self.record(now - last_wall, images - last_images)
                    last_wall, last_images = now, images
                    for cb in self.callbacks:
                        cb.on_step(self, record)
                if s % cfg.sample_every == 0 or last:
                    self._save_samples()
                if s % cfg.checkpoint_every == 0 or last:
                    self.checkpoint()
            if self._stop_reason is not None:
                if self.stats.steps:
                    self.record(time.perf_counter() - last_wall, images - last_images)
                self._save_samples()
                self.checkpoint()
                self.emit(Notice("stopped", self.step, f"stopped: {self._stop_reason}"))
                status = "stopped"
            else:
                status = "finished"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._finish(time.perf_counter() - start_wall, images, status)
        if self.is_main:
            return json.loads((self.run_dir / "run.json").read_text())
        return dict(self._summary)

    def _finish(self, wall: float, images: int, status: str) -> None:
        images *= self.strategy.world_size
        extra = self.strategy.run_info()
        if self.is_main:
            write_run_info(
                self.run_dir, self._prior, wall, images, status, self.step, self.total_steps,
                self.device, extra,
            )  # fmt: skip
        else:
            self._summary = {
                "status": status,
                "step": self.step,
                "total_steps": self.total_steps,
                "wall_seconds": round(wall, 2),
                "images_per_second": round(images / wall, 1) if wall else None,
                "rank": self.strategy.rank,
                **extra,
            }
        self.status = status
        for cb in self.callbacks:
            cb.on_end(self, status)

    def close(self) -> None:
        """Release what the strategy holds (a multi-process run's process group)."""
        self.strategy.close(self.updates.drop_wrappers)


def fixed_latents(
    G: Generator, data: Any, config: TrainConfig, device: torch.device
) -> tuple[Tensor, Tensor | None]:
    """The latents (and labels) of every sample grid.

    Drawn from their own seeded generator,
    ``num_samples`` of them (at least 1000 for point data, whose grids are scatter plots).
    """
    n = config.num_samples if data.spec.modality == "image" else max(config.num_samples, 1000)
    z = G.sample_latent(n, generator=torch.Generator().manual_seed(1234), device="cpu")
    y = torch.arange(n, device=device) % G.num_classes if G.num_classes else None
    return z.to(device), y
