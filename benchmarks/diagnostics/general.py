"""Scenarios the detectors were not tuned on (issue 19), and the healthy-run matrix.

Every run trains through ``Trainer`` with every default detector on (as ``ganzoo train`` does)
and gets a ground truth measured *after* the run from 1,000 samples of its final G: on the 2-D
mixtures the PacGAN high-quality fraction and modes (2,500 samples); on MNIST the classifier's
histogram (modes with >= 10% of their share, KL to uniform) and the share of samples near the
data (improved precision, k=3, in the classifier's features). A run *failed* when its
near-the-data share is under 0.25x the real level, or it covers fewer modes than the data has
(KL > 0.5 on MNIST), or a loss or gradient norm went non-finite.

* Failure scenarios (``FAILURES``): the change is made from step 0, so a run whose ground truth
  says it failed counts one true positive when a detector meant for it fires (delay: its step),
  else one miss; a run whose ground truth says it did not fail is a control (any alarm is false).
* Healthy matrix (``healthy_matrix``): each registered architecture with its default loss and
  data; every alarm is counted per 10,000 steps, and listed with the run's ground truth.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

SMALL = {"width": 8, "latent_dim": 32}


@dataclass(frozen=True)
class Failure:
    """A failure scenario: the config that causes it and the detectors meant to catch it."""

    setup: dict[str, Any]
    meant: tuple[str, ...]
    steps: int = 1500


FAILURES: dict[str, Failure] = {
    "grid25-gan": Failure(
        {"architecture": "gan", "data": "grid-25", "data_options": {"size": 20000}},
        ("sample-quality", "mode-collapse"),
        steps=2500,
    ),
    "d-starved": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "g-lr-x100": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "optimizer": {"lr_g": 2e-2}},
        ("sample-quality", "mode-collapse", "sample-diversity", "exploding-gradient"),
    ),
    "wasserstein-unconstrained": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "loss": "wasserstein"},
        ("exploding-gradient", "sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "dcgan-no-bn": Failure(
        {"architecture": "dcgan", "architecture_options": {**SMALL, "d_norm": "none"}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
}


@dataclass
class GeneralRun:
    """One run: its alarms ``(source, step, severity)``, ground truth and cost."""

    scenario: str
    seed: int
    steps: int
    alarms: list[tuple[str, int, str]] = field(default_factory=list)
    truth: dict[str, float] = field(default_factory=dict)
    failed: bool = False
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ground_truth(model: Any, data: Any, records: list[Any]) -> tuple[dict[str, float], bool]:
    """Measured after the run from 1,000 (mixtures: 2,500) samples of the final G."""
    from ganzoo.diagnostics._samples import labelling
    from ganzoo.diagnostics.mode_collapse import histogram_stats
    from ganzoo.diagnostics.quality import quality_space

    ctx = {"data": data}
    n = 2500 if getattr(data, "modes", None) is not None else 1000
    with torch.no_grad():
        x = model.sample(n, seed=12345).float().cpu()
    truth: dict[str, float] = {}
    bad = any(
        not math.isfinite(v)
        for r in records
        for v in (r.loss_d, r.loss_g, r.grad_norm_d, r.grad_norm_g)
        if not math.isnan(v)
    ) or any(math.isnan(r.loss_d) or math.isnan(r.loss_g) for r in records)
    truth["non_finite"] = float(bad)
    if not torch.isfinite(x).all():
        return {**truth, "non_finite": 1.0}, True
    space = quality_space(ctx)
    if space is not None:
        truth["near"] = float(space.near(x).float().mean())
        truth["real_level"] = space.real_level
        bad |= truth["near"] < 0.25 * space.real_level
    lab = labelling(ctx)
    if lab is not None:
        labels = lab.fn(x)
        good = labels[labels >= 0]
        counts = torch.bincount(good.long().cpu(), minlength=lab.num_modes)[: lab.num_modes]
        if getattr(data, "modes", None) is not None:
            truth["modes"] = float(int((counts > 0).sum()))
            bad |= truth["modes"] < lab.num_modes
        else:
            covered, kl = histogram_stats(counts, 0.1)
            truth["modes"], truth["kl"] = float(covered), kl
            bad |= covered < lab.num_modes or kl > 0.5
    return truth, bool(bad)


def train(
    name: str, setup: dict[str, Any], seed: int, steps: int, sample_every: int = 250
) -> GeneralRun:
    """Train ``setup`` with the default detectors; the alarms and the measured ground truth."""
    from ganzoo.diagnostics.report import records_from_events
    from ganzoo.training.callbacks import MetricsLogger
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.rundir import read_events
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    setup = dict(setup)
    if setup.get("data", "mnist") == "mnist":
        setup["data_options"] = {
            **setup.get("data_options", {}),
            "root": os.environ.get("GANZOO_DATA", "data"),
        }
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            **setup,
            steps=steps,
            seed=seed,
            out=str(Path(tmp) / "run"),
            log_every=50,
            sample_every=sample_every,
            checkpoint_every=10**9,
            diagnostics=[],
        )
        t0 = time.perf_counter()
        trainer = Trainer.create(cfg)
        trainer.callbacks.append(MetricsLogger(trainer.run_dir / "metrics.jsonl"))
        watch = DiagnosticsCallback(build_diagnostics(None))
        trainer.callbacks.append(watch)
        try:
            trainer.run()
        except Exception as exc:  # a run that dies is a failure its records should show
            print(f"{name} seed {seed}: run raised {type(exc).__name__}: {exc}")
        records = records_from_events(read_events(trainer.run_dir))
        g = trainer.ema if trainer.ema is not None else trainer.G
        truth, failed = ground_truth(g, trainer.data, records)
        run = GeneralRun(name, seed, trainer.step, truth=truth, failed=failed)
        run.alarms = [(a.source, a.step, a.severity) for a in watch.alarms]
        run.seconds = time.perf_counter() - t0
    return run


def healthy_setups() -> dict[str, dict[str, Any]]:
    """Every registered architecture with its default loss and data (as ``ganzoo train NAME``)."""
    from ganzoo.registry import list_specs

    out = {}
    for s in list_specs("architecture"):
        setup: dict[str, Any] = {"architecture": s.name}
        data = getattr(s, "default_data", None)
        if data and data != "mnist":
            setup["data"] = data
        out[s.name] = setup
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Two-sided 95% Wilson interval of ``k`` successes in ``n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: recall and delay per failure scenario; false alarms per architecture."""
    lines = [
        "| failure scenario | runs | failed (ground truth) | caught by a meant detector | "
        "recall (95% CI) | median delay | alarms (source: runs) | ground truth (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    fails = [r for r in rows if r.get("kind") == "failure" and "error" not in r]
    for name, sc in FAILURES.items():
        rs = [r for r in fails if r["scenario"] == name]
        if not rs:
            continue
        failed = [r for r in rs if r["failed"]]
        caught, delays = 0, []
        for r in failed:
            steps = [s for src, s, _ in r["alarms"] if src in sc.meant]
            if steps:
                caught += 1
                delays.append(min(steps))
        lo, hi = wilson(caught, len(failed))
        recall = f"{caught / len(failed):.2f} ({lo:.2f}-{hi:.2f})" if failed else "-"
        delay = f"{sorted(delays)[len(delays) // 2]}" if delays else "-"
        lines.append(
            f"| {name} | {len(rs)} | {len(failed)} | {caught} | {recall} | {delay} | "
            f"{_alarm_counts(rs)} | {_truth(rs)} |"
        )
    lines += [
        "",
        "| architecture (default loss, data) | runs | steps | alarms | false alarms / 10k steps | "
        "alarms (source: runs) | ground truth (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    healthy = [r for r in rows if r.get("kind") == "healthy" and "error" not in r]
    for name in dict.fromkeys(r["scenario"] for r in healthy):
        rs = [r for r in healthy if r["scenario"] == name]
        steps = sum(r["steps"] for r in rs)
        n = sum(len(r["alarms"]) for r in rs)
        lines.append(
            f"| {name} | {len(rs)} | {steps:,} | {n} | {1e4 * n / max(steps, 1):.1f} | "
            f"{_alarm_counts(rs)} | {_truth(rs)} |"
        )
    errors = [r for r in rows if "error" in r]
    for r in errors:
        lines.append(f"\n{r['scenario']} seed {r['seed']} did not run: {r['error']}")
    return "\n".join(lines)


def _alarm_counts(rs: list[dict[str, Any]]) -> str:
    c: dict[str, int] = {}
    for r in rs:
        for src in {src for src, _, _ in r["alarms"]}:
            c[src] = c.get(src, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "none"


def _truth(rs: list[dict[str, Any]]) -> str:
    keys = ("near", "modes", "kl")
    out = []
    for k in keys:
        vals = sorted(r["truth"][k] for r in rs if k in r["truth"])
        if vals:
            out.append(f"{k} {vals[len(vals) // 2]:.2f}")
    bad = sum(1 for r in rs if r["truth"].get("non_finite"))
    if bad:
        out.append(f"non-finite in {bad}")
    return ", ".join(out) or "-"


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.diagnostics.general``: run (or read back) and tabulate."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics.general")
    parser.add_argument("--seeds", type=int, default=10, help="Seeds per failure scenario.")
    parser.add_argument("--healthy-seeds", type=int, default=3, help="Seeds per architecture.")
    parser.add_argument("--steps", type=int, default=1250, help="Steps of every run.")
    parser.add_argument("--out", default="general-runs.jsonl", help="Rows, one a run (append).")
    parser.add_argument("--table-only", action="store_true", help="Tabulate --out; run nothing.")
    parser.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    if not args.table_only:
        from ganzoo.building import architecture_spec, config_model

        for seed in range(args.seeds):
            for name, f in FAILURES.items():
                _append(out, "failure", train(name, dict(f.setup), seed, args.steps))
        for seed in range(args.healthy_seeds):
            for name, setup in healthy_setups().items():
                model = config_model(architecture_spec(name))
                if model is not None and "width" in model.model_fields:
                    setup = {**setup, "architecture_options": {"width": 16}}
                _append(out, "healthy", train(name, setup, seed, args.steps))
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    md = table(rows)
    print(md)
    if not args.no_write:
        from benchmarks.diagnostics.__main__ import DOC
        from benchmarks.report import write_section

        write_section("diagnostics-general", md, doc=DOC)


def _append(out: Path, kind: str, run: GeneralRun) -> None:
    import json

    with out.open("a") as fh:
        fh.write(json.dumps({"kind": kind, **run.as_dict()}) + "\n")


if __name__ == "__main__":
    main()
