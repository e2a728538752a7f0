"""The update rule: what a GAN paper's Algorithm 1 says, and nothing about the run around it.

One `AlternatingUpdates.step` is one generator iteration:

1. ``n_critic`` D updates with G held fixed (its output detached): D's loss on a real batch and
   fakes of fresh latents, plus its penalty terms (`ganzoo.training.penalties`: the loss's,
   lazily when it asks, and ``D.regularizer``) and the architecture's auxiliary losses; after
   the optimizer step, the architecture's constraint (``D.constrain()``, WGAN's clipping).
2. One G update with D frozen (its parameters do not require grad, its optimizer is untouched),
   G's loss plus G's own regulariser (``G.regularizer``: BigGAN's orthogonal regularisation,
   StyleGAN2's path length). With ``reuse_fakes`` the G step reuses the last D step's latents
   and fakes, as the PyTorch DCGAN tutorial does, so G runs forward once per iteration.

The regularisers get the index of their update in the run, taken from the data position (one
real batch per D update), so lazy regularisers fire on the same steps after a resume.
3. The EMA of G's weights, when kept (`ganzoo.training.ema`: right with BatchNorm), and the
   learning-rate schedules' step (`ganzoo.training.schedules`).

D sees every image, real or generated, through the run's augmentation when it has one
(`ganzoo.training.augment`: DiffAugment, ADA), in both updates. With ``accumulate`` K, each
update's batch is split into K micro-batches whose losses (divided by K) are backpropagated
one after the other before the optimizer steps: the same update as one K-times larger batch
when no layer or loss uses batch statistics.

The step returns its statistics as one vector on the device (`STATS`); nothing here reads
a value back to the host.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, GANLoss, Generator
from ganzoo.training.augment import Augment, sign_terms
from ganzoo.training.batches import Batches
from ganzoo.training.ema import EMABatchNorm, EMAGenerator
from ganzoo.training.forwards import Forwards
from ganzoo.training.penalties import DPenalties
from ganzoo.training.schedules import LRSchedule, LRSchedules
from ganzoo.training.topk import TopK
from ganzoo.weights import load_module

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
    "augment_p",
)
"""The names of the statistics vector `AlternatingUpdates.step` returns, in order."""


class AlternatingUpdates:
    """Alternating D and G updates of one GAN (see the module docstring).

    Args:
        G: The generator.
        D: The discriminator.
        loss: The GAN objective.
        opt_g: G's optimizer.
        opt_d: D's optimizer.
        n_critic: D updates per G update.
        batches: Where real batches, latents and fake labels come from; its ``batch_size``
            is the whole step's (``accumulate`` micro-batches).
        forwards: The forward passes to call (default: plain G and D).
        ema: EMA decay of G's weights, or None for no EMA.
        reuse_fakes: The G step reuses the last D step's latents and fakes.
        amp: ``"bf16"`` runs the forwards and losses under bf16 autocast.
        augment: What D's inputs go through (`ganzoo.training.augment`), or None.
        accumulate: Micro-batches per optimizer step: each update's batch is split into this
            many, each one's loss (divided by ``accumulate``) backpropagated before the step.
        ema_batchnorm: What the EMA generator keeps of BatchNorm statistics
            (`ganzoo.training.ema.EMAGenerator`).
        ema_warmup: Warm the EMA decay up (`ganzoo.training.ema.EMAGenerator`).
        ema_start: The G update the EMA starts averaging at (a copy of G before it).
        top_k: G's loss over only the fakes D rates highest (`ganzoo.training.topk`), or
            None for every fake.
    """

    def __init__(
        self,
        G: Generator,
        D: Discriminator,
        loss: GANLoss,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer,
        n_critic: int,
        batches: Batches,
        forwards: Forwards | None = None,
        ema: float | None = None,
        reuse_fakes: bool = True,
        amp: str = "none",
        augment: Augment | None = None,
        accumulate: int = 1,
        ema_batchnorm: EMABatchNorm = "recompute",
        ema_warmup: bool = False,
        ema_start: int = 0,
        top_k: TopK | None = None,
    ) -> None:
        self.G, self.D, self.loss = G, D, loss
        self.penalties = DPenalties(loss, D)
        self.opt_g, self.opt_d, self.n_critic = opt_g, opt_d, n_critic
        self.batches = batches
        self.forwards = forwards or Forwards.make(G, D)
        self.ema_decay = ema
        micro = batches.batch_size // accumulate
        if accumulate < 1 or micro * accumulate != batches.batch_size:
            raise ConfigError(
                f"accumulate={accumulate} must divide the step's batch of {batches.batch_size}"
            )
        self._ema = (
            EMAGenerator(
                G, ema, ema_batchnorm, bn_batch_size=micro, warmup=ema_warmup, start=ema_start
            )
            if ema
            else None
        )
        if top_k is not None and (loss.uses_features or loss.generator_needs_real):
            raise ConfigError(
                f"top_k trains G on the fakes D scores highest, and the loss "
                f"{type(loss).__name__} compares G's fakes with real data (or D's features) "
                "sample by sample: use a loss whose G term is a mean over fakes (e.g. "
                "non-saturating, least-squares, hinge, wasserstein) or drop top_k"
            )
        self.top_k = top_k
        self.reuse_fakes = reuse_fakes
        self.amp = amp
        self.device = batches.device
        self.augment = augment.to(self.device) if augment is not None else None
        self.accumulate = accumulate
        self.schedules: LRSchedules | None = None
        self.want_layer_norms = False
        self.layer_names = [n for n, p in G.named_parameters() if p.requires_grad]
        self._last_real: tuple[Tensor, Tensor | None] | None = None
        self._kept_fakes: tuple[Tensor, Tensor | None, Tensor] | None = None
        self._kept_latents: tuple[Tensor, Tensor | None] | None = None
        self._signs = torch.zeros(2, device=self.device)  # r_t's terms over a step's D updates

    @property
    def ema(self) -> Generator | None:
        """The EMA generator (BatchNorm statistics re-estimated first when stale), or None."""
        return self._ema.ready() if self._ema is not None else None

    @property
    def keeps_ema(self) -> bool:
        """Whether the run keeps an EMA generator (its ``ema`` decay is set)."""
        return self._ema is not None

    def restart_ema(self) -> None:
        """Start the EMA generator over as a copy of G (a resumed run that did not keep one)."""
        if self._ema is not None:
            self._ema.module.load_state_dict(self.G.state_dict())
            self._ema.mark_loaded()

    def load_ema(self, tensors: Mapping[str, Tensor], source: str) -> None:
        """Replace the EMA generator's weights and buffers with ``tensors``, strictly.

        Fine-tuning's start (`ganzoo.training.start.start_from`). The EMA's BatchNorm statistics
        are re-estimated before its next use, as after any load.

        Args:
            tensors: A state dict of the run's generator (`ganzoo.weights.module_tensors`).
            source: What the tensors are, for error messages.

        Raises:
            ConfigError: the run keeps no EMA generator (check `keeps_ema` first).
            WeightsError: the tensors do not fit the generator (missing, unexpected or misshapen
                keys, or non-finite values), naming them.
        """
        if self._ema is None:
            raise ConfigError(
                f"cannot load {source} into the EMA generator: this run keeps none; keep one "
                "with --ema 0.999 (ema: 0.999 in a config file)"
            )
        load_module(self._ema.module, tensors, source)
        self._ema.mark_loaded()

    def set_schedule(
        self, schedule: LRSchedule, total: int, warmup: int = 0, start: int = 0
    ) -> None:
        """Step G's and D's learning rates along ``schedule`` over ``total`` G updates.

        The decay begins at G update ``start`` (see `ganzoo.training.schedules.lr_factor`).

        A ``constant`` schedule without warm-up keeps the optimizers' rates and adds nothing to
        the checkpoints.
        """
        if schedule == "constant" and warmup == 0:
            self.schedules = None
            return
        self.schedules = LRSchedules(self.opt_g, self.opt_d, schedule, total, warmup, start)

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16 autocast when ``amp`` asks for it, else nothing."""
        if self.amp == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def augmented(self, x: Tensor) -> Tensor:
        """What D sees of ``x``: augmented when the run augments, else ``x`` itself."""
        return x if self.augment is None else self.augment(x)

    def _micro(self, *tensors: Tensor | None) -> list[tuple[Tensor | None, ...]]:
        """The ``accumulate`` micro-batches of each tensor (None stays None), in order."""
        k = self.accumulate
        split = [t.chunk(k) if t is not None else (None,) * k for t in tensors]
        return list(zip(*split, strict=True))

    def d_step(self, keep_for_g: bool = False) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """One D update on a real batch and fakes of fresh latents (G's output detached).

        With ``keep_for_g``, the G step that follows reuses these latents (and, without
        accumulation, the fakes with their graph: one G forward per iteration instead of two).
        With accumulation, each micro-batch's loss is divided by ``accumulate`` and
        backpropagated, then the optimizer steps once.

        Returns:
            D's total loss, its scores on the real and the fake batch (float), and
            ``[penalty, D's gradient norm]``; all detached, on the device.
        """
        fw = self.forwards
        x_all, y_all = self.batches.real()
        self._last_real = (x_all, y_all)
        z_all = self.batches.latents(self.G)
        y_fake_all = self.batches.fake_labels(self.G)
        k = self.accumulate
        if keep_for_g and k > 1:
            self._kept_latents = (z_all, y_fake_all)
        d_index = self.batches.consumed - 1
        zero = torch.zeros((), device=self.device)
        total_sum, pen_sum = zero, zero
        reals, fakes = [], []
        self.opt_d.zero_grad(set_to_none=True)
        for x_real, y_real, z, y_fake in self._micro(x_all, y_all, z_all, y_fake_all):
            assert x_real is not None and z is not None
            if keep_for_g and k == 1:
                with self.autocast():
                    fake_g = fw.g_train(z, y_fake)
                self._kept_fakes = (z, y_fake, fake_g)
                fake = fake_g.detach()
            else:
                with torch.no_grad(), self.autocast():
                    fake = fw.g(z, y_fake)
            with self.autocast():
                seen_real, seen_fake = self.augmented(x_real), self.augmented(fake)
                out_real = fw.d(seen_real, y_real)
                out_fake = fw.d(seen_fake, y_fake)
                loss = self.loss.discriminator_loss(out_real.scores, out_fake.scores)
                aux_real = self.D.auxiliary_loss(out_real, y_real, None, real=True)
                aux_fake = self.D.auxiliary_loss(out_fake, y_fake, z, real=False)
            for aux in (aux_real, aux_fake):
                if aux is not None:
                    loss = loss + aux
            if self.augment is not None:
                seen_real, seen_fake = seen_real.detach(), seen_fake.detach()
            penalty = self.penalties(d_index, seen_real, seen_fake, y_real)
            total = loss if penalty is None else loss + penalty
            (total / k if k > 1 else total).backward()
            total_sum = total_sum + total.detach().float()
            if penalty is not None:
                pen_sum = pen_sum + penalty.detach().float()
            reals.append(out_real.scores.detach().float())
            fakes.append(out_fake.scores.detach().float())
            self._signs += sign_terms(out_real.scores)
            if self.augment is not None:
                self.augment.observe(out_real.scores)
        grad_norm = torch.linalg.vector_norm(grad_norms(self.D.parameters()))
        self.opt_d.step()
        self.D.constrain()
        if self.augment is not None:
            self.augment.after_d_step(self.batches.consumed)
        real, fake_scores = torch.cat(reals), torch.cat(fakes)
        return (
            total_sum / k,
            real,
            fake_scores,
            torch.stack([pen_sum / k, grad_norm]),
        )

    def _g_loss(self, z: Tensor, y_fake: Tensor | None, fake: Tensor, real: Any) -> Tensor:
        """G's loss on one (micro-)batch of fakes, with D frozen (called under autocast)."""
        fw = self.forwards
        out_fake = fw.d_frozen(self.augmented(fake), y_fake)
        real_out: DiscriminatorOutput | None = None
        if self.loss.generator_needs_real or self.loss.uses_features:
            x_real, y_real = real
            with torch.no_grad():
                real_out = fw.d_frozen(self.augmented(x_real), y_real)
        if self.loss.uses_features:
            loss = self.loss.generator_loss(out_fake, real_out)  # type: ignore[arg-type]
        else:
            scores = out_fake.scores
            if self.top_k is not None:
                scores = self.top_k.select(scores, self.g_index())
            loss = self.loss.generator_loss(scores, real_out.scores if real_out else None)
        aux = self.D.auxiliary_loss(out_fake, y_fake, z, real=False)
        if aux is not None:
            loss = loss + aux
        reg = self.G.regularizer(self.g_index(), z, y_fake)
        if reg is not None:
            loss = loss + reg
        return loss

    def g_step(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """One G update with D frozen: on the last D step's fakes when kept, else fresh ones.

        Returns:
            G's loss (detached), G's total gradient norm, and its per-parameter norms when
            ``want_layer_norms`` is set (else None); on the device.
        """
        fw = self.forwards
        k = self.accumulate
        needs_real = self.loss.generator_needs_real or self.loss.uses_features
        if needs_real:
            assert self._last_real is not None
        x_all, y_all = self._last_real if self._last_real is not None else (None, None)
        self.D.requires_grad_(False)
        try:
            self.opt_g.zero_grad(set_to_none=True)
            if self._kept_fakes is not None:
                z, y_fake, fake = self._kept_fakes
                self._kept_fakes = None
                with self.autocast():
                    loss = self._g_loss(z, y_fake, fake, (x_all, y_all))
                loss.backward()
                loss_sum = loss.detach().float()
            else:
                if self._kept_latents is not None:
                    z_all, y_fake_all = self._kept_latents
                    self._kept_latents = None
                else:
                    z_all = self.batches.latents(self.G)
                    y_fake_all = self.batches.fake_labels(self.G)
                loss_sum = torch.zeros((), device=self.device)
                for z, y_fake, x_real, y_real in self._micro(z_all, y_fake_all, x_all, y_all):
                    assert z is not None
                    with self.autocast():
                        fake = fw.g_train(z, y_fake)
                        loss = self._g_loss(z, y_fake, fake, (x_real, y_real))
                    (loss / k if k > 1 else loss).backward()
                    loss_sum = loss_sum + loss.detach().float()
                loss_sum = loss_sum / k
        finally:
            self.D.requires_grad_(True)
        norms = grad_norms(p for p in self.G.parameters() if p.requires_grad)
        self.opt_g.step()
        if self._ema is not None:
            self.update_ema()
        layer = norms if self.want_layer_norms else None
        return loss_sum, torch.linalg.vector_norm(norms), layer

    def g_index(self) -> int:
        """The index of the G update under way (0-based): real batches read per ``n_critic``."""
        return max(self.batches.consumed // self.n_critic - 1, 0)

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the EMA generator towards G (`ganzoo.training.ema.EMAGenerator.update`)."""
        assert self._ema is not None
        self._ema.update(self.g_index())

    def step(self) -> tuple[Tensor, Tensor | None]:
        """One generator iteration: ``n_critic`` D updates, then one G update.

        Returns:
            The statistics vector (`STATS`, on the device) and G's per-parameter gradient
            norms when ``want_layer_norms`` is set (else None).
        """
        self._signs.zero_()
        for i in range(self.n_critic):
            keep = self.reuse_fakes and i == self.n_critic - 1
            loss_d, real, fake, pen_gn = self.d_step(keep_for_g=keep)
        loss_g, gn_g, layer = self.g_step()
        if self.schedules is not None:
            self.schedules.step()
        acc = ((real > 0).float().mean() + (fake < 0).float().mean()) / 2
        # the probability each transform is applied with: ADA's p, 1 for DiffAugment, 0 for none
        p = getattr(self.augment, "p", None)
        if not isinstance(p, Tensor):
            p = torch.full((), 0.0 if self.augment is None else 1.0, device=self.device)
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
                self._signs[0] / self._signs[1],
                pen_gn[1],
                gn_g,
                p.float(),
            ]
        )
        return stats, layer

    def drop_wrappers(self) -> None:
        """Call the plain G and D again and forget kept fakes (so DDP wrappers can be freed)."""
        self.forwards.g_train, self.forwards.d = self.forwards.g, self.forwards.d_frozen
        self._kept_fakes = None
        self._kept_latents = None

    def modules(self) -> dict[str, nn.Module]:
        """What a checkpoint saves: G, D and what the run keeps besides.

        The EMA generator (its BatchNorm statistics re-estimated first), ADA's state
        (``augment``: ``p`` and the r_t accumulators) and the schedules' position.
        """
        mods: dict[str, nn.Module] = {"generator": self.G, "discriminator": self.D}
        if self._ema is not None:
            mods["ema_generator"] = self._ema.ready()
        if self.augment is not None and any(True for _ in self.augment.buffers()):
            mods["augment"] = self.augment
        if self.schedules is not None:
            mods["lr_schedule"] = self.schedules
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """What a checkpoint saves of the optimizers: ``g`` and ``d``."""
        return {"g": self.opt_g, "d": self.opt_d}


def grad_norms(params: Any) -> Tensor:
    """Per-parameter gradient norms in one fused kernel, 0 where a parameter got no gradient.

    One entry per parameter, so the vector lines up with the parameters' names.
    """
    grads = [p.grad if p.grad is not None else p.new_zeros(()) for p in params]
    return torch.stack(torch._foreach_norm(grads)).float()
