"""What a registry entry is: declarative, frozen pydantic models, one per kind.

Specs are cheap to build and never import torch: builders are named by import strings
(``"ganzoo.models.dcgan:build"``) and imported only when an object is built. A plugin returns
these from its hooks (see :mod:`ganzoo.hookspecs`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

KINDS: tuple[str, ...] = ("architecture", "loss", "diagnostic", "dataset", "model")
"""Every kind of registry entry, in the order listings show them."""

_PLURALS = {
    "architectures": "architecture",
    "archs": "architecture",
    "arch": "architecture",
    "losses": "loss",
    "diagnostics": "diagnostic",
    "datasets": "dataset",
    "data": "dataset",
    "models": "model",
    "pretrained": "model",
}


def normalize_kind(kind: str) -> str:
    """Accept ``models`` for ``model``, ``losses`` for ``loss`` and so on."""
    k = kind.strip().lower()
    return _PLURALS.get(k, k)


Kind = Literal["architecture", "loss", "diagnostic", "dataset", "model"]

_NAME = r"^[a-z0-9][a-z0-9._-]*$"
_IMPORT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_SHA256 = r"^[0-9a-f]{64}$"

Name = Annotated[str, Field(pattern=_NAME, max_length=64)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Entry(_Frozen):
    """Fields shared by every kind of entry."""

    name: Name = Field(description="Registry name: lower case, digits, '.', '_' and '-'.")
    summary: str = Field(min_length=1, max_length=200, description="One line for listings.")
    description: str = Field("", description="Longer text shown by `ganzoo info`.")
    paper: str | None = Field(None, description="Citation or URL of the method's paper.")
    tags: tuple[str, ...] = ()


class _Buildable(_Entry):
    builder: str = Field(description="Import string 'module:attribute' of the builder callable.")
    config: str | None = Field(
        None, description="Import string of the pydantic model that validates the builder's config."
    )
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="Default config values (the paper's settings)."
    )

    @field_validator("builder", "config")
    @classmethod
    def _import_string(cls, v: str | None) -> str | None:
        if v is not None and not _IMPORT.match(v):
            raise ValueError(f"{v!r} is not an import string of the form 'package.module:attr'")
        return v


class OptimizerSettings(_Frozen):
    """Optimizer settings an architecture trains with by default (its paper's choice)."""

    name: Literal["adam", "rmsprop", "sgd"] = "adam"
    lr_g: float = Field(2e-4, gt=0)
    lr_d: float = Field(2e-4, gt=0)
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = Field(1, ge=1, description="D steps per G step.")


class ArchitectureSpec(_Buildable):
    """A generator/discriminator pair. The builder has the signature
    ``build(config, data: DatasetSpec) -> (Generator, Discriminator)``."""

    kind: Literal["architecture"] = "architecture"
    modalities: tuple[Literal["image", "points"], ...] = ("image",)
    conditional: bool = Field(False, description="Needs class labels (G and D take y).")
    default_loss: str = "non-saturating"
    compatible_losses: tuple[str, ...] = Field(
        (),
        description="If set, the only losses that make sense with this architecture "
        "(WGAN's weight clipping needs a Wasserstein loss); training with another is an error.",
    )
    optimizer: OptimizerSettings = OptimizerSettings()
    default_data: str = "mnist"


class LossSpec(_Buildable):
    """A GAN objective; the builder returns a :class:`ganzoo.interfaces.GANLoss`."""

    kind: Literal["loss"] = "loss"
    family: Literal[
        "classic", "wasserstein", "least-squares", "hinge", "relativistic", "penalty", "feature"
    ] = "classic"


class DiagnosticSpec(_Buildable):
    """A training-failure detector; the builder returns a :class:`ganzoo.interfaces.Diagnostic`."""

    kind: Literal["diagnostic"] = "diagnostic"
    detects: str = Field(description="The failure mode it raises alarms for.")
    enabled_by_default: bool = True
    signals: tuple[str, ...] = ()


class DatasetSpec(_Buildable):
    """A data set; the builder returns a :class:`ganzoo.data.TensorData` (all of it, in memory)."""

    kind: Literal["dataset"] = "dataset"
    modality: Literal["image", "points"] = "image"
    shape: tuple[int, ...] = Field(description="Shape of one sample, e.g. (1, 28, 28) or (2,).")
    num_classes: int | None = Field(None, ge=2)
    num_modes: int | None = Field(None, ge=1, description="Known modes, for coverage metrics.")


class WeightFile(_Frozen):
    """One weight file of a pretrained model, pinned by content."""

    role: Literal["generator", "discriminator", "ema_generator"]
    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    revision: str = "main"
    filename: str
    sha256: str = Field(pattern=_SHA256)
    size: int = Field(gt=0)
    bundled: str | None = Field(
        None, description="Path of a copy inside the providing package (a pre-seeded cache)."
    )


class ModelSpec(_Entry):
    """A pretrained model: an architecture, its config, the data it was trained on and the weights."""

    kind: Literal["model"] = "model"
    architecture: Name
    config: dict[str, Any] = Field(default_factory=dict)
    dataset: Name
    weights: tuple[WeightFile, ...] = Field(min_length=1)
    metrics: dict[str, float] = Field(default_factory=dict)
    key_metric: str | None = None
    reproduce: str = Field(description="The command that reproduces the weights.")
    training: dict[str, Any] = Field(
        default_factory=dict, description="Steps, wall time, hardware of the recorded run."
    )


Spec = ArchitectureSpec | LossSpec | DiagnosticSpec | DatasetSpec | ModelSpec
"""Any registry entry."""

SPEC_TYPES: dict[str, type[BaseModel]] = {
    "architecture": ArchitectureSpec,
    "loss": LossSpec,
    "diagnostic": DiagnosticSpec,
    "dataset": DatasetSpec,
    "model": ModelSpec,
}
