"""Textbook training loops over ganzoo's sngan-resnet and stylegan2 modules, as a user runs them.

    GANZOO_DATA=/path/holding/MNIST python -m benchmarks.reference.textbook_modern sngan-resnet \\
        --steps 4 -b 64 --width 32
    GANZOO_DATA=/path/holding/MNIST python -m benchmarks.reference.textbook_modern stylegan2 \\
        --steps 16 -b 32 --width 16

(from the repository's root, or with it on ``PYTHONPATH``).

The baselines of the 32 px rows of `benchmarks.train_step` (issue 14): standalone plain PyTorch
loops, each in its own fresh process, over the *same* generator and discriminator modules that
``ganzoo train`` trains (``ganzoo.build(ARCH, data=..., width=W)``), with the architecture's
default loss, optimizer and ``n_critic`` (`ARCH_SETTINGS`, checked against ganzoo's catalog by
the tests) and nothing tuned:

* data: ``torchvision.datasets.MNIST`` with ``Compose([Pad(2), ToTensor(), Normalize((0.5,),
  (0.5,))])`` (MNIST padded to 32x32, as ``--data mnist --resolution 32`` pads it) through
  ``DataLoader(shuffle=True, num_workers=2, drop_last=True)`` (`benchmarks.reference.mnist_loader`,
  the DCGAN tutorial's pipeline) and an endless loop over it; torch's default memory format and
  thread settings;
* ``sngan-resnet``: the loop of the common PyTorch SNGAN reimplementations (e.g.
  w86763777/pytorch-gan-collections, after Miyato et al.'s Chainer code): ``n_dis`` = 5 D steps,
  each on a new real batch and fakes made under ``torch.no_grad()``, hinge loss, one
  ``backward()``; then one G step on fresh latents with D's parameters frozen
  (``requires_grad_(False)``); ``Adam(lr=2e-4, betas=(0.0, 0.9))`` for both;
* ``stylegan2``: the loop of rosinality/stylegan2-pytorch's ``train.py``: a D step (non-saturating
  logistic loss, ``softplus``; fakes from G with its parameters frozen), every 16th iteration a
  separate lazy R1 step (``autograd.grad`` of D on the real batch, ``r1_gamma / 2 * ||grad||^2 *
  16``), a G step on fresh latents with D frozen, and every 4th iteration a separate lazy
  path-length step on half a batch (``pl_weight * 4 * (||J_w^T u|| - a)^2``, ``a`` the running
  mean, decay 0.01); the styles ``w`` come from the module's ``G.styles(z)`` and the images from
  ``G.synthesis(ws)`` (rosinality's ``return_latents=True``); ``Adam(lr=2e-3, betas=(0.0, 0.99))``
  for both, no EMA of G; the regularisers' settings are the module's own config;
* ``.item()`` on the losses every iteration (kept in lists), a progress line every 50
  iterations, a grid of ``fixed_noise`` samples (``vutils.make_grid``, kept in ``img_list``) at
  iteration 1, every 500 and at the end: the PyTorch DCGAN tutorial's habits, as in
  ``textbook_dcgan.py``.

It times its training loop (from the first batch request to the last step, with the progress
lines and sample grids; not the imports, the data set's construction or the model build) and
prints one line ``textbook-result {"images_per_second": ...}`` (real images read per second:
``batch * n_dis`` per iteration) that the harness parses.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
import torchvision.utils as vutils
from torch import Tensor, nn

import ganzoo
from benchmarks.reference import mnist_loader

RESULT_TAG = "textbook-result"
"""The first word of the line holding the script's figures (JSON after it), as textbook_dcgan.py."""

ARCH_SETTINGS: dict[str, dict[str, Any]] = {
    "sngan-resnet": {"lr": 2e-4, "betas": (0.0, 0.9), "n_dis": 5},
    "stylegan2": {"lr": 2e-3, "betas": (0.0, 0.99), "n_dis": 1},
}
"""The papers' optimizer settings as a user types them (ganzoo's defaults for these)."""

Step = Callable[[int, Iterator[Tensor]], dict[str, float]]
"""One training iteration: ``step(i, batches)`` returns its losses as floats."""


def infiniteloop(dataloader: torch.utils.data.DataLoader) -> Iterator[Tensor]:
    """Real batches forever: a new pass over the DataLoader whenever one ends."""
    while True:
        for x, _ in iter(dataloader):
            yield x


def requires_grad(model: nn.Module, flag: bool = True) -> None:
    """Freeze (False) or unfreeze (True) every parameter of ``model``."""
    for p in model.parameters():
        p.requires_grad_(flag)


