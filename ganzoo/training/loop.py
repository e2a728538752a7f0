"""The GAN training loop.

Alternating updates as the literature describes them: ``n_critic`` D steps with G held fixed (its
output detached), then one G step with D held fixed (D's parameters do not require grad, D's
optimizer is untouched). By default (``reuse_fakes``) the G step reuses the last D step's latents
and fakes, as the PyTorch DCGAN tutorial does, so G runs forward once per iteration. Statistics
accumulate on the device and are read once every ``log_every`` steps, so the loop does not wait
on the host in between.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo import __version__
from ganzoo.building import build_architecture, dataset_spec
from ganzoo.building import build_entry as build
from ganzoo.errors import ConfigError, TrainingError
from ganzoo.events import Alarm, StepRecord
from ganzoo.hardware import cpu_name
from ganzoo.imports import import_string
from ganzoo.interfaces import DiscriminatorOutput, GANLoss
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec
from ganzoo.training.callbacks import Callback
from ganzoo.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from ganzoo.training.config import TrainConfig
from ganzoo.training.optim import make_optimizers

STATS = (
    "loss_d",
    "loss_g",
    "d_real",
    "d_fake",
    "p_real",
    "p_fake",
    "penalty",
    "d_accuracy",
    "r_t",
    "grad_norm_d",
    "grad_norm_g",
)


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def load_data(name: str, options: dict[str, Any]):
    """Build data set ``name``; a ``root`` option is passed only to data sets that take one."""
    spec = dataset_spec(name)
    opts = dict(options)
    if "root" in opts and spec.config:
        fields = import_string(spec.config).model_fields
        if "root" not in fields:
            opts.pop("root")
    return build(name, **opts)


class Trainer:
    """One training run in one run directory. Create with :meth:`create`, then :meth:`run`."""

    def __init__(
        self, config: TrainConfig, run_dir: Path, callbacks: list[Callback] | None = None
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.callbacks: list[Callback] = list(callbacks or [])
        self.device = resolve_device(config.device)
        registry = get_registry()
        self.arch: ArchitectureSpec = registry.get(config.architecture, "architecture").spec  # type: ignore[assignment]
        self.data_name = config.data or self.arch.default_data
        self.loss_name = config.loss or self.arch.default_loss
        registry.get(self.loss_name, "loss")
        if self.arch.compatible_losses and self.loss_name not in self.arch.compatible_losses:
            raise ConfigError(
                f"architecture {self.arch.name!r} needs one of the losses "
                f"{', '.join(self.arch.compatible_losses)}, not {self.loss_name!r} "
                "(e.g. weight clipping only makes sense for a Wasserstein critic)"
            )
        torch.manual_seed(config.seed)
        self.data = load_data(self.data_name, config.data_options).to(self.device)
        self.model = build_architecture(
            self.arch, data=self.data_name, **config.architecture_options
        )
        self.model.to(self.device)
        if config.channels_last and self.data.spec.modality == "image":
            self.model.to(memory_format=torch.channels_last)
        self.G, self.D = self.model.generator, self.model.discriminator
        if self.D is None:
            raise ConfigError(
                f"architecture {self.arch.name!r} built no discriminator: it cannot be trained"
            )
        self.loss: GANLoss = build(self.loss_name, **config.loss_options)
        self.optimizer = config.optimizer.resolve(self.arch.optimizer)
        self.opt_g, self.opt_d = make_optimizers(self.optimizer, self.G, self.D)
        self.n_critic: int = self.optimizer.n_critic  # type: ignore[assignment]  # complete
        self.ema = copy.deepcopy(self.G).eval().requires_grad_(False) if config.ema else None
        self.batch_size = config.batch_size
        if len(self.data) < self.batch_size:
            raise ConfigError(
                f"batch size {self.batch_size} is larger than the data set ({len(self.data)} samples)"
            )
        self.batches_per_epoch = len(self.data) // self.batch_size
        if config.steps is not None:
            self.total_steps = config.steps
        else:
            epochs = config.epochs if config.epochs is not None else 1.0
            self.total_steps = max(1, math.ceil(epochs * self.batches_per_epoch / self.n_critic))
        self.step = 0
        self.batches_consumed = 0
        self._perm: Tensor | None = None
        self._perm_epoch = -1
        self._acc = torch.zeros(len(STATS), device=self.device)
        self._acc_steps = 0
        self._layer_acc: Tensor | None = None
        self._layer_names = [n for n, p in self.G.named_parameters() if p.requires_grad]
        self.want_layer_norms = False
        self._stop_reason: str | None = None
        self._last_real: tuple[Tensor, Tensor | None] | None = None
        # The forward passes the updates call: G under no_grad and D with grads in the D step,
        # G with grads and D frozen in the G step (a multi-process run routes the ones with
        # grads through DDP).
        self._g_forward = torch.compile(self.G) if config.compile else self.G
        self._d_forward_all = (
            torch.compile(self.D.forward_all) if config.compile else self.D.forward_all
        )
        self._g_train_forward = self._g_forward
        self._d_frozen_forward_all = self._d_forward_all
        self._kept_fakes: tuple[Tensor, Tensor | None, Tensor] | None = None
        n_fixed = (
            config.num_samples
            if self.data.spec.modality == "image"
            else max(config.num_samples, 1000)
        )
        self._fixed_z = self.G.sample_latent(
            n_fixed, generator=torch.Generator().manual_seed(1234), device="cpu"
        ).to(self.device)
        self._fixed_y = (
            torch.arange(n_fixed, device=self.device) % self.G.num_classes
            if self.G.num_classes
            else None
        )
        self._prior: tuple[float, int] = (0.0, 0)
        self.status = "created"

    # ----------------------------------------------------------------- set-up and resume
    @classmethod
    def create(
        cls, config: TrainConfig, callbacks: list[Callback] | None = None, resume: bool = False
    ) -> Trainer:
        """A trainer for ``config``; with ``resume``, continue from the run directory's latest checkpoint.

        A new run refuses a run directory that already holds a run, so nothing is overwritten.
        """
        run_dir = Path(config.out) if config.out else default_run_dir(config)
        if not resume and (run_dir / "config.json").exists():
            raise ConfigError(
                f"run directory {run_dir} already holds a run; pass --resume {run_dir} to continue it, "
                "or choose another --out"
            )
        trainer = cls(config, run_dir, callbacks)
        if resume:
            trainer._resume()
        return trainer

    def _modules(self) -> dict[str, torch.nn.Module]:
        mods: dict[str, torch.nn.Module] = {"generator": self.G, "discriminator": self.D}
        if self.ema is not None:
            mods["ema_generator"] = self.ema
        return mods

    def _resume(self) -> None:
        ckpt = latest_checkpoint(self.run_dir / "checkpoints")
        state = load_checkpoint(ckpt, self._modules(), {"g": self.opt_g, "d": self.opt_d})
        self.step = int(state["step"])
        self.batches_consumed = int(state["batches_consumed"])
        if "global_batch" in state:  # written by a multi-process run: map its data position
            from ganzoo.training.distributed import map_position

            self.batches_consumed, _ = map_position(
                self.batches_consumed, int(state["global_batch"]), self.batch_size, len(self.data)
            )
        self.emit({"event": "resume", "step": self.step, "message": f"resumed from {ckpt}"})

    # ----------------------------------------------------------------- data and latents
    def _permutation(self, epoch: int) -> Tensor:
        """The data order of ``epoch``: a function of the seed and the epoch alone (exact resume)."""
        if epoch != self._perm_epoch or self._perm is None:
            gen = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
            self._perm = torch.randperm(len(self.data), generator=gen).to(self.device)
            self._perm_epoch = epoch
        return self._perm

    def _batch_rows(self, pos: int) -> slice:
        """Rows of the epoch's permutation that batch ``pos`` takes (a hook for sharding)."""
        return slice(pos * self.batch_size, (pos + 1) * self.batch_size)

    def _next_index(self) -> Tensor:
        epoch, pos = divmod(self.batches_consumed, self.batches_per_epoch)
        perm = self._permutation(epoch)
        self.batches_consumed += 1
        return perm[self._batch_rows(pos)]

    def _real_batch(self) -> tuple[Tensor, Tensor | None]:
        x, y = self.data.batch(self._next_index())
        if self.config.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y

    def _latents(self) -> Tensor:
        """This step's latents (a hook: a distributed run takes its slice of the global batch's)."""
        return self.G.sample_latent(self.batch_size, device=self.device)

    def _fake_labels(self) -> Tensor | None:
        if self.G.num_classes is None:
            return None
        return torch.randint(0, self.G.num_classes, (self.batch_size,), device=self.device)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.config.amp == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # ----------------------------------------------------------------- the two updates
    def _d_step(self, keep_for_g: bool = False) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """One D update on a real batch and fakes of fresh latents (G's output detached).

        With ``keep_for_g``, G's forward keeps its graph and the G step that follows reuses these
        latents and fakes (one G forward per iteration instead of two).
        """
        x_real, y_real = self._real_batch()
        self._last_real = (x_real, y_real)
        z = self._latents()
        y_fake = self._fake_labels()
        if keep_for_g:
            with self._autocast():
                fake_g = self._g_train_forward(z, y_fake)
            self._kept_fakes = (z, y_fake, fake_g)
            fake = fake_g.detach()
        else:
            with torch.no_grad(), self._autocast():
                fake = self._g_forward(z, y_fake)
        with self._autocast():
            out_real = self._d_forward_all(x_real, y_real)
            out_fake = self._d_forward_all(fake, y_fake)
            loss = self.loss.discriminator_loss(out_real.scores, out_fake.scores)
            aux_real = self.D.auxiliary_loss(out_real, y_real, None, real=True)
            aux_fake = self.D.auxiliary_loss(out_fake, y_fake, z, real=False)
        for aux in (aux_real, aux_fake):
            if aux is not None:
                loss = loss + aux
        penalty = self.loss.penalty(self.D, x_real, fake, y_real)
        total = loss if penalty is None else loss + penalty
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        grad_norm = torch.linalg.vector_norm(_grad_norms(self.D.parameters()))
        self.opt_d.step()
        self.D.constrain()
        pen = penalty.detach() if penalty is not None else torch.zeros((), device=self.device)
        return (
            total.detach(),
            out_real.scores.detach().float(),
            out_fake.scores.detach().float(),
            torch.stack([pen.float(), grad_norm]),
        )

    def _g_step(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """One G update with D frozen: on the last D step's fakes when kept, else fresh ones."""
        self.D.requires_grad_(False)
        try:
            with self._autocast():
                if self._kept_fakes is not None:
                    z, y_fake, fake = self._kept_fakes
                    self._kept_fakes = None
                else:
                    z, y_fake = self._latents(), self._fake_labels()
                    fake = self._g_train_forward(z, y_fake)
                out_fake = self._d_frozen_forward_all(fake, y_fake)
                real_out: DiscriminatorOutput | None = None
                if self.loss.generator_needs_real or self.loss.uses_features:
                    assert self._last_real is not None
                    with torch.no_grad():
                        real_out = self._d_frozen_forward_all(*self._last_real)
                if self.loss.uses_features:
                    loss = self.loss.generator_loss(out_fake, real_out)  # type: ignore[arg-type]
                else:
                    loss = self.loss.generator_loss(
                        out_fake.scores, real_out.scores if real_out else None
                    )
                aux = self.D.auxiliary_loss(out_fake, y_fake, z, real=False)
                if aux is not None:
                    loss = loss + aux
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.D.requires_grad_(True)
        norms = _grad_norms(p for p in self.G.parameters() if p.requires_grad)
        self.opt_g.step()
        if self.ema is not None:
            self._update_ema()
        layer = norms if self.want_layer_norms else None
        return loss.detach(), torch.linalg.vector_norm(norms), layer

    @torch.no_grad()
    def _update_ema(self) -> None:
        assert self.ema is not None and self.config.ema is not None
        ema_p = list(self.ema.parameters())
        torch._foreach_lerp_(ema_p, list(self.G.parameters()), 1.0 - self.config.ema)
        for b_ema, b in zip(self.ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    def train_step(self) -> None:
        """One generator iteration: ``n_critic`` D updates, then one G update."""
        for i in range(self.n_critic):
            keep = self.config.reuse_fakes and i == self.n_critic - 1
            loss_d, real, fake, pen_gn = self._d_step(keep_for_g=keep)
        loss_g, gn_g, layer = self._g_step()
        real_sign = real.sign().mean()
        acc = ((real > 0).float().mean() + (fake < 0).float().mean()) / 2
        stats = torch.stack(
            [
                loss_d.float(),
                loss_g.float(),
                real.mean(),
                fake.mean(),
                torch.sigmoid(real).mean(),
                torch.sigmoid(fake).mean(),
                pen_gn[0],
                acc,
                real_sign,
                pen_gn[1],
                gn_g,
            ]
        )
        self._acc += stats
        if layer is not None:
            self._layer_acc = layer if self._layer_acc is None else self._layer_acc + layer
        self._acc_steps += 1
        self.step += 1

    # ----------------------------------------------------------------- records, samples, checkpoints
    def _flush(self, elapsed: float, images: int) -> StepRecord:
        values = (self._acc / max(self._acc_steps, 1)).tolist()  # the one host sync per record
        layer = {}
        if self._layer_acc is not None:
            layer = dict(
                zip(self._layer_names, (self._layer_acc / self._acc_steps).tolist(), strict=False)
            )
        self._acc.zero_()
        self._layer_acc = None
        self._acc_steps = 0
        stats = dict(zip(STATS, values, strict=True))
        record = StepRecord(
            step=self.step,
            grad_norms_g=layer,
            loss_name=self.loss_name,
            images_per_second=images / elapsed if elapsed > 0 else float("nan"),
            **stats,
        )
        if not all(math.isfinite(stats[k]) for k in ("loss_d", "loss_g")):
            self.emit(
                {
                    "event": "error",
                    "step": self.step,
                    "message": f"non-finite loss at step {self.step} (D {stats['loss_d']}, G {stats['loss_g']})",
                }
            )
            raise TrainingError(
                f"training diverged: the loss became non-finite before step {self.step} "
                f"(D loss {stats['loss_d']}, G loss {stats['loss_g']}); the last good checkpoint in "
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
        from ganzoo.images import save_samples

        samples = self.sample_grid()
        save_samples(
            samples, self.run_dir / "samples" / f"step-{self.step:07d}.png", modes=self.data.modes
        )
        for cb in self.callbacks:
            cb.on_samples(self, self.step, samples)

    def _checkpoint_state(self) -> dict[str, Any]:
        """The JSON state a checkpoint keeps besides weights, optimizers and RNG."""
        return {"batches_consumed": self.batches_consumed}

    def checkpoint(self) -> Path:
        """Save a checkpoint of the current state."""
        path = save_checkpoint(
            self.run_dir / "checkpoints",
            self.step,
            self._modules(),
            {"g": self.opt_g, "d": self.opt_d},
            self._checkpoint_state(),
            keep=self.config.keep_checkpoints,
        )
        for cb in self.callbacks:
            cb.on_checkpoint(self, path)
        return path

    def emit(self, event: dict[str, Any] | Alarm) -> None:
        """Send an event (an alarm or a notice) to every callback."""
        row = event.as_dict() if isinstance(event, Alarm) else event
        for cb in self.callbacks:
            cb.on_event(self, row)

    def request_stop(self, reason: str) -> None:
        """Ask the loop to stop after the current step (diagnostics with the ``stop`` policy)."""
        self._stop_reason = reason

    def _stop_requested(self) -> bool:
        """Whether the loop should stop (a hook: a distributed run agrees on it across ranks)."""
        return self._stop_reason is not None

    # ----------------------------------------------------------------- the run
    def _write_run_files(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        resolved = self.config.model_copy(
            update={"data": self.data_name, "loss": self.loss_name, "out": str(self.run_dir)}
        )
        (self.run_dir / "config.json").write_text(
            json.dumps(resolved.model_dump(mode="json"), indent=2)
        )

    def _previous_segments(self) -> tuple[float, int]:
        """Wall seconds and images of the run's earlier segments (before resumes), from run.json."""
        path = self.run_dir / "run.json"
        if self.step == 0 or not path.is_file():
            return 0.0, 0
        try:
            info = json.loads(path.read_text())
            return float(info.get("wall_seconds") or 0.0), int(info.get("images") or 0)
        except (ValueError, TypeError):
            return 0.0, 0

    def _write_run_info(self, wall: float, images: int, status: str) -> None:
        prior_wall, prior_images = self._prior
        total_wall, total_images = prior_wall + wall, prior_images + images
        info = {
            "status": status,
            "step": self.step,
            "total_steps": self.total_steps,
            "wall_seconds": round(total_wall, 2),
            "images": total_images,
            "images_per_second": round(total_images / total_wall, 1) if total_wall else None,
            "segment": {"wall_seconds": round(wall, 2), "images": images},
            "device": str(self.device),
            "hardware": hardware(self.device),
            "torch": torch.__version__,
            "ganzoo": __version__,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (self.run_dir / "run.json").write_text(json.dumps(info, indent=2))

    def run(self) -> dict[str, Any]:
        """Train to ``total_steps``; returns the run summary written to ``run.json``.

        After a resume, ``wall_seconds``, ``images`` and ``images_per_second`` cover every segment
        of the run; ``segment`` holds this invocation's own figures.
        """
        self._prior = self._previous_segments()
        self._write_run_files()
        self.status = "running"
        for cb in self.callbacks:
            cb.on_start(self)
        cfg = self.config
        start_wall = last_wall = time.perf_counter()
        images = last_images = 0
        status = "failed"
        try:
            while self.step < self.total_steps and not self._stop_requested():
                self.train_step()
                images += self.batch_size * self.n_critic
                s = self.step
                last = s == self.total_steps
                if s % cfg.log_every == 0 or last or s % cfg.checkpoint_every == 0:
                    now = time.perf_counter()
                    record = self._flush(now - last_wall, images - last_images)
                    last_wall, last_images = now, images
                    for cb in self.callbacks:
                        cb.on_step(self, record)
                if s % cfg.sample_every == 0 or last:
                    self._save_samples()
                if s % cfg.checkpoint_every == 0 or last:
                    self.checkpoint()
            if self._stop_reason is not None:
                if self._acc_steps:
                    self._flush(time.perf_counter() - last_wall, images - last_images)
                self._save_samples()
                self.checkpoint()
                self.emit(
                    {
                        "event": "stopped",
                        "step": self.step,
                        "message": f"stopped: {self._stop_reason}",
                    }
                )
                status = "stopped"
            else:
                status = "finished"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            wall = time.perf_counter() - start_wall
            self._write_run_info(wall, images, status)
            self.status = status
            for cb in self.callbacks:
                cb.on_end(self, status)
        return self._run_summary()

    def _run_summary(self) -> dict[str, Any]:
        """The summary ``run.json`` holds (a hook: ranks other than 0 write no files)."""
        return json.loads((self.run_dir / "run.json").read_text())


def _grad_norms(params: Any) -> Tensor:
    """Per-parameter gradient norms in one fused kernel, 0 where a parameter got no gradient.

    One entry per parameter, so the vector lines up with the parameters' names.
    """
    grads = [p.grad if p.grad is not None else p.new_zeros(()) for p in params]
    return torch.stack(torch._foreach_norm(grads)).float()


def default_run_dir(config: TrainConfig) -> Path:
    """``runs/<arch>-<data>-<YYYYmmdd-HHMMSS>``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{config.architecture}-{config.data or 'default'}-{stamp}"


def hardware(device: torch.device) -> str:
    """A short description of the device the run used."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"{cpu_name()}, {threads} thread{'s' if threads > 1 else ''}"
