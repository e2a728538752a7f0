"""What ``ganzoo diagnose`` does.

It replays a run's records through the detectors, plots them, and
score a finished model's samples.

The plot is drawn with Pillow (no matplotlib): three panels (losses, D outputs, gradient norms on a
log scale) sharing the step axis, with a vertical marker and label at every alarm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.events import Alarm, RunEnded, StepRecord, event_from_dict

COLOURS = {"critical": (200, 30, 30), "warning": (230, 140, 0), "info": (90, 90, 90)}
SERIES = [
    ("losses", [("loss_d", (31, 119, 180)), ("loss_g", (255, 127, 14))], False),
    (
        "D outputs",
        [("p_real", (44, 160, 44)), ("p_fake", (214, 39, 40)), ("d_accuracy", (148, 103, 189))],
        False,
    ),
    (
        "gradient norms (log)",
        [("grad_norm_d", (31, 119, 180)), ("grad_norm_g", (255, 127, 14))],
        True,
    ),
]
CRITIC_OUTPUTS = (
    "D outputs (critic)",
    [("d_real", (44, 160, 44)), ("d_fake", (214, 39, 40)), ("d_accuracy", (148, 103, 189))],
    False,
)
"""The middle panel when the loss declares critic scores: raw values, whose sigmoid means nothing."""


@dataclass
class RunDiagnosis:
    """A run's records, the alarms it logged, and the alarms the record detectors raise on replay."""

    records: list[StepRecord]
    logged: list[Alarm]
    replayed: list[Alarm]
    status: str | None


def records_from_events(events: list[dict[str, Any]]) -> list[StepRecord]:
    """The ``step`` rows of metrics.jsonl as `StepRecord` objects (unknown keys dropped).

    A row written before losses declared their kind has no ``scores``/``saturating``: it gets
    them from the spec of its ``loss_name`` when that loss is registered.
    """
    from ganzoo.building import loss_spec
    from ganzoo.registry import get_registry

    records = []
    for row in events:
        if row.get("event") != "step":
            continue
        name = row.get("loss_name")
        registry = get_registry()
        if "scores" not in row and name in registry and registry.get(name).kind == "loss":
            loss = loss_spec(name)
            row = {**row, "scores": loss.scores, "saturating": loss.saturating}
        records.append(StepRecord.from_dict(row))
    return records


def record_detectors(names: list[str] | None = None) -> list[Any]:
    """The registered diagnostics that watch records (all of them, default on or not)."""
    from ganzoo.building import build_entry
    from ganzoo.registry import list_specs

    specs = [s for s in list_specs("diagnostic") if "samples" not in s.signals]  # type: ignore[union-attr]
    chosen = [s.name for s in specs if names is None or s.name in names]
    return [build_entry(n) for n in chosen]


def replay(detectors: list[Any], records: list[StepRecord]) -> list[Alarm]:
    """The alarms ``detectors`` raise over ``records``, in step order.

    The detectors should be fresh (no records seen yet): they then raise what they would have
    raised live.
    """
    alarms: list[Alarm] = []
    for rec in records:
        for d in detectors:
            alarms += d.on_step(rec)
    return alarms


def diagnose_run(run_dir: Path, names: list[str] | None = None) -> RunDiagnosis:
    """Read ``metrics.jsonl`` of ``run_dir`` and replay its records through the record detectors."""
    from ganzoo.training.rundir import read_events

    events = read_events(Path(run_dir))
    records = records_from_events(events)
    if not records:
        raise ConfigError(
            f"{run_dir}/metrics.jsonl holds no step records: the run logged nothing to diagnose "
            "(train longer than log_every steps)"
        )
    replayed = replay(record_detectors(names), records)
    rows = [event_from_dict(e) for e in events if e.get("event") in ("alarm", "end")]
    logged = [r for r in rows if isinstance(r, Alarm)]
    status = next((r.status for r in reversed(rows) if isinstance(r, RunEnded)), None)
    return RunDiagnosis(records, logged, replayed, status)


