"""What a pretrained model's card records about how its weights came to be.

A card (a [`ModelSpec`][ganzoo.specs.ModelSpec]) holds these besides its figures: which of the
run's checkpoints ships and why (`CheckpointSelection`, written by ``ganzoo.zoo.selection``), and
the recipe's figures over several training seeds with the band a reproduction must meet
(`SeedSpread`, written by ``ganzoo.zoo.spread``). Both are optional on a card: older cards have
neither. Both are also importable from ``ganzoo.specs``.

Like the specs they belong to, they are frozen pydantic models that never import torch.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ganzoo.errors import ConfigError
from ganzoo.metric_keys import choice_rule, higher_is_better, limit_text, meets_limits


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckpointSelection(_Record):
    """How the shipped checkpoint was chosen among a run's checkpoints (``ganzoo.zoo.selection``).

    Every checkpoint the run wrote was scored by one metric on samples drawn with ``seed``
    against real data that is not the split the card's figures are computed on.
    """

    metric: str = Field(description="The metric key the choice maximised or minimised.")
    higher_is_better: bool = Field(description="Whether a higher value of it is better.")
    steps: tuple[int, ...] = Field(min_length=1, description="The checkpoints' steps, in order.")
    values: tuple[float, ...] = Field(min_length=1, description="Each checkpoint's value.")
    chosen_step: int = Field(ge=0, description="The step whose weights ship.")
    n: int = Field(ge=1, description="Generated samples each checkpoint was scored on.")
    seed: int = Field(ge=0, description="Their sampling seed.")
    reference: str = Field(description="Which real data the choice compared with.")
    reference_size: int = Field(10_000, ge=1, description="Real samples set aside for it.")
    limits: dict[str, float] = Field(
        default_factory=dict,
        description="Bounds a checkpoint had to meet to be chosen, per metric key (``kl``: at "
        "most, ``modes``: at least); the best checkpoint is chosen among those that meet them "
        "all, and among all of them when none does.",
    )
    limit_values: dict[str, tuple[float, ...]] = Field(
        default_factory=dict, description="Per limited key, each checkpoint's value, in order."
    )

    @model_validator(mode="after")
    def _consistent(self) -> CheckpointSelection:
        if len(self.steps) != len(self.values):
            raise ValueError(f"{len(self.steps)} steps but {len(self.values)} values")
        if self.chosen_step not in self.steps:
            raise ValueError(f"chosen_step {self.chosen_step} is not among steps")
        if set(self.limit_values) != set(self.limits):
            raise ValueError(
                f"limit_values has keys {sorted(self.limit_values)}, limits {sorted(self.limits)}"
            )
        for key, vals in self.limit_values.items():
            if len(vals) != len(self.steps):
                raise ValueError(f"limit_values.{key} has {len(vals)} values for {len(self.steps)}")
        for key in self.limits:
            try:
                higher_is_better(key)
            except ConfigError as err:
                raise ValueError(f"limits: {err}") from None
        return self

    def rule(self) -> str:
        """How the step was chosen, in words (`ganzoo.metric_keys.choice_rule`).

        When no checkpoint met the limits, it says so: the best of all was chosen.
        """
        if self.limits and not self.chosen_meets_limits():
            rule = choice_rule(self.metric, higher=self.higher_is_better)
            return f"{rule}, as none met {limit_text(self.limits)},"
        return choice_rule(self.metric, self.limits, self.higher_is_better)

    def chosen_meets_limits(self) -> bool:
        """Whether the chosen checkpoint meets every limit (True when there are none)."""
        i = self.steps.index(self.chosen_step)
        return meets_limits(self.limits, {k: v[i] for k, v in self.limit_values.items()})


class SeedSpread(_Record):
    """A recipe's figures over several training seeds, and the band a reproduction must meet.

    ``ganzoo reproduce NAME --check`` compares the mean of its seeds with ``band``.
    """

    seeds: tuple[int, ...] = Field(min_length=1, description="The training seeds, in order.")
    shipped_seed: int = Field(description="The seed whose weights ship (one of ``seeds``).")
    chosen_steps: tuple[int, ...] = Field(
        (), description="Each seed's chosen checkpoint step (empty: the last one)."
    )
    values: dict[str, tuple[float, ...]] = Field(
        default_factory=dict, description="Per metric key, one value per seed."
    )
    mean: dict[str, float] = Field(default_factory=dict, description="Per metric, the mean.")
    std: dict[str, float] = Field(
        default_factory=dict, description="Per metric, the sample standard deviation (ddof 1)."
    )
    band: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Per metric, the tolerance band [low, high]."
    )
    band_rule: str = Field("", description="How the band was derived from mean and std.")

    @model_validator(mode="after")
    def _consistent(self) -> SeedSpread:
        if self.shipped_seed not in self.seeds:
            raise ValueError(f"shipped_seed {self.shipped_seed} is not among seeds")
        if self.chosen_steps and len(self.chosen_steps) != len(self.seeds):
            raise ValueError(f"{len(self.seeds)} seeds but {len(self.chosen_steps)} chosen_steps")
        for key, vals in self.values.items():
            if len(vals) != len(self.seeds):
                raise ValueError(f"values.{key} has {len(vals)} values for {len(self.seeds)} seeds")
        for key, (low, high) in self.band.items():
            if not low <= high:
                raise ValueError(f"band.{key} is empty: [{low}, {high}]")
        return self
