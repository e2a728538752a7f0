"""A whole data set as one tensor on the training device: batches are index gathers, no workers."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganzoo.specs import DatasetSpec


@dataclass
class TensorData:
    """All samples of a data set in memory.

    ``x`` is either uint8 images (scaled to [-1, 1] when a batch is taken, which keeps MNIST at
    47 MB instead of 188 MB) or float points; ``y`` holds integer labels or None.
    """

    x: Tensor
    y: Tensor | None
    spec: DatasetSpec
    modes: Tensor | None = None  # mode centres of the 2-D mixtures

    def __len__(self) -> int:
        """The number of samples."""
        return self.x.shape[0]

    def __repr__(self) -> str:
        """``TensorData('mnist': 60,000 images 1x28x28 uint8, 10 classes, cpu)``."""
        shape = "x".join(str(s) for s in self.x.shape[1:])
        kind = "images" if self.spec.modality == "image" else f"{shape}-D points"
        dtype = str(self.x.dtype).removeprefix("torch.")
        size = f"{kind} {shape}" if self.spec.modality == "image" else kind
        parts = [f"{len(self):,} {size} {dtype}"]
        classes = self.spec.num_classes
        parts.append(f"{classes} classes" if self.y is not None and classes else "no labels")
        if self.modes is not None:
            parts.append(f"{self.modes.shape[0]} modes")
        parts.append(str(self.device))
        return f"TensorData({self.spec.name!r}: {', '.join(parts)})"

    @property
    def device(self) -> torch.device:
        """The device the samples are on."""
        return self.x.device

    def to(self, device: torch.device | str) -> TensorData:
        """Move the tensors to ``device`` (once, before training)."""
        return TensorData(
            self.x.to(device),
            None if self.y is None else self.y.to(device),
            self.spec,
            None if self.modes is None else self.modes.to(device),
        )

    def scale(self, raw: Tensor) -> Tensor:
        """Raw stored values to model inputs in [-1, 1] (a no-op for float points)."""
        if raw.dtype == torch.uint8:
            return raw.float().div_(127.5).sub_(1.0)
        return raw

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor | None]:
        """Samples (as floats) and labels at ``index``."""
        x = self.scale(self.x.index_select(0, index))
        y = None if self.y is None else self.y.index_select(0, index)
        return x, y

    def subset(self, n: int) -> TensorData:
        """The first ``n`` samples (tests, quick runs)."""
        return TensorData(self.x[:n], None if self.y is None else self.y[:n], self.spec, self.modes)


def derived_spec(
    spec: DatasetSpec,
    shape: tuple[int, ...],
    num_classes: int | None = None,
    **fields: object,
) -> DatasetSpec:
    """The spec of data actually built from ``spec``: its real sample shape and classes.

    A registered spec may leave the shape open (an image folder, an array file) or have options
    that change it (a ``resolution``); the networks are sized from the built data's spec, which
    this makes (validated like any spec).

    Args:
        spec: The registered spec the data was built from.
        shape: The shape of one sample, ``(C, H, W)`` or ``(D,)``.
        num_classes: The number of classes of its labels (None: no labels).
        **fields: Other spec fields to replace (``modality``, ``num_modes``, ``name``, ...).

    Returns:
        A new, validated ``DatasetSpec``.
    """
    values = spec.model_dump()
    values.update(shape=tuple(int(s) for s in shape), num_classes=num_classes, **fields)
    return DatasetSpec.model_validate(values)
