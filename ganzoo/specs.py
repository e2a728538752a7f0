"""What a registry entry is: declarative, frozen pydantic models, one per kind.

Specs are cheap to build and never import torch: builders are named by import strings
(``"ganzoo.models.dcgan:build"``) and imported only when an object is built. A plugin returns
these from its hooks (see [`ganzoo.hookspecs`][ganzoo.hookspecs]).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# A model card's records of how its weights were chosen live in their own module; they stay
# importable from here (ganzoo.specs.CheckpointSelection, ganzoo.specs.SeedSpread).
from ganzoo.card_records import CheckpointSelection, SeedSpread

KINDS: tuple[str, ...] = (
    "architecture",
    "loss",
    "diagnostic",
    "dataset",
    "model",
    "metric",
    "extractor",
    "logger",
)
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
    "metrics": "metric",
    "extractors": "extractor",
    "features": "extractor",
    "loggers": "logger",
    "log": "logger",
}


def normalize_kind(kind: str) -> str:
    """Accept ``models`` for ``model``, ``losses`` for ``loss`` and so on."""
    k = kind.strip().lower()
    return _PLURALS.get(k, k)


Kind = Literal[
    "architecture", "loss", "diagnostic", "dataset", "model", "metric", "extractor", "logger"
]

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
    """Free-form labels shown by ``ganzoo info``."""


class _Buildable(_Entry):
    """An entry that is built from options: its config model's field defaults are its defaults.

    A spec does not repeat them (there is no ``defaults`` field): ``ganzoo info`` reads them from
    the config model, and building validates the user's overrides against it. An entry that
    wants other defaults than a shared config model names a subclass of it.
    """

    builder: str = Field(description="Import string 'module:attribute' of the builder callable.")
    config: str | None = Field(
        None,
        description="Import string of the pydantic model that validates the builder's options; "
        "its field defaults are the entry's defaults. None: the entry takes no options.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and "defaults" in data:
            raise ValueError(
                "a spec holds no 'defaults': they live in its config model, as the fields' "
                "default values (name a subclass of the model to change them)"
            )
        return data

    @field_validator("builder", "config")
    @classmethod
    def _import_string(cls, v: str | None) -> str | None:
        if v is not None and not _IMPORT.match(v):
            raise ValueError(f"{v!r} is not an import string of the form 'package.module:attr'")
        return v


class OptimizerSettings(_Frozen):
    """Optimizers of G and D, and how many D steps each G step takes.

    The one model for optimizer settings: an architecture's spec holds its paper's choice, a
    training config holds the run's overrides. A ``None`` field means "take it from below": a
    run's unset field is the architecture's, an architecture's unset field is
    ``DEFAULT_OPTIMIZER``'s (DCGAN's Adam). ``resolve`` does that layering.
    """

    name: Literal["adam", "rmsprop", "sgd"] | None = None
    """The optimizer of both networks."""
    lr_g: float | None = Field(None, gt=0, description="G's learning rate.")
    lr_d: float | None = Field(None, gt=0, description="D's learning rate.")
    betas: tuple[float, float] | None = Field(
        None, description="Adam's betas; SGD uses betas[0] as its momentum; RMSprop ignores them."
    )
    n_critic: int | None = Field(None, ge=1, description="D steps per G step.")

    @property
    def complete(self) -> bool:
        """True when no field is None (the settings can build optimizers)."""
        return all(getattr(self, k) is not None for k in type(self).model_fields)

    def resolve(self, base: OptimizerSettings) -> OptimizerSettings:
        """These settings with every ``None`` field taken from ``base``.

        Args:
            base: The settings underneath, e.g. the architecture's (complete) settings.

        Returns:
            A new settings object; complete when ``base`` is.
        """
        mine = {k: v for k, v in self.model_dump().items() if v is not None}
        return base.model_copy(update=mine)


DEFAULT_OPTIMIZER = OptimizerSettings(
    name="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), n_critic=1
)
"""What an architecture trains with unless its spec says otherwise: DCGAN's Adam, one D step."""


