"""``python -m benchmarks.stacked_marginals [SOURCE ...] [-n 10000]``: where a Stacked MNIST
model's KL(mode histogram || uniform) comes from.

For each source (a registered model name, a run directory or ``local-dir:PATH``; default the
bundled ``dcgan-stacked-mnist``) it samples ``n`` images, labels each of the 3 channels with the
MNIST classifier, and prints the joint KL over the 1000 modes, each channel's digit histogram
and KL over 10 digits, and the KL a perfectly uniform generator would show at the same ``n``
(its sampling floor, the mean over 20 multinomial draws): the joint KL is about that floor plus
the channels' KLs plus what the channels share. The recipe of ``dcgan-stacked-mnist`` quotes
these figures. No data is read; the models come from the package or disk (no network).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import torch

from ganzoo.metrics.modes import class_histogram, kl_to_uniform


def uniform_floor(n: int, num_classes: int = 1000, draws: int = 20, seed: int = 0) -> float:
    """Mean KL(histogram || uniform) of ``draws`` histograms of ``n`` uniform labels."""
    g = torch.Generator().manual_seed(seed)
    kls = [
        kl_to_uniform(class_histogram(torch.randint(num_classes, (n,), generator=g), num_classes))
        for _ in range(draws)
    ]
    return sum(kls) / draws


def split(labels: torch.Tensor) -> list[torch.Tensor]:
    """Stacked labels ``100*r + 10*g + b`` as the three channels' digits ``[r, g, b]``."""
    return [labels // 100, (labels // 10) % 10, labels % 10]


@dataclass
class Marginals:
    """One source's figures: the joint KL over 1000 modes and each channel's over 10 digits."""

    joint_kl: float
    channels: list[list[int]]
    channel_kl: list[float]

    @property
    def sum_channel_kl(self) -> float:
        """The channels' KLs added up (what independent channels would add to the joint KL)."""
        return sum(self.channel_kl)


def measure(source: str, n: int, seed: int = 0) -> Marginals:
    """The joint KL and each channel's digit histogram and KL of ``n`` samples of ``source``."""
    import ganzoo
    from ganzoo.metrics.classifier import stacked_labels

    model = ganzoo.load(source)
    with torch.no_grad():
        images = model.sample(n, seed=seed).float()
    labels = stacked_labels(images)
    channels = [class_histogram(d, 10) for d in split(labels)]
    return Marginals(
        joint_kl=kl_to_uniform(class_histogram(labels, 1000)),
        channels=[[int(v) for v in h] for h in channels],
        channel_kl=[kl_to_uniform(h) for h in channels],
    )


def main() -> None:
    """Print each source's figures and the uniform floor."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", default=["dcgan-stacked-mnist"])
    parser.add_argument("-n", type=int, default=10000, help="samples per source (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="the sampling seed")
    args = parser.parse_args()
    print(f"uniform generator's floor at n={args.n}: KL {uniform_floor(args.n):.4f}")
    for source in args.sources:
        r = measure(source, args.n, args.seed)
        print(f"{source}: joint KL {r.joint_kl:.4f}, channels' KL sum {r.sum_channel_kl:.4f}")
        for c, (h, kl) in enumerate(zip(r.channels, r.channel_kl, strict=True)):
            print(f"  channel {c}: digits 0-9 {h}, KL {kl:.4f}")


if __name__ == "__main__":
    main()
