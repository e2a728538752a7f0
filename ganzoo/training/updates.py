"""The update rule: what a GAN paper's Algorithm 1 says, and nothing about the run around it.

One `AlternatingUpdates.step` is one generator iteration:

1. ``n_critic`` D updates with G held fixed (its output detached): D's loss on a real batch and
   fakes of fresh latents, plus the loss's penalty and the architecture's auxiliary losses; after
   the optimizer step, the architecture's constraint (``D.constrain()``, WGAN's clipping).
2. One G update with D frozen (its parameters do not require grad, its optimizer is untouched).
   With ``reuse_fakes`` the G step reuses the last D step's latents and fakes, as the PyTorch
   DCGAN tutorial does, so G runs forward once per iteration.
3. The EMA of G's weights, when kept.

The step returns its statistics as one vector on the device (`STATS`); nothing here reads
a value back to the host.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.interfaces import Discriminator, DiscriminatorOutput, GANLoss, Generator
from ganzoo.training.batches import Batches

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
"""The names of the statistics vector `AlternatingUpdates.step` returns, in order."""


@dataclass
class Forwards:
    """The four forward passes the updates call.

    A multi-process run routes the two with grads through DDP; ``torch.compile`` wraps them
    when asked.

    Attributes:
        g: G under no_grad (the fakes of the earlier D steps).
        g_train: G with grads (the G step, and the last D step when its fakes are reused).
        d: D's ``forward_all`` with grads (the D step).
        d_frozen: D's ``forward_all`` with D frozen (the G step).
    """

    g: Callable[..., Tensor]
    g_train: Callable[..., Tensor]
    d: Callable[..., DiscriminatorOutput]
    d_frozen: Callable[..., DiscriminatorOutput]

    @classmethod
    def make(
        cls,
        G: Generator,
        D: Discriminator,
        compile: bool = False,
        g_train: nn.Module | None = None,
        d_train: nn.Module | None = None,
    ) -> Forwards:
        """The forwards of ``G`` and ``D``; ``g_train``/``d_train`` replace the with-grad ones.

        Args:
            G: The generator.
            D: The discriminator.
            compile: Wrap every forward in ``torch.compile``.
            g_train: A wrapper of G for its with-grad passes (DDP), or None for G itself.
            d_train: A wrapper of D's ``forward_all`` for its update (DDP), or None for D.
        """
        wrap = torch.compile if compile else (lambda f: f)
        g, d_frozen = wrap(G), wrap(D.forward_all)
        return cls(
            g=g,
            g_train=g if g_train is None else wrap(g_train),
            d=d_frozen if d_train is None else wrap(d_train),
            d_frozen=d_frozen,
        )


class AlternatingUpdates:
    """Alternating D and G updates of one GAN (see the module docstring).

    Args:
        G: The generator.
        D: The discriminator.
        loss: The GAN objective.
        opt_g: G's optimizer.
        opt_d: D's optimizer.
        n_critic: D updates per G update.
        batches: Where real batches, latents and fake labels come from.
        forwards: The forward passes to call (default: plain G and D).
        ema: EMA decay of G's weights, or None for no EMA.
        reuse_fakes: The G step reuses the last D step's latents and fakes.
        amp: ``"bf16"`` runs the forwards and losses under bf16 autocast.
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
    ) -> None:
        self.G, self.D, self.loss = G, D, loss
        self.opt_g, self.opt_d, self.n_critic = opt_g, opt_d, n_critic
        self.batches = batches
        self.forwards = forwards or Forwards.make(G, D)
        self.ema_decay = ema
        self.ema = copy.deepcopy(G).eval().requires_grad_(False) if ema else None
        self.reuse_fakes = reuse_fakes
        self.amp = amp
        self.device = batches.device
        self.want_layer_norms = False
        self.layer_names = [n for n, p in G.named_parameters() if p.requires_grad]
        self._last_real: tuple[Tensor, Tensor | None] | None = None
        self._kept_fakes: tuple[Tensor, Tensor | None, Tensor] | None = None

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16 autocast when ``amp`` asks for it, else nothing."""
        if self.amp == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def d_step(self, keep_for_g: bool = False) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """One D update on a real batch and fakes of fresh latents (G's output detached).

        With ``keep_for_g``, G's forward keeps its graph and the G step that follows reuses these
        latents and fakes (one G forward per iteration instead of two).

        Returns:
            D's total loss, its scores on the real and the fake batch (float), and
            ``[penalty, D's gradient norm]``; all detached, on the device.
        """
        fw = self.forwards
        x_real, y_real = self.batches.real()
        self._last_real = (x_real, y_real)
        z = self.batches.latents(self.G)
        y_fake = self.batches.fake_labels(self.G)
        if keep_for_g:
            with self.autocast():
                fake_g = fw.g_train(z, y_fake)
            self._kept_fakes = (z, y_fake, fake_g)
            fake = fake_g.detach()
        else:
            with torch.no_grad(), self.autocast():
                fake = fw.g(z, y_fake)
        with self.autocast():
            out_real = fw.d(x_real, y_real)
            out_fake = fw.d(fake, y_fake)
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
        grad_norm = torch.linalg.vector_norm(grad_norms(self.D.parameters()))
        self.opt_d.step()
        self.D.constrain()
        pen = penalty.detach() if penalty is not None else torch.zeros((), device=self.device)
        return (
            total.detach(),
            out_real.scores.detach().float(),
            out_fake.scores.detach().float(),
            torch.stack([pen.float(), grad_norm]),
        )

    def g_step(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """One G update with D frozen: on the last D step's fakes when kept, else fresh ones.

        Returns:
            G's loss (detached), G's total gradient norm, and its per-parameter norms when
            ``want_layer_norms`` is set (else None); on the device.
        """
        fw = self.forwards
        self.D.requires_grad_(False)
        try:
            with self.autocast():
                if self._kept_fakes is not None:
                    z, y_fake, fake = self._kept_fakes
                    self._kept_fakes = None
                else:
                    z, y_fake = self.batches.latents(self.G), self.batches.fake_labels(self.G)
                    fake = fw.g_train(z, y_fake)
                out_fake = fw.d_frozen(fake, y_fake)
                real_out: DiscriminatorOutput | None = None
                if self.loss.generator_needs_real or self.loss.uses_features:
                    assert self._last_real is not None
                    with torch.no_grad():
                        real_out = fw.d_frozen(*self._last_real)
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
        norms = grad_norms(p for p in self.G.parameters() if p.requires_grad)
        self.opt_g.step()
        if self.ema is not None:
            self.update_ema()
        layer = norms if self.want_layer_norms else None
        return loss.detach(), torch.linalg.vector_norm(norms), layer

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the EMA generator towards G (parameters by ``ema``, buffers copied)."""
        assert self.ema is not None and self.ema_decay is not None
        ema_p = list(self.ema.parameters())
        torch._foreach_lerp_(ema_p, list(self.G.parameters()), 1.0 - self.ema_decay)
        for b_ema, b in zip(self.ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    def step(self) -> tuple[Tensor, Tensor | None]:
        """One generator iteration: ``n_critic`` D updates, then one G update.

        Returns:
            The statistics vector (`STATS`, on the device) and G's per-parameter gradient
            norms when ``want_layer_norms`` is set (else None).
        """
        for i in range(self.n_critic):
            keep = self.reuse_fakes and i == self.n_critic - 1
            loss_d, real, fake, pen_gn = self.d_step(keep_for_g=keep)
        loss_g, gn_g, layer = self.g_step()
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
        return stats, layer

    def drop_wrappers(self) -> None:
        """Call the plain G and D again and forget kept fakes (so DDP wrappers can be freed)."""
        self.forwards.g_train, self.forwards.d = self.forwards.g, self.forwards.d_frozen
        self._kept_fakes = None

    def modules(self) -> dict[str, nn.Module]:
        """What a checkpoint saves: generator, discriminator and (if kept) the EMA generator."""
        mods: dict[str, nn.Module] = {"generator": self.G, "discriminator": self.D}
        if self.ema is not None:
            mods["ema_generator"] = self.ema
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
