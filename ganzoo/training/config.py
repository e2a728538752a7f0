"""Training configuration: a pydantic model loadable from YAML/JSON and overridable from the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ganzoo.errors import ConfigError, format_validation_error
from ganzoo.specs import OptimizerSettings
from ganzoo.text import clean, expanded_size, preview

MAX_CONFIG_BYTES = 1 << 20
"""The largest config file read (1 MiB)."""
MAX_CONFIG_NODES = 100_000
"""The most values a config file may hold with its YAML aliases written out."""


class TrainConfig(BaseModel):
    """Everything one training run needs. ``steps`` counts generator updates."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    architecture: str
    architecture_options: dict[str, Any] = Field(default_factory=dict)
    data: str | None = Field(None, description="Data set name; default: the architecture's.")
    data_options: dict[str, Any] = Field(default_factory=dict)
    loss: str | None = Field(None, description="Loss name; default: the architecture's.")
    loss_options: dict[str, Any] = Field(default_factory=dict)
    optimizer: OptimizerSettings = Field(
        OptimizerSettings(),
        description="Overrides of the architecture's optimizer settings; None fields: its own.",
    )
    batch_size: int = Field(64, ge=1)
    steps: int | None = Field(None, ge=1)
    epochs: float | None = Field(None, gt=0)
    seed: int = Field(0, ge=0, lt=2**64, description="Seeds every random draw of the run.")
    out: str | None = Field(None, description="Run directory; default runs/<arch>-<data>-<time>.")
    device: str = Field("auto", description="auto, cpu, cuda, cuda:1, ...")
    ema: float | None = Field(None, gt=0, lt=1, description="EMA decay of G's weights, e.g. 0.999.")
    ema_batchnorm: Literal["recompute", "average", "copy"] = Field(
        "recompute",
        description="The EMA generator's BatchNorm statistics: re-estimated from its own "
        "activations before use, an EMA of G's, or G's copied.",
    )
    ema_warmup: bool = Field(
        False, description="EMA decay min(ema, (1+t)/(10+t)) at G update t (forgets the init)."
    )
    ema_start: int = Field(
        0,
        ge=0,
        description="The G update the EMA starts averaging at; before it the EMA is a copy of G "
        "(BigGAN's ema_start).",
    )
    top_k: float | None = Field(
        None,
        gt=0,
        le=1,
        description="G's loss keeps this share of each batch's fakes, those D scores highest "
        "(Sinha et al. 2020's top-k training); None: every fake.",
    )
    top_k_anneal: int = Field(
        0,
        ge=0,
        description="G updates over which top_k's share falls linearly from 1 to top_k "
        "(0: top_k from the start).",
    )
    augment: Literal["none", "diffaugment", "ada"] = Field(
        "none", description="Augment what D sees (images only): DiffAugment or ADA."
    )
    augment_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options of the augmentation (DiffAugment: policy; ADA: target, interval, "
        "kimg, p, ...).",
    )
    lr_schedule: Literal["constant", "linear", "cosine"] = Field(
        "constant", description="Learning-rate schedule of G and D, stepped per G update."
    )
    lr_warmup: int = Field(0, ge=0, description="G updates of linear learning-rate warm-up.")
    lr_decay_start: int = Field(
        0,
        ge=0,
        description="The G update a linear or cosine decay begins at; the rate is constant "
        "before it (0: decay from the start).",
    )
    accumulate: int = Field(
        1, ge=1, le=1024, description="Micro-batches of batch_size per optimizer step."
    )
    log_every: int = Field(
        50, ge=1, description="Steps between metric records (one host sync each)."
    )
    sample_every: int = Field(500, ge=1)
    checkpoint_every: int = Field(1000, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    num_samples: int = Field(64, ge=1, description="Samples in each grid.")
    diagnostics: list[str] | None = Field(
        None, description="Diagnostics to attach; None: defaults."
    )
    diagnostics_policy: Literal["warn", "stop"] = "warn"
    channels_last: bool = Field(
        True, description="Image models: channels_last memory format (measured 1.14-1.34x on CPU)."
    )
    reuse_fakes: bool = Field(
        True,
        description="The G step reuses the last D step's latents and fakes (one G forward per "
        "iteration, as the PyTorch DCGAN tutorial); False draws fresh ones for the G step.",
    )
    compile: bool = False
    amp: Literal["none", "bf16", "auto"] = Field(
        "none",
        description="bf16 autocast of the forwards and losses; auto: bf16 where the device runs "
        "it natively (a CPU with AVX-512 BF16 or AMX, a CUDA GPU with bf16), else none. The run "
        "records what auto chose.",
    )
    sync_batchnorm: bool = Field(
        False, description="Multi-process runs: SyncBatchNorm (CUDA only) instead of per-rank BN."
    )
    init: str | None = Field(
        None,
        max_length=1000,
        description="Start G, D and the EMA from a trained model's weights instead of a fresh "
        "initialisation: a registered model, hf-hub:owner/repo, local-dir:PATH or a run "
        "directory (fresh optimizers and schedules; a resumed run ignores it).",
    )
    divergence_limit: float | None = Field(
        1e6,
        gt=0,
        description="Stop as diverged when a loss or a weight of G or D exceeds this in absolute "
        "value (a gradient norm that is not finite always stops); None: only non-finite losses.",
    )

    @model_validator(mode="after")
    def _length(self) -> TrainConfig:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give steps or epochs, not both")
        return self

    @model_validator(mode="after")
    def _decay_start(self) -> TrainConfig:
        if self.lr_decay_start and self.lr_schedule == "constant":
            raise ValueError(
                f"lr_decay_start {self.lr_decay_start} starts a decay, and lr_schedule is "
                "constant: set lr_schedule to linear or cosine, or drop lr_decay_start"
            )
        if self.steps is not None and self.lr_decay_start >= self.steps:
            raise ValueError(
                f"lr_decay_start {self.lr_decay_start} is not before the last step "
                f"({self.steps}): the rate would never decay; start it below {self.steps}"
            )
        return self

    @model_validator(mode="after")
    def _ema_start(self) -> TrainConfig:
        if self.ema_start and not self.ema:
            raise ValueError(
                f"ema_start {self.ema_start} starts an EMA, and ema is not set: set ema "
                "(e.g. 0.999) or drop ema_start"
            )
        return self

    @model_validator(mode="after")
    def _top_k_anneal(self) -> TrainConfig:
        if self.top_k_anneal and self.top_k is None:
            raise ValueError(
                f"top_k_anneal {self.top_k_anneal} anneals top-k training, and top_k is not "
                "set: set top_k (e.g. 0.5) or drop top_k_anneal"
            )
        return self

    @model_validator(mode="after")
    def _optimizer_range(self) -> TrainConfig:
        # the optimizer settings are a spec model shared with architectures; a run's own values
        # must also be finite numbers in the range the optimizers take
        opt = self.optimizer
        for name in ("lr_g", "lr_d"):
            value = getattr(opt, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"optimizer.{name} must be a finite number, not {value}")
        if opt.betas is not None and not all(math.isfinite(b) and 0 <= b < 1 for b in opt.betas):
            raise ValueError(
                f"optimizer.betas must be two numbers in [0, 1), not {list(opt.betas)}"
            )
        return self


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON config file into a dict (a clear error for a missing or bad file)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    raw = path.read_bytes()
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path} is over {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {err.start} is "
            f"{raw[err.start : err.start + 1]!r}); save it as UTF-8"
        ) from None
    try:
        if path.suffix in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as err:  # YAML's or JSON's parse errors, whatever their class
        raise ConfigError(f"cannot parse {path}: {clean(err, 300)}") from None
    if expanded_size(data, MAX_CONFIG_NODES) > MAX_CONFIG_NODES:
        raise ConfigError(
            f"{path} expands to over {MAX_CONFIG_NODES} values (YAML aliases?): {preview(data, 80)}"
        )
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of config fields, not {type(data).__name__}")
    return data


def make_train_config(base: dict[str, Any], **overrides: Any) -> TrainConfig:
    """Validate ``base`` updated with the non-None ``overrides``; errors name each bad field."""
    values = dict(base)
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "optimizer" and isinstance(value, dict):
            value = {**dict(values.get("optimizer") or {}), **value}
        values[key] = value
    # an override of one replaces the other from the base (a file, a resumed run); both given
    # as overrides is the user's contradiction, which TrainConfig rejects
    given = {k for k in ("steps", "epochs") if overrides.get(k) is not None}
    if given == {"epochs"}:
        values.pop("steps", None)
    if given == {"steps"}:
        values.pop("epochs", None)
    try:
        return TrainConfig(**values)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "training config")) from None