class ArchitectureSpec(_Buildable):
    """A generator/discriminator pair.

    The builder has the signature ``build(config, data: DatasetSpec) -> (Generator,
    Discriminator)`` (see [`register_architectures`][ganzoo.hookspecs.register_architectures]).
    """

    kind: Literal["architecture"] = "architecture"
    """The entry's kind (fixed)."""
    modalities: tuple[Literal["image", "points"], ...] = ("image",)
    """The data it can be built for; building it for a data set of another modality fails."""
    conditional: bool = Field(False, description="Needs class labels (G and D take y).")
    default_loss: str = "non-saturating"
    """The loss a run trains it with unless ``--loss`` names another."""
    compatible_losses: tuple[str, ...] = Field(
        (),
        description="If set, the only losses that make sense with this architecture "
        "(WGAN's weight clipping needs a Wasserstein loss); training with another is an error.",
    )
    optimizer: OptimizerSettings = Field(
        DEFAULT_OPTIMIZER,
        description="The paper's optimizer settings; unset fields are DEFAULT_OPTIMIZER's, so "
        "the spec always holds complete settings.",
    )
    default_data: str = "mnist"
    """The data set it is built and trained for unless ``data=`` / ``--data`` names another."""

    @field_validator("optimizer")
    @classmethod
    def _complete_optimizer(cls, v: OptimizerSettings) -> OptimizerSettings:
        return v.resolve(DEFAULT_OPTIMIZER)


ScoreKind = Literal["logits", "critic"]
"""What a discriminator's raw scores are under a loss (``LossSpec.scores``)."""


class LossSpec(_Buildable):
    """A GAN objective; the builder returns a ``ganzoo.interfaces.GANLoss``.

    Besides its builder, a loss declares what it makes of D, so that the progress display and
    the detectors treat it right without knowing its name: ``scores`` (are D's outputs logits or
    critic values?) and ``saturating`` (does G's objective stop giving gradient when D rejects
    the fakes?). The trainer copies both into every ``StepRecord``.
    """

    kind: Literal["loss"] = "loss"
    """The entry's kind (fixed)."""
    family: Name = Field(
        "classic",
        description="A grouping label for listings. Built-in: classic, wasserstein, "
        "least-squares, hinge, relativistic, penalty, feature; a plugin may name its own. "
        "Nothing decides by it: consumers read ``scores`` and ``saturating``.",
    )
    scores: ScoreKind = Field(
        description="What D's scores are. 'logits': log-odds that the input is real, so "
        "sigmoid(score) is D's probability and 0.5 its boundary (losses built on binary cross-"
        "entropy). 'critic': real values that are not log-odds, whose sigmoid means nothing "
        "(a Wasserstein critic, hinge margins, least-squares targets, relativistic scores)."
    )
    saturating: bool = Field(
        False,
        description="True when G's objective saturates: its gradient vanishes as D confidently "
        "rejects the fakes (the minimax form log(1 - D(G(z))), for logits).",
    )


class DiagnosticSpec(_Buildable):
    """A training-failure detector; the builder returns a [`Diagnostic`][ganzoo.interfaces.Diagnostic]."""

    kind: Literal["diagnostic"] = "diagnostic"
    """The entry's kind (fixed)."""
    detects: str = Field(
        min_length=1,
        description="The failure mode it raises alarms for: the ``kind`` of its alarms "
        "(e.g. 'mode-collapse', 'vanishing-gradient').",
    )
    enabled_by_default: bool = Field(
        description="Whether ``ganzoo train`` attaches it without being asked. Required: a "
        "plugin says whether installing it changes every run (``ganzoo list diagnostics`` "
        "shows on/off; ``--diagnostics`` and ``GANZOO_DIAGNOSTICS`` change it per run)."
    )
    signals: tuple[str, ...] = ()
    """What it watches: ``StepRecord`` fields, or ``"samples"`` for a detector that looks at
    generated samples (``ganzoo diagnose`` runs those on a finished model)."""


