"""``python -m benchmarks.diagnostics [--quick] [--seeds N]``: measure the built-in detectors."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path

import torch

from benchmarks.diagnostics.scenarios import (
    TRAIN_SCENARIOS,
    RunResult,
    dirac_run,
    overhead,
    samples_run,
    train_run,
)
from benchmarks.diagnostics.score import score

DOC = Path(__file__).resolve().parents[2] / "docs" / "diagnostics.md"


def _fmt(v: float, pct: bool = False) -> str:
    if math.isnan(v):
        return "-"
    return f"{v:.2f}" if not pct else f"{v:.1f}"


def run_all(
    seeds: int,
    quick: bool,
    train: bool = True,
    log=print,
    train_seeds: int | None = None,
) -> tuple[list[RunResult], dict]:
    """Every scenario over ``seeds`` seeds; returns the runs and the overhead measurement."""
    from ganzoo.api import build

    runs: list[RunResult] = []
    ring = build("ring-8", size=20000)
    sample_steps, healthy_steps = (5000, 10000) if not quick else (4000, 5000)
    for seed in range(seeds):
        runs.append(samples_run(ring, "ring", None, seed, healthy_steps))
        for k in (1, 2, 5, 7):
            runs.append(samples_run(ring, "ring", k, seed, sample_steps))
    log(f"ring-8 fake generators: {len(runs)} runs")
    if os.environ.get("GANZOO_DATA"):
        mnist = build("mnist", root=os.environ["GANZOO_DATA"])
        n0 = len(runs)
        for seed in range(seeds):
            runs.append(samples_run(mnist, "mnist", None, seed, healthy_steps, n=256))
            for k in (1, 2, 5, 9):
                runs.append(samples_run(mnist, "mnist", k, seed, sample_steps, n=256))
        log(f"mnist fake generators: {len(runs) - n0} runs")
    dirac_steps = 8000 if quick else 20000
    for seed in range(seeds):
        runs.append(dirac_run(seed, dirac_steps, r1=False))
        runs.append(dirac_run(seed, dirac_steps, r1=True))
    log("dirac-gan done")
    ovh: dict = {}
    if train:
        if train_seeds is None:
            train_seeds = max(1, seeds // 3) if quick else seeds
        for scenario, sc in TRAIN_SCENARIOS.items():
            # the cheap small-DCGAN scenarios run every seed; the ring ones ``train_seeds``
            mnist = sc.setup == "mnist-small"
            if mnist and not os.environ.get("GANZOO_DATA"):
                continue
            n = max(seeds, train_seeds) if mnist else train_seeds
            for seed in range(n):
                t0 = time.perf_counter()
                steps = None if not quick or mnist else 600
                runs.append(train_run(scenario, seed, steps))
                log(f"{scenario} seed {seed}: {time.perf_counter() - t0:.1f} s")
        ovh = overhead(500 if quick else 1500, 2 if quick else 6)
        log(f"overhead: {ovh}")
    return runs, ovh


def table(runs: list[RunResult], ovh: dict) -> str:
    """The markdown table of per-detector scores, plus per-scenario alarm counts."""
    scores = score(runs)
    lines = [
        "| detector | precision | recall | false alarms / 10k healthy steps | median delay | "
        "p90 delay | positives | healthy steps |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for det, s in scores.items():
        lines.append(
            f"| `{det}` | {_fmt(s.precision)} | {_fmt(s.recall)} | {_fmt(s.false_per_10k)} | "
            f"{_fmt(s.delay(0.5), True)} | {_fmt(s.delay(0.9), True)} | {s.tp + s.fn} | "
            f"{s.healthy_steps:,} |"
        )
    if ovh:
        lines += [
            "",
            f"Overhead of the default diagnostics: {ovh['direct']:.1f}% of wall time spent inside "
            f"the diagnostics (timed around each call); end to end {ovh['percent']:+.1f}% "
            f"(median of {ovh['repeats']} back-to-back on/off pairs, {ovh['on_s']:.1f} s on vs "
            f"{ovh['off_s']:.1f} s off, pairs spread over {ovh['spread']:.1f} points); gan on "
            f"ring-8, {ovh['steps']} steps, log every 50, 1,000 samples every 500 steps.",
        ]
    by: dict[str, list[RunResult]] = {}
    for r in runs:
        by.setdefault(r.scenario, []).append(r)
    lines += [
        "",
        "| scenario | runs | expected | alarms raised (source: runs with one) |",
        "|---|---|---|---|",
    ]
    for name, rs in by.items():
        c: Counter[str] = Counter()
        for r in rs:
            for src in {src for src, _ in r.alarms}:
                c[src] += 1
        raised = ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "none"
        lines.append(f"| {name} | {len(rs)} | {', '.join(rs[0].expected) or '(none)'} | {raised} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics")
    parser.add_argument("--quick", action="store_true", help="A ~2-minute subset.")
    parser.add_argument("--seeds", type=int, default=None, help="Seeds per scenario (default 10).")
    parser.add_argument(
        "--train-seeds", type=int, default=None, help="Seeds of the training scenarios."
    )
    parser.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = args.seeds or (3 if args.quick else 10)
    t0 = time.perf_counter()
    runs, ovh = run_all(
        seeds, args.quick, log=lambda m: print(m, file=sys.stderr), train_seeds=args.train_seeds
    )
    wall = time.perf_counter() - t0
    from benchmarks.report import machine, write_section

    cmd = "python -m benchmarks.diagnostics" + (" --quick" if args.quick else "")
    cmd += f" --seeds {seeds}" if args.seeds else ""
    cmd += f" --train-seeds {args.train_seeds}" if args.train_seeds else ""
    md = (
        f"Measured with `GANZOO_DATA=... {cmd}` on {machine()}, torch "
        f"{torch.__version__}, 1 thread, {wall / 60:.1f} min.\n\n" + table(runs, ovh)
    )
    print(md)
    if not args.no_write:
        write_section("diagnostics", md, doc=DOC)


if __name__ == "__main__":
    main()
