"""k-NN manifold metrics: improved precision/recall and density/coverage.

* Improved precision and recall (Kynkaanniemi et al. 2019, k = 3): the real manifold is the union
  of balls around each real feature with radius its distance to its k-th nearest real neighbour;
  precision is the fraction of fakes inside it, recall the fraction of reals inside the fake
  manifold built the same way.
* Density and coverage (Naeem et al. 2020, k = 5): density counts how many real balls contain each
  fake (divided by k; about 1 for matching distributions, can exceed 1), coverage is the fraction
  of real balls that hold at least one fake (about 0.97 for a healthy model).

All four come from three distance matrices, each computed once in blocks of rows (float64,
``torch.cdist``) and reduced on the fly, never held whole: real-real (the sorted k-NN distances of
every k at once), fake-fake (the same), and fake-real (one pass gives every fake's count of real
balls holding it, every real's nearest fake, and whether each real lies in a fake ball). The
evaluation engine shares them: ``prd`` and ``dc`` read one fake-real pass, and the reference's
k-NN distances serve the generated samples and the floor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet
from ganzoo.metrics import refcache

SHARED_KS = (3, 5)
"""The k of ``prd`` and of ``dc`` as pinned: one fake-real pass computes the statistics of both."""
CHUNK = 1024
"""Rows of a distance block: 1,024 x 10,000 float64 values are 80 MB."""


def _check(name: str, real: Tensor, fake: Tensor, k: int) -> None:
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ConfigError(
            f"{name} needs two feature sets (N, D) of one D; got {tuple(real.shape)} and "
            f"{tuple(fake.shape)}"
        )
    for what, x in (("real", real), ("generated", fake)):
        if x.shape[0] < k + 1:
            raise ConfigError(
                f"{name} with k={k} needs at least k+1 = {k + 1} {what} samples; got {x.shape[0]}"
            )


def knn_distances(x: Tensor, k: int, chunk: int = CHUNK) -> Tensor:
    """The ``k + 1`` smallest distances from each row of ``x`` to the rows of ``x``, sorted, ``(N, k+1)``.

    Column 0 is the row itself (distance 0); column ``k`` is the radius of its k-NN ball.
    """
    out = []
    for i in range(0, x.shape[0], chunk):
        d = torch.cdist(x[i : i + chunk], x)
        out.append(d.topk(k + 1, dim=1, largest=False).values)
    return torch.cat(out)


def knn_radii(x: Tensor, k: int, chunk: int = CHUNK) -> Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row, ``(N,)``."""
    return knn_distances(x, k, chunk)[:, k].contiguous()


@dataclass(frozen=True)
class CrossStats:
    """What one pass over the fake-real distances gives, per k of the real and the fake balls.

    Attributes:
        fake_counts: Per k: for each fake, how many real k-NN balls hold it ``(N_fake,)``.
        real_nearest: For each real, the distance to its nearest fake ``(N_real,)``.
        real_inside: Per k: for each real, whether some fake k-NN ball holds it ``(N_real,)``.
    """

    fake_counts: dict[int, Tensor]
    real_nearest: Tensor
    real_inside: dict[int, Tensor]


def cross_stats(
    real: Tensor,
    fake: Tensor,
    real_radii: dict[int, Tensor],
    fake_radii: dict[int, Tensor],
    chunk: int = CHUNK,
) -> CrossStats:
    """One pass over ``cdist(fake, real)`` in blocks of fake rows, reduced for every radius given."""
    counts = {k: torch.zeros(fake.shape[0], dtype=torch.long) for k in real_radii}
    inside = {k: torch.zeros(real.shape[0], dtype=torch.bool) for k in fake_radii}
    nearest = torch.full((real.shape[0],), float("inf"), dtype=real.dtype)
    for i in range(0, fake.shape[0], chunk):
        d = torch.cdist(fake[i : i + chunk], real)
        for k, r in real_radii.items():
            counts[k][i : i + chunk] = (d <= r[None, :]).sum(1)
        for k, r in fake_radii.items():
            inside[k] |= (d <= r[i : i + chunk, None]).any(0)
        nearest = torch.minimum(nearest, d.min(0).values)
    return CrossStats(counts, nearest, inside)


def _ks(k: int) -> list[int]:
    return sorted({k, *SHARED_KS})


def _from_stats(
    k_prd: int | None, k_dc: int | None, stats: CrossStats, real_radii: dict[int, Tensor]
) -> dict[str, float]:
    out: dict[str, float] = {}
    if k_prd is not None:
        out["precision"] = float((stats.fake_counts[k_prd] > 0).double().mean())
        out["recall"] = float(stats.real_inside[k_prd].double().mean())
    if k_dc is not None:
        n_fake = stats.fake_counts[k_dc].shape[0]
        out["density"] = float(stats.fake_counts[k_dc].double().sum() / (k_dc * n_fake))
        out["coverage"] = float((stats.real_nearest <= real_radii[k_dc]).double().mean())
    return out