def plot_run(diag: RunDiagnosis, path: Path, width: int = 900, panel_height: int = 170) -> Path:
    """Save the three-panel PNG of ``diag`` (losses, D outputs, grad norms, alarm markers)."""
    from PIL import Image, ImageDraw

    left, right, top, gap = 60, 20, 30, 28
    height = top + len(SERIES) * (panel_height + gap) + 20
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    steps = [r.step for r in diag.records]
    s0, s1 = min(steps), max(max(steps), min(steps) + 1)
    alarms = [(a.step, a.kind, a.severity) for a in diag.logged or diag.replayed]

    def x_of(step: float) -> float:
        return left + (step - s0) / (s1 - s0) * (width - left - right)

    draw.text((left, 8), f"steps {s0}-{s1}; markers: alarms", fill="black")
    critic = diag.records[-1].scores == "critic"
    panels = [CRITIC_OUTPUTS if critic and p[0] == "D outputs" else p for p in SERIES]
    for i, (title, series, log) in enumerate(panels):
        y0 = top + i * (panel_height + gap)
        y1 = y0 + panel_height
        draw.rectangle([left, y0, width - right, y1], outline=(160, 160, 160))
        draw.text((left + 4, y0 + 2), title, fill="black")
        vals = []
        for key, _ in series:
            for r in diag.records:
                v = float(getattr(r, key))
                if math.isfinite(v) and (not log or v > 0):
                    vals.append(math.log10(v) if log else v)
        if not vals:
            continue
        lo, hi = min(vals), max(vals)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5

        def y_of(v: float, lo: float = lo, hi: float = hi, y0: int = y0, y1: int = y1) -> float:
            return y1 - 4 - (v - lo) / (hi - lo) * (y1 - y0 - 18)

        fmt = (lambda v: f"1e{v:.1f}") if log else (lambda v: f"{v:.3g}")
        draw.text((4, y0 + 10), fmt(hi), fill="black")
        draw.text((4, y1 - 12), fmt(lo), fill="black")
        for j, (key, colour) in enumerate(series):
            pts = []
            for r in diag.records:
                v = float(getattr(r, key))
                if math.isfinite(v) and (not log or v > 0):
                    pts.append((x_of(r.step), y_of(math.log10(v) if log else v)))
            if len(pts) > 1:
                draw.line(pts, fill=colour, width=2)
            draw.text((width - right - 110, y0 + 4 + 12 * j), key, fill=colour)
        for step, kind, sev in alarms:
            x = x_of(step)
            draw.line([(x, y0), (x, y1)], fill=COLOURS.get(sev, (90, 90, 90)), width=1)
            if i == 0:
                draw.text((x + 2, y0 + 16), kind, fill=COLOURS.get(sev, (90, 90, 90)))
    draw.text((left, height - 16), f"step {s0}", fill="black")
    draw.text((width - right - 80, height - 16), f"step {s1}", fill="black")
    path = Path(path)
    img.save(path)
    return path


def diagnose_samples(
    samples: Any, data: Any, step: int = 0, names: list[str] | None = None
) -> list[Alarm]:
    """Run the sample-based detectors once on ``samples`` of a finished model against ``data``.

    A finished model is judged on this one check: a detector's ``warmup_steps`` and
    ``patience`` (meant for a model still training) are set to 0 and 1.
    """
    from ganzoo.building import build_entry, config_model
    from ganzoo.registry import list_specs

    if samples.shape[0] < 50:
        raise ConfigError(
            f"{samples.shape[0]} samples are too few to judge collapse: draw at least 50 "
            "(-n 1000 is a good default)"
        )
    specs = [s for s in list_specs("diagnostic") if "samples" in s.signals]  # type: ignore[union-attr]
    alarms: list[Alarm] = []
    for s in specs:
        if names is None or s.name in names:
            model = config_model(s)
            fields = model.model_fields if model is not None else {}
            once = {k: v for k, v in (("warmup_steps", 0), ("patience", 1)) if k in fields}
            alarms += build_entry(s.name, **once).on_samples(step, samples, {"data": data})
    return alarms
