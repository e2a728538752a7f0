"""Labels and features of generated samples for the sample-based diagnostics.

* 2-D mixtures (ring-8, grid-25): the nearest mode when within 3 sigma of it, else -1 (PacGAN
  protocol; sigma is estimated once from the real data).
* MNIST / Stacked MNIST: ``ganzoo.metrics.classifier`` when its weights load; otherwise a 1-nearest-
  neighbour classifier on 3,000 real labelled images (pixel space; about 90% accurate) so the
  detectors still run. Which one was used is reported in the alarm's source.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

Labeler = Callable[[Tensor], Tensor]


@dataclass
class Labelling:
    """How to label samples of one data set: ``fn`` maps samples to mode ids (-1: no mode)."""

    fn: Labeler
    num_modes: int
    method: str


_CACHE: dict[tuple[int, str], tuple[Callable[[], object], object]] = {}
"""Per data set object and key: (a reference to the object, the value). The reference guards
against a reused ``id``: once a data set is freed, a new one may get its address."""


def _cached(data: object, key: str, make: Callable[[], object]) -> object:
    k = (id(data), key)
    hit = _CACHE.get(k)
    if hit is not None and hit[0]() is data:
        return hit[1]
    if len(_CACHE) > 16:
        _CACHE.clear()
    value = make()
    try:
        ref: Callable[[], object] = weakref.ref(data)
    except TypeError:  # not weakly referable: held alive while cached, so its id stays its own
        ref = (lambda d: lambda: d)(data)
    _CACHE[k] = (ref, value)
    return value


def cached(data: object, key: str, make: Callable[[], object]) -> object:
    """``make()`` computed once per data set object and ``key`` (a small per-process cache)."""
    return _cached(data, key, make)


def mnist_features(data: object) -> Callable[[Tensor], Tensor] | None:
    """The MNIST classifier's features of samples, channel by channel (``(N, 128 C)``).

    None unless the data are 28x28 MNIST-like images (1 or 3 channels) or MNIST padded to 32
    px, and the classifier's weights load.
    """
    spec = getattr(data, "spec", None)
    if spec is None or spec.modality != "image":
        return None
    from ganzoo.metrics.classifier import reads

    if not reads(spec):
        return None
    device = data.device  # type: ignore[attr-defined]
    if not _cached(data, "classifier", lambda: _classifier_ok(device)):
        return None
    from ganzoo.metrics.classifier import classify

    def features(x: Tensor) -> Tensor:
        parts = [classify(x[:, c : c + 1], device=device)[0] for c in range(x.shape[1])]
        return torch.cat(parts, 1)

    return features


def mixture_sigma(points: Tensor, modes: Tensor) -> float:
    """Per-coordinate std of real points around their nearest mode."""
    d = torch.cdist(points.double(), modes.double()).min(1).values
    return float((d.pow(2).mean() / points.shape[1]).sqrt())


def _classifier_ok(device: torch.device) -> bool:
    try:
        from ganzoo.metrics.classifier import load_classifier

        load_classifier(device)
        return True
    except Exception:  # missing module or weights: fall back
        return False


def _nn_labeler(data, n: int = 3000) -> Labeler:
    gen = torch.Generator().manual_seed(0)
    idx = torch.randperm(len(data), generator=gen)[:n].to(data.device)
    x, y = data.batch(idx)
    ref = x.flatten(1).float()
    ref_sq = ref.pow(2).sum(1)
    labels = y.long()

    def fn(samples: Tensor) -> Tensor:
        s = samples.to(ref.device).flatten(1).float()
        d = ref_sq[None, :] - 2 * s @ ref.T  # ||s||^2 is constant per row
        return labels[d.argmin(1)]

    return fn


def labelling(context: dict[str, object]) -> Labelling | None:
    """The labelling for the run's data set, or None when it has no modes to count."""
    data = context.get("data")
    if data is None:
        return None
    spec = data.spec  # type: ignore[attr-defined]
    modes = getattr(data, "modes", None)
    if modes is not None:
        centres = modes.float()
        sigma = _cached(data, "sigma", lambda: mixture_sigma(data.x[:5000].float(), centres))

        def by_mode(samples: Tensor) -> Tensor:
            d = torch.cdist(samples.float().to(centres.device), centres)
            dist, nearest = d.min(1)
            return torch.where(dist <= 3.0 * sigma, nearest, torch.full_like(nearest, -1))  # type: ignore[operator]

        return Labelling(
            by_mode, int(centres.shape[0]), f"nearest mode within 3 sigma ({sigma:.3g})"
        )
    if spec.modality != "image" or spec.num_classes is None or data.y is None:  # type: ignore[attr-defined]
        return None
    from ganzoo.metrics.classifier import reads

    if not reads(spec):
        return None
    shape = tuple(spec.shape)
    device = data.device  # type: ignore[attr-defined]
    if _cached(data, "classifier", lambda: _classifier_ok(device)):
        from ganzoo.metrics.classifier import classify

        def digit(x: Tensor) -> Tensor:
            return classify(x, device=device)[1].argmax(1)

        method = "MNIST classifier"
    else:
        if shape[0] == 3:
            return None  # stacked labels need a per-digit classifier
        digit = _cached(data, "nn", lambda: _nn_labeler(data))  # type: ignore[assignment]
        method = "1-NN on 3,000 real images (classifier weights not available)"
    if shape[0] == 1:
        return Labelling(lambda s: digit(s).cpu(), 10, method)

    def stacked(s: Tensor) -> Tensor:
        parts = [digit(s[:, c : c + 1]).cpu() for c in range(3)]
        return parts[0] * 100 + parts[1] * 10 + parts[2]

    return Labelling(stacked, 1000, method)


def reference_batch(context: dict[str, object], n: int) -> Tensor | None:
    """``n`` real samples (flattened floats, fixed seed) from the run's data, cached."""
    data = context.get("data")
    if data is None:
        return None

    def make() -> Tensor:
        gen = torch.Generator().manual_seed(1)
        idx = torch.randperm(len(data), generator=gen)[:n].to(data.device)  # type: ignore[arg-type]
        return data.batch(idx)[0].flatten(1).float()  # type: ignore[attr-defined]

    return _cached(data, f"ref{n}", make)  # type: ignore[return-value]
