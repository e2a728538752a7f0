"""NDB, the number of statistically different bins (Richardson & Weiss 2018).

K-means with K = 100 on the real samples defines the bins; each real and generated sample goes to
its nearest centre, and a two-proportion z-test at alpha = 0.05 flags the bins whose share of
generated samples differs from their share of real ones. A model that drops a cluster or piles onto
one leaves many bins flagged; matching distributions flag about alpha * K by chance.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet
from ganzoo.metrics import refcache


def kmeans(x: Tensor, k: int, iters: int = 25, seed: int = 0, chunk: int = 4096) -> Tensor:
    """Centres ``(k, D)`` of k-means on ``x`` ``(N, D)`` (k-means++ start, Lloyd iterations)."""
    x = x.float()
    gen = torch.Generator().manual_seed(seed)
    centres = x[torch.randint(0, x.shape[0], (1,), generator=gen)]
    nearest = torch.cdist(x, centres).square().squeeze(1)
    for _ in range(1, k):
        probs = nearest / nearest.sum() if nearest.sum() > 0 else torch.ones_like(nearest)
        new = x[torch.multinomial(probs, 1, generator=gen)]
        centres = torch.cat([centres, new])
        nearest = torch.minimum(nearest, torch.cdist(x, new).square().squeeze(1))
    for _ in range(iters):
        assign = assign_bins(x, centres, chunk)
        sums = torch.zeros_like(centres).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).float()
        moved = torch.where(counts[:, None] > 0, sums / counts.clamp_min(1)[:, None], centres)
        if torch.allclose(moved, centres):
            break
        centres = moved
    return centres


def assign_bins(x: Tensor, centres: Tensor, chunk: int = 4096) -> Tensor:
    """Index of the nearest centre for each row of ``x``."""
    x, centres = x.float(), centres.float()
    return torch.cat(
        [torch.cdist(x[i : i + chunk], centres).argmin(1) for i in range(0, x.shape[0], chunk)]
    )


def ndb(
    real: Tensor,
    fake: Tensor,
    bins: int = 100,
    alpha: float = 0.05,
    seed: int = 0,
    centres: Tensor | None = None,
) -> dict[str, float]:
    """``{"ndb": flagged bins, "ndb_fraction": flagged / K}`` for samples ``(N, ...)``.

    Samples are flattened (the paper bins raw pixels). Both sets need at least ``2 * bins``
    samples, else ``ConfigError``. ``centres`` reuses bins from ``kmeans`` on ``real``.
    """
    real, fake = real.flatten(1).float(), fake.flatten(1).float()
    if real.shape[1] != fake.shape[1]:
        raise ConfigError(
            f"NDB needs samples of one shape; got {real.shape[1]} and {fake.shape[1]} values each"
        )
    for what, x in (("real", real), ("generated", fake)):
        if x.shape[0] < 2 * bins:
            raise ConfigError(
                f"NDB with K={bins} bins needs at least 2*K = {2 * bins} {what} samples; "
                f"got {x.shape[0]} (raise -n or lower the bin count)"
            )
    if centres is None:
        centres = kmeans(real, bins, seed=seed)
    n1, n2 = real.shape[0], fake.shape[0]
    c1 = torch.bincount(assign_bins(real, centres), minlength=bins).double()
    c2 = torch.bincount(assign_bins(fake, centres), minlength=bins).double()
    p1, p2 = c1 / n1, c2 / n2
    pooled = (c1 + c2) / (n1 + n2)
    se = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).sqrt()
    z = (p1 - p2).abs() / se.clamp_min(1e-12)
    critical = math.sqrt(2) * float(torch.erfinv(torch.tensor(1 - alpha, dtype=torch.float64)))
    flagged = int(((z > critical) & (se > 0)).sum())
    return {"ndb": float(flagged), "ndb_fraction": flagged / bins}


KMEANS_ITERS = 25
"""Lloyd iterations of `kmeans` (at most; it stops when the centres no longer move)."""


def reference_bins(reference: SampleSet, bins: int) -> Tensor:
    """k-means centres (seed 0) of a reference set's raw values, cached on disk per exact set.

    Fitting 100 bins on 10,000 MNIST images is the slowest part of an evaluation after the
    sampling, and depends on the reference set alone: the centres are written to
    ``$GANZOO_CACHE/metrics/reference/ndb-kmeans-v1/`` keyed by the exact samples, bins, seed and
    iterations (`ganzoo.metrics.refcache.cached_derived`).
    """
    return refcache.cached_derived(
        reference,
        "ndb-kmeans-v1",
        {"bins": bins, "seed": 0, "iters": KMEANS_ITERS, "init": "k-means++"},
        lambda: {"centres": kmeans(reference.x.flatten(1), bins, iters=KMEANS_ITERS, seed=0)},
    )["centres"]


class NumberOfDifferentBins(Metric):
    """The ``ndb`` entry: NDB on raw values, bins fitted once per reference set (k-means seed 0)."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"ndb": ..., "ndb_fraction": ...}`` with ``params["ndb_bins"]`` and ``["ndb_alpha"]``."""
        bins, alpha = int(self.params["ndb_bins"]), float(self.params["ndb_alpha"])
        centres = reference.memo(f"ndb_centres_{bins}", lambda: reference_bins(reference, bins))
        return ndb(reference.x, generated.x, bins, alpha, centres=centres)