def _manifold(
    real: Tensor, fake: Tensor, k_prd: int | None, k_dc: int | None, chunk: int
) -> dict[str, float]:
    ks = [k for k in (k_prd, k_dc) if k is not None]
    table = knn_distances(real, max(ks), chunk)
    real_radii = {k: table[:, k] for k in ks}
    fake_radii = {k_prd: knn_radii(fake, k_prd, chunk)} if k_prd is not None else {}
    return _from_stats(
        k_prd, k_dc, cross_stats(real, fake, real_radii, fake_radii, chunk), real_radii
    )


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall of ``fake`` against ``real`` features ``(N, D)``."""
    _check("precision/recall", real, fake, k)
    return _manifold(real.double(), fake.double(), k, None, CHUNK)


def density_coverage(
    real: Tensor, fake: Tensor, k: int = 5, chunk: int = CHUNK
) -> dict[str, float]:
    """Density and coverage of ``fake`` against ``real`` features ``(N, D)``."""
    _check("density/coverage", real, fake, k)
    return _manifold(real.double(), fake.double(), None, k, chunk)


def _where(s: SampleSet) -> dict[str, object]:
    """What the set's features are: the extractor's identity, or raw values."""
    return refcache.identity(s.extractor) if s.extractor is not None else {"extractor": "raw"}


def _table(s: SampleSet, n: int, k: int) -> Tensor:
    """The sorted k-NN distances of the first ``n`` features of ``s``, ``(n, depth + 1)``.

    Memoised with the set (its cache is shared by every view of it), and on disk for a real set:
    the reference's table serves the generated samples and the floor, ``prd``'s k and ``dc``'s.
    """
    depth = max(k, *SHARED_KS)
    where = _where(s)
    params = {"features": where, "n": n, "depth": depth}

    def compute() -> Tensor:
        if not refcache.is_real(s):
            return knn_distances(s.features[:n].double(), depth)
        return refcache.cached_derived(
            s, "knn-v1", params, lambda: {"d": knn_distances(s.features[:n].double(), depth)}
        )["d"]

    return s.memo(f"manifold:knn:{json.dumps(params, sort_keys=True)}", compute)


def _pack(stats: CrossStats) -> dict[str, Tensor]:
    out = {f"count{k}": v for k, v in stats.fake_counts.items()}
    out.update({f"inside{k}": v for k, v in stats.real_inside.items()})
    return {**out, "nearest": stats.real_nearest}


def _unpack(stored: dict[str, Tensor]) -> CrossStats:
    counts = {int(k[5:]): v for k, v in stored.items() if k.startswith("count")}
    inside = {int(k[6:]): v for k, v in stored.items() if k.startswith("inside")}
    return CrossStats(counts, stored["nearest"], inside)


def shared_stats(
    generated: SampleSet, reference: SampleSet, k: int, role: str
) -> tuple[CrossStats, Tensor]:
    """The fake-real statistics of ``generated`` against the first ``len(generated)`` references.

    One pass computes them for ``k`` and the pinned k of ``prd`` and ``dc`` (``SHARED_KS``):
    every k's counts (precision, density), the nearest fakes (coverage) and, for ``prd``'s k and
    ``k`` when ``role`` is ``"prd"``, the reals inside fake balls (recall). Memoised with the
    generated set, so both metrics read the same pass; when both sets are real (the floor) the
    statistics are cached on disk like the reference's features.

    Returns:
        The statistics and the reference's sorted k-NN distance table.
    """
    n = len(generated)
    real_table = _table(reference, n, k)
    counted = sorted({k, *SHARED_KS})
    inside = sorted({SHARED_KS[0], *([k] if role == "prd" else [])})
    token = reference.memo("manifold:token", object)
    seen: list[tuple[object, list[int], list[int], CrossStats]] = generated.memo(
        f"manifold:cross:{json.dumps(_where(generated), sort_keys=True)}:{n}", list
    )
    for tok, done_counts, done_inside, stats in seen:
        if tok is token and k in done_counts and (role != "prd" or k in done_inside):
            return stats, real_table

    def compute() -> CrossStats:
        fake_table = _table(generated, n, k)
        return cross_stats(
            reference.features[:n].double(),
            generated.features.double(),
            {j: real_table[:, j] for j in counted},
            {j: fake_table[:, j] for j in inside},
        )

    if refcache.is_real(generated) and refcache.is_real(reference):
        params = {
            "features": _where(generated),
            "reference": refcache.data_digest(reference),
            "n": n,
            "counts": counted,
            "inside": inside,
        }
        stats = _unpack(
            refcache.cached_derived(generated, "knn-cross-v1", params, lambda: _pack(compute()))
        )
    else:
        stats = compute()
    seen.append((token, counted, inside, stats))
    return stats, real_table


class _EqualSizes(Metric):
    """Compares the generated set with as many reference samples (both papers use equal sizes)."""

    def protocol(self, generated: SampleSet, reference: SampleSet) -> dict[str, float | int | str]:
        """How many reference samples were compared."""
        used = min(len(generated), len(reference))
        return {"prd_dc_reference": f"first {used} reference samples (equal sizes)"}


class PrecisionRecall(_EqualSizes):
    """The ``prd`` entry: improved precision and recall with ``k = params["prd_k"]``."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"precision": ..., "recall": ...}`` against the first ``len(generated)`` references."""
        k = int(self.params["prd_k"])
        _check("precision/recall", reference.features[: len(generated)], generated.features, k)
        stats, table = shared_stats(generated, reference, k, "prd")
        return _from_stats(k, None, stats, {k: table[:, k]})


class DensityCoverage(_EqualSizes):
    """The ``dc`` entry: density and coverage with ``k = params["dc_k"]``."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"density": ..., "coverage": ...}`` against the first ``len(generated)`` references."""
        k = int(self.params["dc_k"])
        _check("density/coverage", reference.features[: len(generated)], generated.features, k)
        stats, table = shared_stats(generated, reference, k, "dc")
        return _from_stats(None, k, stats, {k: table[:, k]})