class DatasetSpec(_Buildable):
    """A data set; the builder returns a ``ganzoo.data.tensor_data.TensorData``.

    The built data's own ``spec`` is this one with the real ``shape`` and ``num_classes`` filled
    in (`ganzoo.data.tensor_data.derived_spec`) where they depend on options or files: networks
    are sized from that one.
    """

    kind: Literal["dataset"] = "dataset"
    """The entry's kind (fixed)."""
    modality: Literal["image", "points"] = "image"
    """Images ``(C, H, W)`` or points ``(D,)``; architectures and metrics declare which they fit."""
    shape: tuple[int, ...] | None = Field(
        description="Shape of one sample, e.g. (1, 28, 28) or (2,); None when it comes from the "
        "files (an image folder, an array file): the built data carries a spec with the real one."
    )
    num_classes: int | None = Field(None, ge=2)
    """Number of classes of its labels; None when it has none (conditional models need them)."""
    num_modes: int | None = Field(None, ge=1, description="Known modes, for coverage metrics.")


class WeightFile(_Frozen):
    """One weight file of a pretrained model, pinned by content."""

    role: Literal["generator", "discriminator", "ema_generator"]
    """Which network's weights the file holds."""
    repo_id: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    """The Hugging Face Hub repo it is downloaded from (``owner/name``)."""
    revision: str = "main"
    """The branch, tag or commit of that repo."""
    filename: str
    """The file's path inside the repo."""
    sha256: str = Field(pattern=_SHA256)
    """The file's sha256; a download or bundled copy that does not match is refused."""
    size: int = Field(gt=0)
    """The file's size in bytes, checked with the hash."""
    bundled: str | None = Field(
        None, description="Path of a copy inside the providing package (a pre-seeded cache)."
    )


class ModelSpec(_Entry):
    """A pretrained model: an architecture, its config, the data it was trained on and the weights."""

    kind: Literal["model"] = "model"
    """The entry's kind (fixed)."""
    architecture: Name
    """The architecture entry the weights are for."""
    config: dict[str, Any] = Field(default_factory=dict)
    """The architecture's options the model was trained with (its config model validates them)."""
    dataset: Name
    """The data set it was trained on (which also sizes the networks)."""
    dataset_spec: DatasetSpec | None = None
    """The exact spec the networks are sized for, when the data set was built with options that
    change it (MNIST at ``resolution`` 32: shape ``(1, 32, 32)``); None: ``dataset``'s spec."""
    weights: tuple[WeightFile, ...] = Field(min_length=1)
    """The pinned weight files, at least the generator's."""
    metrics: dict[str, float] = Field(default_factory=dict)
    """Evaluation results of these weights, by metric key (``ganzoo list models`` shows them)."""
    key_metric: str | None = None
    """The metric key listings show first (else ``fid`` where there is one)."""
    reproduce: str = Field(description="The command that reproduces the weights.")
    training: dict[str, Any] = Field(
        default_factory=dict, description="Steps, wall time, hardware of the recorded run."
    )
    recipe: str | None = Field(
        None,
        description="The committed training recipe (a `ganzoo train` config file) that "
        "`ganzoo reproduce` runs: a path relative to the ganzoo package, like `bundled`, or "
        "absolute. None: `pretrained/recipes/NAME.yaml` when there is one.",
    )
    selection: CheckpointSelection | None = Field(
        None, description="How the shipped checkpoint was chosen (None: the run's last one)."
    )
    spread: SeedSpread | None = Field(
        None, description="The recipe's figures over several seeds, with the tolerance band."
    )
    license: str | None = Field(None, max_length=64, description="The weights' licence (SPDX id).")


class _AppliesTo(_Buildable):
    """Which data an evaluation entry fits: a modality, optionally narrowed to named data sets."""

    modalities: tuple[Literal["image", "points"], ...] = Field(
        ("image",), min_length=1, description="Modalities of the data it fits."
    )
    datasets: tuple[Name, ...] = Field(
        (),
        description="If set, the only data sets it fits (else every data set of its modalities).",
    )


