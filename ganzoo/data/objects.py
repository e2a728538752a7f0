"""Data given as Python objects: tensors, numpy arrays and any ``torch.utils.data.Dataset``.

`as_data` turns such an object into the `TensorData` every run trains on, with a spec sized
from the object (its sample shape, its classes), so ``ganzoo.build("dcgan", data=x)`` and a
Trainer over a user's own tensors size the networks from the data alone. Array files
(`ganzoo.data.arrays`) go through the same conversion.

Layout and range rules, applied to every array:

* ``(N, C, H, W)`` with C in 1..4, or ``(N, H, W, C)`` with C in 1..4 (moved to channels
  first), or ``(N, H, W)`` (one channel): images; anything 2-D ``(N, D)``: points.
* uint8 images are kept as uint8 (scaled to [-1, 1] per batch, a quarter of the memory).
* Float images are taken to lie in ``value_range`` (default ``(-1, 1)``) and are mapped to
  [-1, 1]; values outside the stated range are an error naming the range they span.
* Points are used as given (float32).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ganzoo.data.tensor_data import TensorData, derived_spec
from ganzoo.errors import DataError
from ganzoo.specs import DatasetSpec

IN_MEMORY = "in-memory"
"""The data set name a run records when it trained on a Python object."""

_TOLERANCE = 1e-3  # float images may overshoot their stated range by rounding


def _as_tensor(value: Any, what: str) -> Tensor:
    """A tensor view of a tensor, numpy array, PIL image or nested sequence of numbers."""
    if isinstance(value, Tensor):
        return value.detach().cpu()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise DataError(f"{what} is an array of Python objects; give numbers (uint8 or float)")
        return torch.from_numpy(np.ascontiguousarray(value))
    if hasattr(value, "getbands"):  # a PIL image
        return torch.from_numpy(np.array(value))
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        raise DataError(
            f"{what} is a {type(value).__name__}; ganzoo trains on tensors, numpy arrays, PIL "
            "images or a Dataset of them"
        ) from None


def _images_first(x: Tensor, what: str) -> Tensor:
    """``x`` as ``(N, C, H, W)`` images (or ``(N, D)`` points, unchanged)."""
    if x.dim() == 2:
        return x
    if x.dim() == 3:
        return x.unsqueeze(1)
    if x.dim() == 4:
        if 1 <= x.shape[1] <= 4:
            return x
        if 1 <= x.shape[3] <= 4:
            return x.permute(0, 3, 1, 2)
        raise DataError(
            f"{what} has shape {tuple(x.shape)}: images must be (N, C, H, W) or (N, H, W, C) with "
            "1 to 4 channels"
        )
    raise DataError(
        f"{what} has shape {tuple(x.shape)}: give images (N, C, H, W), (N, H, W, C) or (N, H, W), "
        "or points (N, D)"
    )


def _to_unit_range(x: Tensor, value_range: Sequence[float] | None, what: str) -> Tensor:
    """Float images mapped from ``value_range`` to [-1, 1]; uint8 images unchanged."""
    if x.dtype == torch.uint8:
        if value_range is not None and tuple(value_range) != (0, 255):
            raise DataError(f"{what} is uint8, whose range is 0..255; drop value_range")
        return x
    if x.dtype == torch.bool or not (x.is_floating_point() or x.dtype in _INT_DTYPES):
        raise DataError(f"{what} has dtype {x.dtype}; give uint8 or float images")
    if x.dtype in _INT_DTYPES:
        x = x.float()
    low, high = (-1.0, 1.0) if value_range is None else (float(v) for v in value_range)
    if not high > low:
        raise DataError(f"value_range ({low}, {high}) must go from low to high")
    x = x.float()
    lo, hi = float(x.min()), float(x.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise DataError(f"{what} holds NaN or infinite values")
    span = (high - low) * _TOLERANCE
    if lo < low - span or hi > high + span:
        raise DataError(
            f"{what} spans [{lo:.4g}, {hi:.4g}], outside the stated range [{low:g}, {high:g}]; "
            "give value_range=(low, high) (e.g. (0, 1) for images in [0, 1], (0, 255) for pixel "
            "values)"
        )
    if (low, high) != (-1.0, 1.0):
        x = (x - low) * (2.0 / (high - low)) - 1.0
    return x.clamp_(-1.0, 1.0).contiguous()


_INT_DTYPES = (torch.int16, torch.int32, torch.int64, torch.uint16)


def _labels(y: Any, n: int, what: str) -> tuple[Tensor | None, int | None]:
    """Labels as int64 ``(N,)`` and their number of classes; (None, None) without labels."""
    if y is None:
        return None, None
    labels = _as_tensor(y, f"the labels of {what}").reshape(-1)
    if labels.is_floating_point() and not bool((labels == labels.round()).all()):
        raise DataError(f"the labels of {what} must be integer class ids")
    labels = labels.long()
    if labels.numel() != n:
        raise DataError(f"{what} has {n} samples but {labels.numel()} labels")
    if n and int(labels.min()) < 0:
        raise DataError(f"the labels of {what} must be class ids 0..K-1; found {int(labels.min())}")
    classes = int(labels.max()) + 1 if n else 0
    return labels, (classes if classes >= 2 else None)


def _collect(dataset: Any) -> tuple[Tensor, Tensor | None]:
    """Every item of a map-style Dataset stacked: samples, and labels when items are pairs."""
    try:
        n = len(dataset)
    except TypeError:
        raise DataError(
            f"{type(dataset).__name__} has no length: give a map-style Dataset (with __len__ and "
            "__getitem__), a tensor or an array"
        ) from None
    if n == 0:
        raise DataError(f"the {type(dataset).__name__} is empty")
    xs: list[Tensor] = []
    ys: list[Any] = []
    for i in range(n):
        item = dataset[i]
        if isinstance(item, tuple | list) and len(item) >= 2:
            xs.append(_as_tensor(item[0], f"item {i} of the dataset"))
            ys.append(item[1])
        else:
            xs.append(_as_tensor(item, f"item {i} of the dataset"))
    shapes = {tuple(x.shape) for x in xs}
    if len(shapes) > 1:
        raise DataError(
            f"the dataset's samples differ in shape ({', '.join(map(str, sorted(shapes)[:3]))}, "
            "...); resize them to one size (e.g. torchvision.transforms.Resize + CenterCrop)"
        )
    x = torch.stack(xs)
    if x.dim() == 4 and 1 <= x.shape[-1] <= 4 and x.shape[1] > 4:  # PIL: (N, H, W, C)
        x = x.permute(0, 3, 1, 2)
    y = torch.as_tensor([int(v) for v in ys]) if len(ys) == n else None
    return x, y


def in_memory_spec(
    shape: tuple[int, ...], num_classes: int | None, name: str = IN_MEMORY, summary: str = ""
) -> DatasetSpec:
    """The spec of data given in Python (not a registered entry): its shape and classes."""
    return DatasetSpec(
        name=name,
        summary=summary or "Data given as a Python object (tensor, array or Dataset).",
        builder="ganzoo.data.objects:as_data",
        modality="image" if len(shape) == 3 else "points",
        shape=shape,
        num_classes=num_classes,
        tags=("own-data",),
    )


def as_data(
    data: Any,
    labels: Any = None,
    value_range: Sequence[float] | None = None,
    spec: DatasetSpec | None = None,
) -> TensorData:
    """The `TensorData` of a tensor, a numpy array, a ``Dataset`` or a `TensorData`.

    Args:
        data: Images ``(N, C, H, W)``/``(N, H, W, C)``/``(N, H, W)`` or points ``(N, D)`` as a
            tensor or numpy array; a map-style ``torch.utils.data.Dataset`` whose items are
            samples or ``(sample, label)`` pairs; or a `TensorData` (returned as is).
        labels: Integer class ids ``(N,)`` for a tensor or array (a Dataset's pairs carry
            their own); they make the data labelled, for conditional architectures.
        value_range: The range of float images (default ``(-1, 1)``); uint8 is 0..255.
        spec: The registered spec the data comes from (an array file); None: an unregistered
            ``in-memory`` spec. Either way the result's spec has the data's real shape.

    Returns:
        The data, images as uint8 or float in [-1, 1], with a spec sized from it.

    Raises:
        DataError: The object is not data ganzoo can train on (the message says why and how
            to give it).
    """
    if isinstance(data, TensorData):
        return data
    what = "the data" if spec is None else f"data set {spec.name!r}"
    if isinstance(data, Tensor | np.ndarray):
        x, y = _as_tensor(data, what), labels
    elif hasattr(data, "__getitem__") and not isinstance(data, str | bytes | dict):
        if labels is not None:
            raise DataError("a Dataset carries its own labels: drop labels=")
        x, y = _collect(data)
    else:
        raise DataError(
            f"cannot train on a {type(data).__name__}: give a tensor, a numpy array, a "
            "torch.utils.data.Dataset, a registered data set name or a path to images"
        )
    if x.shape[0] == 0:
        raise DataError(f"{what} holds no samples")
    x = _images_first(x, what)
    if x.dim() == 4:
        x = _to_unit_range(x, value_range, what).contiguous()
    else:
        x = x.float().contiguous()
        if not bool(torch.isfinite(x).all()):
            raise DataError(f"{what} holds NaN or infinite values")
    y_long, classes = _labels(y, x.shape[0], what)
    shape = tuple(int(s) for s in x.shape[1:])
    if spec is None:
        out_spec = in_memory_spec(shape, classes)
    else:
        out_spec = derived_spec(
            spec, shape, classes, modality="image" if len(shape) == 3 else "points"
        )
    return TensorData(x, y_long, out_spec)
