"""The PyTorch DCGAN tutorial's training loop over ganzoo's dcgan modules, as a user runs it.

    GANZOO_DATA=/path/holding/MNIST python benchmarks/reference/textbook_dcgan.py --steps 300 -b 64

This is the baseline of the separate-process benchmarks (`benchmarks.baselines`): a standalone
script in the pattern of https://pytorch.org/tutorials/beginner/dcgan_faces_tutorial.html,
run in its own fresh process, with the tutorial's choices and nothing tuned:

* data: ``torchvision.datasets.MNIST`` with ``Compose([ToTensor(), Normalize((0.5,), (0.5,))])``
  through ``DataLoader(shuffle=True, num_workers=2)`` (the tutorial's ``workers = 2``);
* the models are ganzoo's own dcgan G and D for MNIST (``ganzoo.build("dcgan", data="mnist")``,
  DCGAN's initialisation), trained in torch's default memory format and thread settings;
* each iteration: D on a real batch with its own ``backward()``, ``fake = netG(noise)``, D on
  ``fake.detach()`` with its own ``backward()``, ``optimizerD.step()``; then D scores ``fake``
  again for G's loss (D's weight gradients computed and thrown away), ``optimizerG.step()``;
* ``.item()`` on every loss and mean score every step, appended to ``G_losses``/``D_losses``; a
  progress line every 50 iterations; a grid of ``fixed_noise`` samples at iteration 0, every
  500 iterations and at the end (``vutils.make_grid``, kept in ``img_list``);
* ``Adam(lr=2e-4, betas=(0.5, 0.999))`` as constructed by default.

The tutorial's D ends in ``Sigmoid`` with ``BCELoss``; ganzoo's D returns logits, so this uses
``BCEWithLogitsLoss``, the same objective in its numerically stable form.

It times its training loop (from the first batch request to the last step, with the progress
lines and sample grids; not the imports, the data set's construction or the model build) and
prints one line ``textbook-result {"images_per_second": ...}`` that the harness parses.

For the time-to-quality benchmark (`benchmarks.time_to_quality`), ``--cpu-marks 30,60,...
--save-dir DIR`` saves ``netG.state_dict()`` to ``DIR/G-cpu{mark}.pt`` when the process (its
DataLoader workers included) has spent that many CPU seconds, and stops after the last mark
(`benchmarks.reference.cpu_marks`); ``DIR/cpu_marks.jsonl`` and the result line list the
snapshots.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import torch
import torch.nn as nn
import torch.optim as optim
import torchvision.datasets as dset
import torchvision.transforms as transforms
import torchvision.utils as vutils

import ganzoo

try:
    from benchmarks.reference.cpu_marks import CpuMarks, parse_marks
except ModuleNotFoundError:  # run as a script: this folder is on sys.path, the repository not
    from cpu_marks import CpuMarks, parse_marks  # type: ignore[no-redef]

RESULT_TAG = "textbook-result"
"""The first word of the line holding the script's figures (JSON after it)."""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Train for ``--steps`` iterations; print the progress lines and the result line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="iterations (D and G update)")
    parser.add_argument("-b", "--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers (tutorial: 2)")
    parser.add_argument("--dataroot", default=os.environ.get("GANZOO_DATA", "data"))
    parser.add_argument("--seed", type=int, default=999, help="the tutorial's manualSeed")
    parser.add_argument("--width", type=int, default=64, help="ganzoo's dcgan width option")
    parser.add_argument("--cpu-marks", type=parse_marks, default=None, help="e.g. 30,60,120")
    parser.add_argument("--save-dir", default=".", help="where --cpu-marks' snapshots go")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    dataset = dset.MNIST(
        root=args.dataroot,
        train=True,
        download=False,
        transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]),
    )
    dataloader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers
    )
    device = torch.device("cpu")
    model = ganzoo.build("dcgan", data="mnist", width=args.width)
    netG, netD = model.generator.to(device), model.discriminator.to(device)
    nz = netG.latent_dim

    criterion = nn.BCEWithLogitsLoss()
    fixed_noise = torch.randn(64, nz, device=device)
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))

    img_list, G_losses, D_losses = [], [], []
    iters, images = 0, 0
    marks, stop = None, False
    if args.cpu_marks:
        os.makedirs(args.save_dir, exist_ok=True)
        marks = CpuMarks(
            args.cpu_marks,
            lambda mark, _cpu, _step: torch.save(
                netG.state_dict(), os.path.join(args.save_dir, f"G-cpu{mark:g}.pt")
            ),
            log=os.path.join(args.save_dir, "cpu_marks.jsonl"),
        )
    start = time.perf_counter()
    while iters < args.steps and not stop:
        for data in dataloader:
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            real_cpu = data[0].to(device)
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.randn(b_size, nz, device=device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()
            # (2) Update G network: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            if iters % 50 == 0:
                print(
                    f"[{iters}/{args.steps}]\tLoss_D: {errD.item():.4f}\tLoss_G: {errG.item():.4f}"
                    f"\tD(x): {D_x:.4f}\tD(G(z)): {D_G_z1:.4f} / {D_G_z2:.4f}",
                    flush=True,
                )
            G_losses.append(errG.item())
            D_losses.append(errD.item())
            iters += 1
            images += b_size
            if iters % 500 == 0 or iters == args.steps or iters == 1:
                with torch.no_grad():
                    grid_fake = netG(fixed_noise).detach().cpu()
                img_list.append(vutils.make_grid(grid_fake, padding=2, normalize=True))
            stop = marks is not None and marks.after_step(iters)
            if iters >= args.steps or stop:
                break
    wall = time.perf_counter() - start
    result: dict[str, Any] = {
        "steps": iters,
        "batch_size": args.batch_size,
        "images": images,
        "wall_seconds": round(wall, 3),
        "images_per_second": round(images / wall, 2),
        "threads": torch.get_num_threads(),
        "workers": args.workers,
        "last_loss_d": D_losses[-1],
        "last_loss_g": G_losses[-1],
    }
    if marks is not None:
        result["cpu_marks"] = marks.report()
    print(f"{RESULT_TAG} {json.dumps(result)}", flush=True)
    return result


if __name__ == "__main__":
    main()
