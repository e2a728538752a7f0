"""Config models of the built-in diagnostics (pydantic, ``extra="forbid"``; torch-free).

Their field defaults are the detectors' thresholds, the only place those are written: the
diagnostic specs name a model here by import string, ``ganzoo info`` reads the defaults from it
without importing torch, and each detector keeps the validated instance as ``config``. Sources
of the thresholds and the benchmark that measures them: docs/diagnostics.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DiagnosticConfig(BaseModel):
    """Options every built-in diagnostic shares.

    ``cooldown`` (steps): after an alarm, the same diagnostic stays quiet for this long unless the
    severity rises. ``clear_after``: checks in a row without the condition that end an episode, so
    the next occurrence fires again.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    cooldown: int = Field(5000, ge=0, description="Steps of silence after an alarm.")
    clear_after: int = Field(3, ge=1, description="Clean checks that end an episode.")


class ModeCollapseConfig(DiagnosticConfig):
    """Thresholds of the labelled mode-collapse detector."""

    share: float = Field(
        0.1, gt=0, lt=1, description="A mode counts as covered with >= share * n/M samples."
    )
    full_fraction: float = Field(
        0.1, gt=0, lt=1, description="Full collapse: covered <= max(1, full_fraction * M)."
    )
    kl: float = Field(0.5, gt=0, description="Partial collapse: KL(hist || uniform) above this.")
    per_mode: int = Field(25, ge=1, description="Window holds >= per_mode * M labelled samples.")
    min_samples: int = Field(50, ge=1, description="Fewer labelled samples: no verdict.")
    max_window: int = Field(20, ge=1, description="At most this many sample batches in a window.")
    alpha: float = Field(
        0.001,
        gt=0,
        lt=1,
        description="A window under per_mode*M labelled samples: partial collapse when so "
        "many modes missed has probability below this (bound for weak_share generators).",
    )
    weak_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="The null of that test: every mode gets >= this x its uniform share.",
    )
    fresh: int = Field(
        1000,
        ge=0,
        description="Samples drawn from G (fresh latents) at each check besides the grid, so "
        "that a verdict rests on G as it is at the check, not on a window of older grids; "
        "0: the grid only.",
    )


class SampleDiversityConfig(DiagnosticConfig):
    """Thresholds of the label-free collapse detector."""

    full_ratio: float = Field(0.1, gt=0, lt=1, description="Full collapse: diversity ratio below.")
    full_duplicates: float = Field(0.5, gt=0, le=1, description="Full collapse: duplicates above.")
    coverage: float = Field(0.9, gt=0, lt=1, description="Partial collapse: coverage below.")
    coverage_max_dim: int = Field(
        16, ge=1, description="Data of at most this many dimensions use ``coverage``."
    )
    coverage_high_dim: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="Partial collapse on higher-dimensional data (pixels): coverage below this "
        "(healthy but blurry pretrained MNIST models score 0.67-0.98).",
    )
    partial_ratio: float = Field(0.5, gt=0, lt=1, description="Partial collapse: ratio below.")
    k: int = Field(5, ge=1, description="Neighbours of the coverage balls (Naeem 2020: 5).")
    max_samples: int = Field(1000, ge=16, description="Samples used per check (cost cap).")
    min_samples: int = Field(32, ge=8, description="Fewer samples: no verdict.")


class SampleQualityConfig(DiagnosticConfig):
    """Thresholds of the sample-quality detector (share of samples near the data)."""

    ratio: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="Low: the share of samples near the data is below ratio x the real level "
        "(healthy pretrained MNIST models: 0.52-0.85 of it).",
    )
    z: float = Field(
        2.326, gt=0, description="One-sided z of the Wilson upper bound that must lie below."
    )
    k: int = Field(3, ge=1, description="k of the real k-NN balls (Kynkaanniemi 2019: 3).")
    reference: int = Field(1000, ge=50, description="Real images in the k-NN balls.")
    warmup_steps: int = Field(1000, ge=0, description="Checks before this step are not judged.")
    patience: int = Field(2, ge=1, description="Low checks in a row for a warning.")
    min_samples: int = Field(50, ge=8, description="Fewer samples: no verdict.")
    max_samples: int = Field(1000, ge=16, description="Samples used per check (cost cap).")