def sngan_step(netG: nn.Module, netD: nn.Module, args: argparse.Namespace) -> Step:
    """The SNGAN iteration: ``n_dis`` hinge-loss D steps, then one G step with D frozen."""
    cfg = ARCH_SETTINGS["sngan-resnet"]
    optim_G = torch.optim.Adam(netG.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    optim_D = torch.optim.Adam(netD.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    z_dim = netG.latent_dim

    def step(_i: int, looper: Iterator[Tensor]) -> dict[str, float]:
        # Discriminator
        for _ in range(cfg["n_dis"]):
            with torch.no_grad():
                z = torch.randn(args.batch_size, z_dim)
                fake = netG(z).detach()
            real = next(looper)
            loss_D = F.relu(1 - netD(real)).mean() + F.relu(1 + netD(fake)).mean()
            optim_D.zero_grad()
            loss_D.backward()
            optim_D.step()
        # Generator
        requires_grad(netD, False)
        z = torch.randn(args.batch_size, z_dim)
        loss_G = -netD(netG(z)).mean()
        optim_G.zero_grad()
        loss_G.backward()
        optim_G.step()
        requires_grad(netD, True)
        return {"loss_d": loss_D.item(), "loss_g": loss_G.item()}

    return step


def stylegan2_step(netG: nn.Module, netD: nn.Module, args: argparse.Namespace) -> Step:
    """rosinality's StyleGAN2 iteration: D step, lazy R1, G step, lazy path length."""
    cfg, reg = ARCH_SETTINGS["stylegan2"], netG.config
    g_optim = torch.optim.Adam(netG.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    d_optim = torch.optim.Adam(netD.parameters(), lr=cfg["lr"], betas=cfg["betas"])
    latent = netG.latent_dim
    state = {"mean_path_length": torch.zeros(())}

    def step(i: int, looper: Iterator[Tensor]) -> dict[str, float]:
        real_img = next(looper)
        batch = real_img.size(0)
        requires_grad(netG, False)
        requires_grad(netD, True)
        fake_img = netG(torch.randn(batch, latent))
        fake_pred, real_pred = netD(fake_img), netD(real_img)
        d_loss = F.softplus(fake_pred).mean() + F.softplus(-real_pred).mean()
        netD.zero_grad()
        d_loss.backward()
        d_optim.step()
        if i % reg.r1_interval == 0:  # lazy R1 (d_reg_every)
            real_img.requires_grad = True
            real_pred = netD(real_img)
            (grad_real,) = torch.autograd.grad(real_pred.sum(), real_img, create_graph=True)
            r1_loss = grad_real.pow(2).reshape(batch, -1).sum(1).mean()
            netD.zero_grad()
            (reg.r1_gamma / 2 * r1_loss * reg.r1_interval + 0 * real_pred[0]).backward()
            d_optim.step()
        requires_grad(netG, True)
        requires_grad(netD, False)
        g_loss = F.softplus(-netD(netG(torch.randn(batch, latent)))).mean()
        netG.zero_grad()
        g_loss.backward()
        g_optim.step()
        if i % reg.pl_interval == 0:  # lazy path length (g_reg_every)
            latents = netG.styles(torch.randn(max(1, batch // 2), latent))
            img = netG.synthesis(latents).tanh()
            noise = torch.randn_like(img) / math.sqrt(img.shape[2] * img.shape[3])
            (grad,) = torch.autograd.grad((img * noise).sum(), latents, create_graph=True)
            path_lengths = torch.sqrt(grad.pow(2).sum(2).mean(1))
            mean = state["mean_path_length"]
            path_mean = mean + reg.pl_decay * (path_lengths.mean() - mean)
            path_loss = (path_lengths - path_mean).pow(2).mean()
            netG.zero_grad()
            (reg.pl_weight * reg.pl_interval * path_loss).backward()
            g_optim.step()
            state["mean_path_length"] = path_mean.detach()
        requires_grad(netD, True)
        return {"loss_d": d_loss.item(), "loss_g": g_loss.item()}

    return step


STEPS: dict[str, Callable[[nn.Module, nn.Module, argparse.Namespace], Step]] = {
    "sngan-resnet": sngan_step,
    "stylegan2": stylegan2_step,
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train ``ARCH`` for ``--steps`` iterations; print the progress lines and the result line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("architecture", choices=sorted(STEPS))
    parser.add_argument("--steps", type=int, default=20, help="iterations (n_dis D + 1 G update)")
    parser.add_argument("-b", "--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers (tutorial: 2)")
    parser.add_argument("--dataroot", default=os.environ.get("GANZOO_DATA", "data"))
    parser.add_argument("--seed", type=int, default=999)
    parser.add_argument("--width", type=int, default=32, help="the architecture's width option")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    dataloader = mnist_loader(
        args.dataroot, args.batch_size, num_workers=args.workers, pad=2, drop_last=True
    )
    dataset = dataloader.dataset
    # the networks sized from one real image (1 x 32 x 32)
    model = ganzoo.build(args.architecture, data=dataset[0][0][None], width=args.width)
    netG, netD = model.generator.train(), model.discriminator.train()
    step = STEPS[args.architecture](netG, netD, args)
    n_dis = ARCH_SETTINGS[args.architecture]["n_dis"]
    fixed_noise = torch.randn(64, netG.latent_dim)

    img_list: list[Tensor] = []
    losses: dict[str, list[float]] = {"loss_d": [], "loss_g": []}
    start = time.perf_counter()
    looper = infiniteloop(dataloader)
    for i in range(args.steps):
        for key, value in step(i, looper).items():
            losses[key].append(value)
        if i % 50 == 0:
            print(
                f"[{i}/{args.steps}]\tLoss_D: {losses['loss_d'][-1]:.4f}\t"
                f"Loss_G: {losses['loss_g'][-1]:.4f}",
                flush=True,
            )
        if (i + 1) % 500 == 0 or i + 1 == args.steps or i == 0:
            with torch.no_grad():
                grid_fake = netG(fixed_noise).detach().cpu()
            img_list.append(vutils.make_grid(grid_fake, padding=2, normalize=True))
    wall = time.perf_counter() - start
    images = args.steps * args.batch_size * n_dis
    result: dict[str, Any] = {
        "architecture": args.architecture,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "n_dis": n_dis,
        "images": images,
        "wall_seconds": round(wall, 3),
        "images_per_second": round(images / wall, 2),
        "threads": torch.get_num_threads(),
        "workers": args.workers,
        "last_loss_d": losses["loss_d"][-1],
        "last_loss_g": losses["loss_g"][-1],
    }
    print(f"{RESULT_TAG} {json.dumps(result)}", flush=True)
    return result


if __name__ == "__main__":
    main()