class ExtractorSpec(_AppliesTo):
    """A feature extractor that metrics compute on (a classifier, an embedding network).

    The builder is called as ``builder(config, spec)`` and returns a
    ``ganzoo.interfaces.FeatureExtractor``; it loads weights pinned by ``spec.sha256``.
    """

    kind: Literal["extractor"] = "extractor"
    """The entry's kind (fixed)."""
    sha256: str | None = Field(
        None, pattern=_SHA256, description="sha256 of its weights, checked when they load."
    )
    outputs: tuple[str, ...] = Field(
        ("features",),
        min_length=1,
        description="What it computes per sample: 'features' (N, D) always; a classifier adds "
        "'probs' (N, C) and/or 'labels' (N,).",
    )
    protocol_name: str | None = Field(
        None, description="How a result's protocol names it (default: the entry's name)."
    )


class MetricSpec(_AppliesTo):
    """A sample-set metric: generated samples against a real reference set.

    The builder is called as ``builder(config, spec)`` and returns a ``ganzoo.interfaces.Metric``;
    the metric reads its pinned protocol parameters from ``spec.params``.
    """

    kind: Literal["metric"] = "metric"
    """The entry's kind (fixed)."""
    outputs: tuple[str, ...] = Field(min_length=1, description="The keys of the values it returns.")
    extractor: Name | None = Field(
        None, description="The extractor entry whose features it uses (None: the raw values)."
    )
    raw_fallback: bool = Field(
        False,
        description="Where the extractor does not fit the data, use the raw values instead "
        "(otherwise the metric does not fit that data).",
    )
    needs: tuple[Literal["classes", "modes"], ...] = Field(
        (), description="What the data set must declare: 'classes' (num_classes), 'modes'."
    )
    params: dict[str, float | int | str] = Field(
        default_factory=dict,
        description="Protocol parameters it pins (k, bins, thresholds); every result records them.",
    )
    min_samples: int = Field(1, ge=1, description="Samples it needs in each set.")
    min_samples_why: str = Field("", description="Why it needs that many, for the error message.")
    default_on: tuple[str, ...] = Field(
        (),
        description="Data set names or modalities ('image', 'points') whose default metric set "
        "includes it, where it fits.",
    )
    fallback: bool = Field(
        False, description="Default for any data set whose default set would otherwise be empty."
    )
    order: int = Field(100, description="Place in a default set's output: lower first.")


class LoggerSpec(_Buildable):
    """An experiment logger (TensorBoard, W&B, MLflow, ...): ``ganzoo train --log NAME``.

    The builder is called as ``builder(config)`` and returns a
    [`Callback`][ganzoo.training.callbacks.Callback] that a run reports to (usually an
    [`ExperimentLogger`][ganzoo.training.loggers.ExperimentLogger]). A logger that needs a
    library outside ganzoo's dependencies names it in ``requires``: listings show whether it is
    installed, and building the logger without it is one line of error naming ``install``.
    """

    kind: Literal["logger"] = "logger"
    """The entry's kind (fixed)."""
    requires: tuple[str, ...] = Field(
        (), description="Import names of the libraries it needs (checked without importing them)."
    )
    install: str | None = Field(
        None, description="The command that installs what it needs, e.g. pip install 'x[wandb]'."
    )


Spec = (
    ArchitectureSpec
    | LossSpec
    | DiagnosticSpec
    | DatasetSpec
    | ModelSpec
    | MetricSpec
    | ExtractorSpec
    | LoggerSpec
)
"""Any registry entry."""

SPEC_TYPES: dict[str, type[BaseModel]] = {
    "architecture": ArchitectureSpec,
    "loss": LossSpec,
    "diagnostic": DiagnosticSpec,
    "dataset": DatasetSpec,
    "model": ModelSpec,
    "metric": MetricSpec,
    "extractor": ExtractorSpec,
    "logger": LoggerSpec,
}
