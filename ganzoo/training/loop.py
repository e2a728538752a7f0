"""The training run: one `Trainer` per run directory.

The run is everything around the update rule (`ganzoo.training.updates`): it builds the parts
from the config (`ganzoo.training.setup`), keeps the data position (`ganzoo.training.batches`),
turns the statistics of ``log_every`` steps into one `ganzoo.events.StepRecord` with one host
sync, draws sample grids, writes checkpoints and the run files, sends events to its callbacks
and stops when they ask. How the run is spread over processes is the `Strategy` it is given
(`ganzoo.training.strategy`): one process by default, DDP under torchrun.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.errors import TrainingError
from ganzoo.events import Event, Notice, StepRecord
from ganzoo.images import save_samples
from ganzoo.interfaces import Generator
from ganzoo.training.augment import build_augment
from ganzoo.training.batches import Batches
from ganzoo.training.callbacks import Callback
from ganzoo.training.checkpoint import save_checkpoint
from ganzoo.training.config import TrainConfig
from ganzoo.training.forwards import Forwards
from ganzoo.training.interrupts import RunInterrupted, catch_signals
from ganzoo.training.opening import claim, plan_start, refuse_overwrite
from ganzoo.training.records import StatsAccumulator, read_record
from ganzoo.training.resume import restore
from ganzoo.training.rundir import read_run_info
from ganzoo.training.runfiles import Segment, write_config
from ganzoo.training.runlock import RunLock
from ganzoo.training.setup import build_parts, fixed_latents
from ganzoo.training.start import start_from
from ganzoo.training.strategy import SingleProcess, Strategy, choose_strategy, restart_count
from ganzoo.training.topk import TopK
from ganzoo.training.updates import AlternatingUpdates


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
        self.batches = Batches(  # a step reads `accumulate` micro-batches of batch_size
            self.data, config.batch_size * config.accumulate, config.seed, self.device,
            config.channels_last,
            self.strategy.rank, self.strategy.world_size,
        )  # fmt: skip
        n_critic: int = parts.optimizer.n_critic  # type: ignore[assignment]  # resolved: complete
        self.updates = AlternatingUpdates(
            parts.G, parts.D, parts.loss, parts.opt_g, parts.opt_d, n_critic, self.batches,
            ema=config.ema, reuse_fakes=config.reuse_fakes, amp=parts.config.amp,
            augment=build_augment(config.augment, config.augment_options, self.data.spec.modality),
            accumulate=config.accumulate, ema_batchnorm=config.ema_batchnorm,
            ema_warmup=config.ema_warmup, ema_start=config.ema_start,
            top_k=TopK(config.top_k, config.top_k_anneal) if config.top_k is not None else None,
        )  # fmt: skip
        epochs = config.epochs if config.epochs is not None else 1.0
        self.total_steps = config.steps or max(
            1, math.ceil(epochs * self.batches.per_epoch / n_critic)
        )
        self.updates.set_schedule(
            config.lr_schedule, self.total_steps, config.lr_warmup, config.lr_decay_start
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
        self._pending: list[Event] = list(parts.notes)
        self.segment = Segment()  # this invocation, as run.json records it
        self._interrupt: str | None = None  # the signal that asked the run to stop
        self._lock: RunLock | None = None
        self._resumed = False
        self._summary: dict[str, Any] = {}

    @classmethod
    def create(
        cls,
        config: TrainConfig,
        callbacks: list[Callback] | None = None,
        resume: bool = False,
        strategy: Strategy | None = None,
        data: Any = None,
        allow_changes: bool = False,
        from_step: int | None = None,
        init: Any = None,
    ) -> Trainer:
        """A trainer for ``config``, new or resumed.

        With ``resume``, it continues from the run directory's newest intact checkpoint (a
        corrupt newest one is passed over with a warning), or from step 0 when the run saved
        none. A resume keeps the run's settings (`ganzoo.training.resume.PROTECTED`) unless
        ``allow_changes``.

        The main process claims the run directory first (`ganzoo.training.runlock`) and holds
        it until the run ends or `close`: a second trainer of the same directory fails. A new
        run refuses a run directory that already holds a run, so nothing is overwritten; in a group
        that torchrun restarted (``--max-restarts``) it resumes that run instead.

        Args:
            config: The run's config.
            callbacks: What the run reports to (kept on the main process only).
            resume: Continue the run in ``config.out`` from its latest checkpoint.
            strategy: How to spread the run over processes; default `choose_strategy`'s
                (several processes under a torchrun launch, else one).
            data: Train on this Python object (a tensor, numpy array or
                ``torch.utils.data.Dataset``; see `ganzoo.data.objects.as_data`) instead of the
                data set ``config.data`` names; a resumed run needs it passed again.
            allow_changes: Let a resume change protected settings (recorded in ``run.json``).
            from_step: Resume from this kept checkpoint; the later ones are moved to
                ``checkpoints/superseded/``.
            init: The trained ``GANModel`` that ``config.init`` names
                (``ganzoo.loading.start_model(config.init)``): a new run starts its G, D and
                EMA from its weights (`ganzoo.training.start`); a resumed run ignores it.
        """
        run_dir, resume, restarted = plan_start(config, resume, from_step, init)
        strategy = strategy or choose_strategy(config)
        lock = None
        if strategy.is_main:
            run_dir, lock = claim(run_dir, config)
        try:
            if not resume:
                refuse_overwrite(run_dir)
            trainer = cls(config, run_dir, callbacks, strategy, data)
            trainer._lock = lock
            if lock is not None and (note := lock.stale_note()):
                trainer._pending.append(Notice("claim", 0, note))
            if restarted:
                note = f"torchrun restarted the group (restart {restart_count()}): resuming"
                trainer._pending.append(Notice("resume", 0, note))
            if resume:
                trainer._resume(allow_changes, from_step)
            elif init is not None:
                start_from(trainer, init, config.init)  # type: ignore[arg-type]  # checked above
        except BaseException:
            if lock is not None:
                lock.abandon()
            raise
        return trainer

    def _resume(self, allow_changes: bool, from_step: int | None) -> None:
        new = self.resolved_config.model_dump(mode="json")
        done = restore(self, new, allow_changes, from_step)
        self.step, self.batches.consumed, self._resumed = done.step, done.consumed, True
        self.segment.info.update(done.segment)
        for kind, message in done.notices:
            self._pending.append(Notice(kind, self.step, message))  # type: ignore[arg-type]

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
            TrainingError: The run diverged (`ganzoo.training.records.divergence`: a non-finite
                loss or gradient norm, a loss or weight past ``config.divergence_limit``); an
                ``error`` notice goes out first.
        """
        self._stop_due = True
        images *= self.strategy.world_size
        record, why = read_record(
            self.stats, self.step, self.strategy.reduce_stats, self.loss_name,
            images / elapsed if elapsed > 0 else float("nan"),
            self.config.divergence_limit, lambda: [*self.G.parameters(), *self.D.parameters()],
        )  # fmt: skip
        if why is not None:
            self.emit(Notice("error", self.step, f"diverged at step {self.step}: {why}"))
            raise TrainingError(
                f"training diverged: {why} before step {self.step}; the last good checkpoint in "
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
        self._write_run_info("running")  # a killed run keeps its figures up to here
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
        # then (a no-op for one process), so none is left waiting in a collective. A signal
        # stops one process at once; several agree at the next record (`_on_signal`).
        if self._interrupt is not None and self.strategy.world_size == 1:
            return True
        if self._stop_due:
            self._stop_due = False
            self._stop_reason = self.strategy.agree_stop(self._stop_reason)
        return self._stop_reason is not None

    # ----------------------------------------------------------------- the run
    def run(self) -> dict[str, Any]:
        """Train to ``total_steps``; returns the run summary written to ``run.json``.

        After a resume, ``wall_seconds``, ``images`` and ``images_per_second`` cover every segment
        of the run; ``segment`` holds this invocation's own figures and ``segments`` each
        segment's (where it resumed from, what it changed, how it ended).

        Raises:
            RunInterrupted: SIGINT or SIGTERM arrived; the run saved a checkpoint first and
                marked itself ``interrupted``.
            TrainingError: The run diverged.
        """
        self.segment.begin(self.run_dir, self._resumed)
        if self.is_main:
            write_config(self.run_dir, self.resolved_config, self.data.spec)
            self._write_run_info("running")
        self.status = "running"
        for cb in self.callbacks:
            cb.on_start(self)
        for event in self._pending:
            self.emit(event)
        self._pending.clear()
        last_wall, last_images = time.perf_counter(), 0
        status = "failed"
        try:
            with catch_signals(self._on_signal):
                status = self._loop(last_wall, last_images)
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._finish(status)
        if self._interrupt is not None:
            raise RunInterrupted(
                f"interrupted by {self._interrupt} at step {self.step} of {self.total_steps}; "
                f"checkpoint saved. Resume with: ganzoo train --resume {self.run_dir}",
                self._interrupt,
            )
        if self.is_main:
            return read_run_info(self.run_dir)
        return dict(self._summary)

    def _on_signal(self, name: str) -> None:
        self._interrupt = name
        if self.strategy.world_size > 1:  # the processes agree at the next record
            self._stop_reason = f"interrupted by {name}"

    def _loop(self, last_wall: float, last_images: int) -> str:
        cfg = self.config
        while self.step < self.total_steps and not self._should_stop():
            self.train_step()
            self.segment.images += self.batch_size * self.n_critic
            s, images = self.step, self.segment.images
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
        if self._stop_reason is None and self._interrupt is None:
            return "finished"
        if self.stats.steps:
            record = self.record(time.perf_counter() - last_wall, self.segment.images - last_images)
            for cb in self.callbacks:
                cb.on_step(self, record)
        if self._interrupt is None:
            self._save_samples()
        path = self.checkpoint()
        if self._interrupt is not None:
            message = f"interrupted by {self._interrupt}: checkpoint {path} saved"
            self.emit(Notice("interrupted", self.step, message))
            return "interrupted"
        self.emit(Notice("stopped", self.step, f"stopped: {self._stop_reason}"))
        return "stopped"

    def _write_run_info(self, status: str) -> None:
        if self.is_main:
            self.segment.write(
                self.run_dir, status, self.step, self.total_steps, self.device,
                self.strategy.world_size, self.strategy.run_info(),
            )  # fmt: skip

    def _finish(self, status: str) -> None:
        try:
            self._write_run_info(status)
            if not self.is_main:
                self._summary = self.segment.summary(
                    status, self.step, self.total_steps, self.strategy.world_size,
                    {"rank": self.strategy.rank, **self.strategy.run_info()},
                )  # fmt: skip
            self.status = status
            for cb in self.callbacks:
                cb.on_end(self, status)
        finally:
            self.release()

    def release(self) -> None:
        """Give up the claim on the run directory (done when the run ends; safe to repeat)."""
        if self._lock is not None:
            self._lock.release()

    def close(self) -> None:
        """Release what the strategy holds (a multi-process run's process group) and the claim."""
        self.release()
        self.strategy.close(self.updates.drop_wrappers)