class VanishingGradientConfig(DiagnosticConfig):
    """Thresholds of the vanishing-gradient detector (see docs/diagnostics.md for sources)."""

    ratio: float = Field(0.01, gt=0, lt=1, description="Collapse: norm < ratio * running median.")
    p_fake: float = Field(
        0.01, gt=0, lt=1, description="Saturating losses: mean D(G(z)) below this."
    )
    window: int = Field(50, ge=3, description="Records in the running median.")
    warmup: int = Field(5, ge=1, description="Records before the median is trusted.")
    patience: int = Field(2, ge=1, description="Records in a row the condition must hold.")


class ExplodingGradientConfig(DiagnosticConfig):
    """Thresholds of the exploding-gradient detector."""

    absolute: float = Field(
        100.0, gt=0, description="Logit losses: norm above which trouble starts (ganhacks)."
    )
    critic_absolute: float = Field(
        100.0,
        gt=0,
        description="Losses whose scores are critic values: the same floor (the relative test "
        "against the run's own recent peak decides).",
    )
    relative: float = Field(
        10.0,
        gt=1,
        description="Warning: norm > relative * the recent peak (highest accepted norm).",
    )
    critical_relative: float = Field(100.0, gt=1, description="Critical: > this * the peak.")
    window: int = Field(50, ge=3, description="Accepted records the recent peak is taken over.")
    warmup: int = Field(
        5, ge=1, description="Finite records in the history before any relative verdict."
    )
    patience: int = Field(2, ge=1, description="Records in a row for a warning.")


class DOverpoweringConfig(DiagnosticConfig):
    """Thresholds of the G/D imbalance detector."""

    accuracy: float = Field(0.9, gt=0.5, le=1, description="D accuracy at threshold 0.")
    r_t: float = Field(0.8, gt=0, le=1, description="ADA's E[sign D(x_real)] (ADA targets 0.6).")
    p_fake: float = Field(0.1, gt=0, lt=1, description="Mean D(G(z)) below this (logit losses).")
    critical_accuracy: float = Field(0.97, gt=0.5, le=1, description="Critical at once above.")
    patience: int = Field(5, ge=1, description="Records in a row the condition must hold.")
    warmup_steps: int = Field(200, ge=0, description="Steps ignored at the start of training.")
    hold: float = Field(
        1.0,
        ge=0,
        description="D's lead must hold: its score gap E[D(x)] - E[D(G(z))] at the newest "
        "record at least this times the gap ``patience`` - 1 records earlier (a shrinking lead "
        "is G catching up); 0: off.",
    )


class OscillationConfig(DiagnosticConfig):
    """Thresholds of the oscillation detector."""

    window: int = Field(48, ge=12, description="Records analysed at most (the last ``window``).")
    min_records: int = Field(16, ge=8, description="Records needed before the first analysis.")
    explained: float = Field(
        0.8, gt=0, lt=1, description="Share of detrended variance the best sinusoid must explain."
    )
    cycles: float = Field(2.0, ge=1, description="Whole cycles that must fit in the records.")
    min_period: float = Field(4.0, ge=2, description="Shortest period considered (records).")
    damping: float = Field(0.5, gt=0, le=1, description="Min ratio of late/early amplitude.")
    min_amplitude: float = Field(
        0.05, ge=0, description="Min std of the detrended signal (raw units)."
    )
    every: int = Field(1, ge=1, description="Analyse every this many records.")
    patience: int = Field(2, ge=1, description="Analyses in a row that must find a cycle.")


__all__ = [
    "DOverpoweringConfig",
    "DiagnosticConfig",
    "ExplodingGradientConfig",
    "ModeCollapseConfig",
    "OscillationConfig",
    "SampleDiversityConfig",
    "SampleQualityConfig",
    "VanishingGradientConfig",
]
