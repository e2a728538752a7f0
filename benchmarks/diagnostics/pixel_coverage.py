"""``python -m benchmarks.diagnostics.pixel_coverage [-n 1000]``: the sample-diversity detector's
figures (diversity ratio, near-duplicates, coverage) for the bundled MNIST models and for real
MNIST images of 10, 5 and 1 digits, all against the same real test images.

docs/diagnostics.md quotes them to explain why pixel-space coverage is judged only below 0.6: a
healthy model and real images of half the digits score alike. Needs MNIST (``GANZOO_DATA``); the
models come from the package (no network).
"""

from __future__ import annotations

import argparse

import torch
from torch import Tensor

from ganzoo.data.configs import MNISTConfig
from ganzoo.data.mnist import at_resolution, read_mnist
from ganzoo.diagnostics.diversity import diversity_stats


def _real(train: bool, root: str | None) -> tuple[Tensor, Tensor]:
    """MNIST ``train`` or test images as uint8 ``(N, 1, 28, 28)`` and their labels."""
    return read_mnist(MNISTConfig(root=root, train=train))


def _unit(x: Tensor) -> Tensor:
    """uint8 images in [0, 255] as floats in [-1, 1], the generators' range."""
    return x.float().div(127.5).sub(1)


def _model_names() -> list[str]:
    """The bundled models trained on (single-channel) MNIST."""
    from ganzoo.pretrained.catalog import ENTRIES

    return [e.name for e in ENTRIES if e.dataset == "mnist"]


def measure(n: int, seed: int = 0, root: str | None = None) -> list[tuple[str, dict[str, float]]]:
    """Each bundled MNIST model's and each real subset's ``diversity_stats`` on ``n`` samples.

    ``root`` holds MNIST/raw (default ``$GANZOO_DATA``). The reference is the first ``n`` test images, at each model's resolution (MNIST padded to
    32 px for the 32-px models, as the detector sees it while training). The real subsets are
    ``n`` train images of digits 0-9, 0-4 and 0 only.
    """
    import ganzoo

    test_x, _ = _real(False, root)
    train_x, train_y = _real(True, root)
    rows: list[tuple[str, dict[str, float]]] = []
    for name in _model_names():
        model = ganzoo.load(name)
        fake = model.sample(n, seed=seed).float()
        ref = _unit(at_resolution(test_x[:n], fake.shape[-1]))
        rows.append((name, diversity_stats(fake.flatten(1), ref.flatten(1))))
    ref = _unit(test_x[:n]).flatten(1)
    for label, digits in (("real, 10 digits", 10), ("real, 5 digits", 5), ("real, 1 digit", 1)):
        pick = train_x[train_y < digits][:n]
        rows.append((label, diversity_stats(_unit(pick).flatten(1), ref)))
    return rows


def main() -> None:
    """Print the table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="samples per row (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the models' sampling seed")
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"| samples ({args.n}) | diversity ratio | near-duplicates | coverage |")
    print("| --- | --- | --- | --- |")
    for name, s in measure(args.n, args.seed):
        print(f"| {name} | {s['ratio']:.2f} | {s['duplicates']:.0%} | {s['coverage']:.2f} |")


if __name__ == "__main__":
    main()
