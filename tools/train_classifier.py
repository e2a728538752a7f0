"""Recipe for the shipped MNIST classifier (a maintainer script).

``python tools/train_classifier.py --data-root DIR --out PATH [--epochs 4]``, run from the
repository root.

Trains ``ganzoo.metrics.classifier.MNISTClassifier`` on the 60,000 MNIST training images with
random shifts of up to 2 pixels, Adam and a OneCycle schedule, then prints the accuracy on the
10,000 test images and the file's sha256 (pin it as ``MNIST_CLASSIFIER_SHA256`` in ganzoo/metrics/catalog.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data.mnist import MNISTConfig, read_mnist
from ganzoo.metrics.classifier import MNISTClassifier
from ganzoo.weights import save_module, sha256_file


def random_shift(x: Tensor, max_shift: int, gen: torch.Generator) -> Tensor:
    """Shift each image of ``x`` ``(N, 1, H, W)`` by its own random offset in [-s, s] (zero fill)."""
    n, _, h, w = x.shape
    s = max_shift
    padded = F.pad(x, (s, s, s, s), value=-1.0)
    dy = torch.randint(0, 2 * s + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * s + 1, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], 0, rows, cols].unsqueeze(1)


@torch.no_grad()
def accuracy(model: MNISTClassifier, x: Tensor, y: Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of ``model`` (eval mode) on uint8 images ``x`` and labels ``y``."""
    model.eval()
    correct = 0
    for i in range(0, x.shape[0], batch_size):
        b = x[i : i + batch_size].float().div(127.5).sub(1.0)
        correct += int((model(b).argmax(1) == y[i : i + batch_size]).sum())
    return correct / x.shape[0]


def train(
    data_root: str | None,
    epochs: int = 4,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    log_every: int = 100,
    limit: int | None = None,
) -> tuple[MNISTClassifier, float, float]:
    """Train the classifier; returns it, its test accuracy and the training time in seconds.

    ``limit`` keeps only the first ``limit`` training images (a quick smoke run; the shipped
    weights use all 60,000).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x, y = read_mnist(MNISTConfig(root=data_root, train=True))
    x, y = x[:limit], y[:limit]
    xt, yt = read_mnist(MNISTConfig(root=data_root, train=False))
    model = MNISTClassifier()
    steps = epochs * (x.shape[0] // batch_size)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    start = time.perf_counter()
    step = 0
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(x.shape[0] // batch_size):
            idx = perm[i * batch_size : (i + 1) * batch_size]
            xb = random_shift(x[idx].float().div(127.5).sub(1.0), 2, gen)
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % log_every == 0:
                print(
                    f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} "
                    f"{time.perf_counter() - start:.0f}s",
                    flush=True,
                )
        acc = accuracy(model, xt, yt)
        print(f"epoch {epoch + 1}: test accuracy {acc:.4%}", flush=True)
    seconds = time.perf_counter() - start
    return model, accuracy(model, xt, yt), seconds


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: train, save safetensors, print accuracy, time and sha256."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None, help="folder holding MNIST/raw ($GANZOO_DATA)")
    p.add_argument("--out", type=Path, required=True, help="output .safetensors path")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="first N training images (smoke run)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, acc, seconds = train(
        args.data_root, args.epochs, args.batch_size, args.lr, args.seed, limit=args.limit
    )
    meta = {
        "test_accuracy": f"{acc:.4f}",
        "train_seconds": f"{seconds:.0f}",
        "epochs": str(args.epochs),
        "recipe": "tools/train_classifier.py",
    }
    save_module(model, args.out, metadata=meta)
    print(f"test accuracy {acc:.4%} after {args.epochs} epochs in {seconds:.0f}s")
    print(f"saved {args.out} sha256 {sha256_file(args.out)}")


if __name__ == "__main__":
    main()
