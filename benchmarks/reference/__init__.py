"""Reference training loops in the textbook style of the official PyTorch DCGAN tutorial.

https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html, transcribed for the
architectures ganzoo builds (so both loops train the *same* module objects, weights and
optimizer settings). What the tutorial does, and so what these loops do:

* data: ``torchvision.datasets.MNIST`` with ``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``
  through ``DataLoader(shuffle=True, batch_size=B, num_workers=2)`` (the tutorial's
  ``workers = 2``); toy points through a ``DataLoader`` over a ``TensorDataset`` (no workers);
* D step: ``netD.zero_grad()``, a real pass with its own ``backward()``, ``fake = netG(noise)``
  (with grad), a pass on ``fake.detach()`` with its own ``backward()``, ``optimizerD.step()``;
* G step: the D step's ``fake`` is scored again by D (whose weight gradients are computed too and
  thrown away at the next ``zero_grad``), ``backward()``, ``optimizerG.step()``;
* ``.item()`` on every loss and mean score every step (the tutorial's logging lists);
* ``Adam(lr=2e-4, betas=(0.5, 0.999))`` as constructed by default (foreach on CUDA, the
  for-loop implementation on CPU); default torch thread settings.

The tutorial's D ends in ``Sigmoid`` and uses ``BCELoss``; ganzoo's D returns logits, so these
loops use ``BCEWithLogitsLoss``, the numerically stable form of the same objective (and the one
whose values match ganzoo's non-saturating loss to float rounding).

Differences in *work* from ganzoo's loop (documented in docs/benchmarks.md): both reuse the D
step's fakes for the G step (one G forward per iteration), but the tutorial computes D's weight
gradients in the G step (ganzoo freezes D there) and calls backward twice in the D step (real,
then fake; ganzoo sums the two losses and calls it once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Sampler, TensorDataset

TUTORIAL_WORKERS = 2
"""``workers = 2`` in the PyTorch DCGAN tutorial."""

NoiseFn = Callable[[int], Tensor]


def mnist_loader(
    root: str,
    batch_size: int,
    num_workers: int = TUTORIAL_WORKERS,
    sampler: Sampler[int] | Sequence[int] | None = None,
    pad: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """The tutorial's MNIST pipeline; ``sampler`` fixes the order (equivalence checks).

    ``pad``: ``transforms.Pad(pad)`` first (2: MNIST padded to 32x32, as ganzoo's
    ``--resolution 32``); ``drop_last``: no short last batch (the SNGAN/StyleGAN2 loops').
    """
    import torchvision.datasets as dset
    import torchvision.transforms as transforms

    steps = [transforms.Pad(pad)] if pad else []
    dataset = dset.MNIST(
        root=root,
        train=True,
        download=False,
        transform=transforms.Compose(
            [*steps, transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
        ),
    )
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        num_workers=num_workers,
        drop_last=drop_last,
    )


def points_loader(points: Tensor, batch_size: int) -> DataLoader:
    """A ``DataLoader`` over a ``TensorDataset`` of 2-D points, shuffled, no workers."""
    return DataLoader(TensorDataset(points), batch_size=batch_size, shuffle=True, drop_last=True)


class _Batches:
    """Endless batches from a DataLoader: a new epoch (new iterator) when one runs out."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self._it: Iterator | None = None

    def next(self) -> Tensor:
        while True:
            if self._it is None:
                self._it = iter(self.loader)
            try:
                batch = next(self._it)
            except StopIteration:
                self._it = None
                continue
            return batch[0]

    def close(self) -> None:
        """Drop the iterator (shuts its worker processes down here, not in a later fork)."""
        self._it = None


class ReferenceGAN:
    """The tutorial's loop for a logit-output D (dcgan, gan): one D step, one G step.

    ``noise(n)`` draws latents (default ``torch.randn(n, latent_dim)``); pass one to feed the
    same latents as another loop. ``history`` holds the per-step ``.item()`` values.
    """

    def __init__(
        self,
        netG: nn.Module,
        netD: nn.Module,
        loader: DataLoader,
        latent_dim: int,
        lr: float = 2e-4,
        betas: tuple[float, float] = (0.5, 0.999),
        device: torch.device | str = "cpu",
        noise: NoiseFn | None = None,
    ) -> None:
        self.device = torch.device(device)
        self.netG, self.netD = netG.to(self.device), netD.to(self.device)
        self.batches = _Batches(loader)
        self.latent_dim = latent_dim
        self.noise = noise or (lambda n: torch.randn(n, latent_dim, device=self.device))
        self.criterion = nn.BCEWithLogitsLoss()
        self.optimizerD = torch.optim.Adam(netD.parameters(), lr=lr, betas=betas)
        self.optimizerG = torch.optim.Adam(netG.parameters(), lr=lr, betas=betas)
        self.real_label, self.fake_label = 1.0, 0.0
        self.history: list[dict[str, float]] = []

    def train_step(self) -> tuple[float, float]:
        """One iteration of the tutorial's inner loop; returns ``(errD, errG)`` as floats."""
        netD, netG, criterion = self.netD, self.netG, self.criterion
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = self.batches.next().to(self.device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), self.real_label, dtype=torch.float, device=self.device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = self.noise(b_size)
        fake = netG(noise)
        label.fill_(self.fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(self.real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        self.optimizerG.step()
        row = {
            "loss_d": errD.item(),
            "loss_g": errG.item(),
            "D_x": D_x,
            "D_G_z1": D_G_z1,
            "D_G_z2": D_G_z2,
        }
        self.history.append(row)
        return row["loss_d"], row["loss_g"]

    def run(self, steps: int) -> None:
        """``steps`` iterations."""
        for _ in range(steps):
            self.train_step()

    def close(self) -> None:
        """Stop the DataLoader's workers."""
        self.batches.close()


class ReferenceWGANGP:
    """Textbook WGAN-GP (Gulrajani et al.'s Algorithm 1 as PyTorch examples write it).

    Every iteration: ``n_critic`` critic steps, each on a new loader batch, with the penalty
    made by hand (``alpha``, interpolates with ``requires_grad_``, ``autograd.grad`` with
    ``grad_outputs=ones`` and ``create_graph=True``); then one G step on fresh latents.
    ``.item()`` on the losses every critic and generator step.
    """

    def __init__(
        self,
        netG: nn.Module,
        netD: nn.Module,
        loader: DataLoader,
        latent_dim: int,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.0, 0.9),
        n_critic: int = 5,
        lambda_gp: float = 10.0,
        device: torch.device | str = "cpu",
    ) -> None:
        self.device = torch.device(device)
        self.netG, self.netD = netG.to(self.device), netD.to(self.device)
        self.batches = _Batches(loader)
        self.latent_dim, self.n_critic, self.lambda_gp = latent_dim, n_critic, lambda_gp
        self.optimizerD = torch.optim.Adam(netD.parameters(), lr=lr, betas=betas)
        self.optimizerG = torch.optim.Adam(netG.parameters(), lr=lr, betas=betas)
        self.history: list[dict[str, float]] = []

    def gradient_penalty(self, real: Tensor, fake: Tensor) -> Tensor:
        """``lambda * E[(||grad D(x_hat)||_2 - 1)^2]`` on random interpolates."""
        alpha = torch.rand(real.size(0), 1, 1, 1, device=self.device)
        interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        d_interpolates = self.netD(interpolates)
        gradients = torch.autograd.grad(
            outputs=d_interpolates,
            inputs=interpolates,
            grad_outputs=torch.ones_like(d_interpolates),
            create_graph=True,
            retain_graph=True,
            only_inputs=True,
        )[0]
        gradients = gradients.view(gradients.size(0), -1)
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean() * self.lambda_gp

    def train_step(self) -> tuple[float, float]:
        """``n_critic`` critic steps and one G step; returns the last ``(errD, errG)``."""
        netD, netG = self.netD, self.netG
        errD = torch.zeros(())
        for _ in range(self.n_critic):
            netD.zero_grad()
            real = self.batches.next().to(self.device)
            b_size = real.size(0)
            noise = torch.randn(b_size, self.latent_dim, device=self.device)
            fake = netG(noise).detach()
            errD = netD(fake).mean() - netD(real).mean() + self.gradient_penalty(real, fake)
            errD.backward()
            self.optimizerD.step()
            self.history.append({"loss_d": errD.item()})
        netG.zero_grad()
        noise = torch.randn(real.size(0), self.latent_dim, device=self.device)
        errG = -netD(netG(noise)).mean()
        errG.backward()
        self.optimizerG.step()
        self.history.append({"loss_g": errG.item()})
        return float(errD.item()), float(errG.item())

    def run(self, steps: int) -> None:
        """``steps`` generator iterations."""
        for _ in range(steps):
            self.train_step()

    def close(self) -> None:
        """Stop the DataLoader's workers."""
        self.batches.close()


__all__ = [
    "TUTORIAL_WORKERS",
    "ReferenceGAN",
    "ReferenceWGANGP",
    "mnist_loader",
    "points_loader",
]
