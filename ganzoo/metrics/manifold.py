"""k-NN manifold metrics: improved precision/recall and density/coverage.

* Improved precision and recall (Kynkaanniemi et al. 2019, k = 3): the real manifold is the union
  of balls around each real feature with radius its distance to its k-th nearest real neighbour;
  precision is the fraction of fakes inside it, recall the fraction of reals inside the fake
  manifold built the same way.
* Density and coverage (Naeem et al. 2020, k = 5): density counts how many real balls contain each
  fake (divided by k; about 1 for matching distributions, can exceed 1), coverage is the fraction
  of real balls that hold at least one fake (about 0.97 for a healthy model).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Metric, SampleSet


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


def knn_radii(x: Tensor, k: int, chunk: int = 1024) -> Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row, ``(N,)``."""
    out = []
    for i in range(0, x.shape[0], chunk):
        d = torch.cdist(x[i : i + chunk], x)
        # the k+1 smallest include the point itself at distance 0
        out.append(d.topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(out)


def _inside_counts(points: Tensor, centres: Tensor, radii: Tensor, chunk: int = 1024) -> Tensor:
    """For each point: how many balls (centres, radii) contain it, ``(N_points,)``."""
    out = []
    for i in range(0, points.shape[0], chunk):
        d = torch.cdist(points[i : i + chunk], centres)
        out.append((d <= radii[None, :]).sum(1))
    return torch.cat(out)


def precision_recall(real: Tensor, fake: Tensor, k: int = 3) -> dict[str, float]:
    """Improved precision and recall of ``fake`` against ``real`` features ``(N, D)``."""
    _check("precision/recall", real, fake, k)
    real, fake = real.double(), fake.double()
    precision = (_inside_counts(fake, real, knn_radii(real, k)) > 0).double().mean()
    recall = (_inside_counts(real, fake, knn_radii(fake, k)) > 0).double().mean()
    return {"precision": float(precision), "recall": float(recall)}


def density_coverage(real: Tensor, fake: Tensor, k: int = 5, chunk: int = 1024) -> dict[str, float]:
    """Density and coverage of ``fake`` against ``real`` features ``(N, D)``."""
    _check("density/coverage", real, fake, k)
    real, fake = real.double(), fake.double()
    radii = knn_radii(real, k)
    density = _inside_counts(fake, real, radii).double().sum() / (k * fake.shape[0])
    nearest = torch.cat(
        [torch.cdist(real[i : i + chunk], fake).min(1).values for i in range(0, len(real), chunk)]
    )
    coverage = (nearest <= radii).double().mean()
    return {"density": float(density), "coverage": float(coverage)}


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
        real = reference.features[: len(generated)]
        return precision_recall(real, generated.features, int(self.params["prd_k"]))


class DensityCoverage(_EqualSizes):
    """The ``dc`` entry: density and coverage with ``k = params["dc_k"]``."""

    def compute(self, generated: SampleSet, reference: SampleSet) -> dict[str, float]:
        """``{"density": ..., "coverage": ...}`` against the first ``len(generated)`` references."""
        real = reference.features[: len(generated)]
        return density_coverage(real, generated.features, int(self.params["dc_k"]))
