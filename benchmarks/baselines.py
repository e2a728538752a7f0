"""Every ratio of docs/benchmarks.md, each side run as its own fresh process (`benchmarks.harness`).

    python -m benchmarks.baselines [--quick] [--pairs 5] [--steps 300] [--only NAMES] [--no-write]

The comparisons (``--only`` takes their names, comma-separated):

* ``train-b64``, ``train-b128``: ``ganzoo train dcgan --data mnist`` as a user runs it (its img/s
  read from the run's ``run.json``) against ``benchmarks/reference/textbook_dcgan.py``, the
  PyTorch DCGAN tutorial's loop over the same modules (torchvision MNIST, DataLoader with 2
  workers, ``.item()`` every step; its img/s from the line it prints). Both time their training
  loop only: not the interpreter's start, the imports, the data set's loading or the model's
  build, which the whole-process wall column shows. Default threads on both sides.
* ``train-b64-same-malloc``: the same, with the textbook's process given the allocator setting
  ``ganzoo train`` applies to itself (`ganzoo.hardware.retain_freed_memory`) through glibc's
  environment variables: how much of the ratio that setting is.
* ``sample``: ``model.sample(n)`` of every pretrained model under inference_mode against its own
  no_grad (``python -m benchmarks.sample_rate --one MODE``).
* ``cli``: ``ganzoo list`` and ``ganzoo list --json`` against ``python -c 'import torch'``
  (wall seconds; the target is ``ganzoo list`` <= 0.25 s).
* ``diagnostics``: ``ganzoo train gan --data ring-8`` with the default diagnostics against
  ``--diagnostics none`` (the training loop's seconds from ``run.json``).
* ``in-process``: the secondary row: the in-process interleaved comparison of
  `benchmarks.train_step` (both loops in this one process), for reference only.

Each comparison reports the median, range and interquartile range of each side and of the
per-pair ratio, the machine load before, during and after, and the exact commands; the section
``baselines`` of docs/benchmarks.md is rewritten unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import Comparison, Side, Spread, compare, json_file, tagged_json
from benchmarks.report import machine, publish
from benchmarks.sample_rate import RESULT_TAG as SAMPLE_TAG

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
GANZOO = str(Path(sys.executable).parent / "ganzoo")
TEXTBOOK = REPO / "benchmarks" / "reference" / "textbook_dcgan.py"
TEXTBOOK_TAG = "textbook-result"
SAME_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(256 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
"""glibc's environment form of `ganzoo.hardware.retain_freed_memory`'s settings."""


@dataclass(frozen=True)
class Plan:
    """One comparison to run: its two sides and how its table row reads them.

    Attributes:
        name: The ``--only`` name.
        title: The row's label.
        a: Side A (ganzoo, or the switch measured).
        b: Side B (the baseline).
        unit: The unit of the sides' figures.
        ratio: What the ratio A / B means, for the row.
        pairs: Pairs to run (None: ``--pairs``).
    """

    name: str
    title: str
    a: Side
    b: Side
    unit: str
    ratio: str
    pairs: int | None = None


def train_plans(steps: int, quick: bool, b128_steps: int | None = None) -> list[Plan]:
    """ganzoo train against the textbook script, dcgan/MNIST at batch 64 and 128 (``steps``
    steps; ``b128_steps`` at batch 128 when given)."""
    width = ["--width", "8"] if quick else []
    gz_width = ["--set", "architecture_options.width=8"] if quick else []
    plans = []
    for batch, name in ((64, "train-b64"), (128, "train-b128")):
        n = b128_steps if batch == 128 and b128_steps else steps
        common = ["-b", str(batch), "--steps", str(n)]
        ganzoo = Side(
            f"ganzoo train b{batch}",
            [GANZOO, "train", "dcgan", "--data", "mnist", *common, "--out", "{tmp}/run", *gz_width],
            json_file("run/run.json", "images_per_second"),
        )
        textbook = Side(
            f"textbook b{batch}",
            [PY, str(TEXTBOOK), *common, *width],
            tagged_json(TEXTBOOK_TAG, "images_per_second"),
        )
        title = f"dcgan/MNIST b{batch}, {n} steps: `ganzoo train` vs textbook script"
        plans.append(Plan(name, title, ganzoo, textbook, "img/s", "ganzoo / textbook"))
        if batch == 64:
            same = Side(
                textbook.name + " (same malloc)", textbook.argv, textbook.metric, SAME_MALLOC
            )
            plans.append(
                Plan(
                    "train-b64-same-malloc",
                    f"dcgan/MNIST b64, {steps} steps: `ganzoo train` vs textbook script given "
                    "ganzoo's allocator setting",
                    ganzoo,
                    same,
                    "img/s",
                    "ganzoo / textbook",
                )
            )
    return plans


def other_plans(quick: bool, diag_steps: int = 1500) -> list[Plan]:
    """Sampling (inference_mode vs no_grad), CLI start-up and the diagnostics' overhead."""
    n, reps = ("64", "2") if quick else ("256", "5")
    sample = [
        Side(
            f"sample {mode}",
            [PY, "-m", "benchmarks.sample_rate", "--one", mode, "--n", n, "--reps", reps],
            tagged_json(SAMPLE_TAG, "images_per_second"),
            {"PYTHONPATH": str(REPO)},  # the benchmarks package, from any folder
        )
        for mode in ("inference_mode", "no_grad")
    ]
    torch_import = Side("python -c 'import torch'", [PY, "-c", "import torch"])
    diag = str(60 if quick else diag_steps)
    ring = [GANZOO, "train", "gan", "--data", "ring-8", "--steps", diag, "--out", "{tmp}/run",
            "--set", "data_options.size=20000", "--set", "sample_every=500"]  # fmt: skip
    wall = json_file("run/run.json", "wall_seconds")
    return [
        Plan(
            "sample",
            "`model.sample(256)` of every pretrained model: inference_mode vs no_grad",
            *sample,
            "img/s",
            "inference_mode / no_grad",
        ),
        Plan(
            "cli",
            "`ganzoo list` vs `python -c 'import torch'`",
            Side("ganzoo list", [GANZOO, "list"]),
            torch_import,
            "s",
            "list / import torch (wall)",
        ),
        Plan(
            "cli-json",
            "`ganzoo list --json` vs `python -c 'import torch'`",
            Side("ganzoo list --json", [GANZOO, "list", "--json"]),
            torch_import,
            "s",
            "list --json / import torch (wall)",
        ),
        Plan(
            "diagnostics",
            f"gan/ring-8, {60 if quick else diag_steps} steps: default diagnostics vs "
            "`--diagnostics none`",
            Side("diagnostics on", ring, wall),
            Side("diagnostics off", [*ring, "--diagnostics", "none"], wall),
            "s (training loop)",
            "on / off (loop seconds; -1 = overhead)",
        ),
    ]


def in_process(steps: int, quick: bool) -> dict[str, Any]:
    """The secondary row: `benchmarks.train_step.compare` (both loops interleaved in this one
    process) for dcgan/MNIST b64 and b128."""
    from benchmarks.train_step import Case
    from benchmarks.train_step import compare as inprocess_compare
    from ganzoo.data.mnist import data_root

    root = data_root(None)
    out = {}
    options = {"width": 8} if quick else {}
    for batch in (64, 128):
        case = Case(f"b{batch}", "dcgan", "mnist", batch, {}, options)
        r = inprocess_compare(case, root, steps, 3 if not quick else 1, 2 if not quick else 1)
        out[f"b{batch}"] = {"ganzoo": r["ganzoo"], "reference": r["reference"]}
    return out


def pretty(command: str) -> str:
    """``command`` as a user types it in the repository: ``python``, ``ganzoo``, relative paths."""
    return (
        command.replace(GANZOO, "ganzoo")
        .replace(PY, "python")
        .replace(f"PYTHONPATH={REPO} ", "")
        .replace(f"{REPO}/", "")
        .replace("'{tmp}/run'", "{tmp}/run")
    )


def _row(plan: Plan, c: Comparison) -> str:
    fmt = "{:.3f}" if plan.unit == "s" else "{:.1f}"
    cmds = "<br>".join(f"{name}: `{pretty(cmd)}`" for name, cmd in c.commands.items())
    return (
        f"| {plan.title} | {c.a_values.text(fmt)} | {c.b_values.text(fmt)} | "
        f"**{c.ratios.median:.2f}x** ({c.ratios.low:.2f}-{c.ratios.high:.2f}, IQR "
        f"{c.ratios.q1:.2f}-{c.ratios.q3:.2f}) {plan.ratio} | {len(c.a_values.values)} | "
        f"{c.load_before.text()} / {c.load_during.text()} / {c.load_after.text()} | {cmds} |"
    )


def _walls(c: Comparison) -> str:
    """Each side's median whole-process wall and CPU seconds (children waited for included)."""
    walls: dict[str, list[tuple[float, float]]] = {}
    for run in c.runs:
        walls.setdefault(run["side"], []).append((run["wall_s"], run["cpu_s"]))
    return ", ".join(
        f"{side} wall {Spread.of([w for w, _ in v]).median:.1f} s, "
        f"CPU {Spread.of([u for _, u in v]).median:.1f} s"
        for side, v in walls.items()
    )


def comparison_lines(rows: list[tuple[Plan, Comparison]]) -> list[str]:
    """The markdown table of ``rows`` (a line a comparison), then each one's whole-process
    wall and CPU time."""
    return [
        "| comparison | A | B (baseline) | ratio A / B | pairs | load before / during / after "
        "| commands |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
        *(_row(plan, c) for plan, c in rows),
        "",
        "Whole-process wall time, median (start-up, imports and data loading included):",
        "",
        *(f"* {plan.name}: {_walls(c)}" for plan, c in rows),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the comparisons, print and (unless ``--no-write``) publish the table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.baselines", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="1 pair, tiny settings (smoke)")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300, help="dcgan training steps per run")
    parser.add_argument("--b128-steps", type=int, default=None, help="default: --steps")
    parser.add_argument("--diag-steps", type=int, default=1500, help="gan/ring-8 steps per run")
    parser.add_argument("--only", default=None, help="comma-separated comparison names")
    parser.add_argument("--no-in-process", action="store_true", help="skip the secondary row")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--json", metavar="FILE", help="write every comparison here")
    args = parser.parse_args(argv)
    pairs = 1 if args.quick else args.pairs
    steps = 3 if args.quick else args.steps
    b128 = 3 if args.quick else (args.b128_steps or steps)
    plans = train_plans(steps, args.quick, b128) + other_plans(args.quick, args.diag_steps)
    wanted = set(args.only.split(",")) if args.only else None
    known = {p.name for p in plans} | {"in-process"}
    if wanted and wanted - known:
        raise SystemExit(f"unknown comparisons {sorted(wanted - known)}; known: {sorted(known)}")
    results: dict[str, Any] = {}
    rows = []
    for plan in plans:
        if wanted and plan.name not in wanted:
            continue
        print(f"== {plan.name}: {plan.title}", flush=True)
        c = compare(plan.a, plan.b, pairs=1 if args.quick else (plan.pairs or pairs))
        print(c.summary(), flush=True)
        results[plan.name] = {**c.to_dict(), "whole_process_wall": _walls(c)}
        rows.append((plan, c))
    secondary = None
    if not args.no_in_process and (wanted is None or "in-process" in wanted):
        secondary = in_process(steps if args.quick else 20, args.quick)
        results["in-process"] = secondary
    cmd = "python -m benchmarks.baselines" + (" --quick" if args.quick else "")
    if not args.quick:
        cmd += f" --pairs {args.pairs} --steps {args.steps}"
        cmd += f" --b128-steps {args.b128_steps}" if args.b128_steps else ""
        cmd += f" --diag-steps {args.diag_steps}" if args.diag_steps != 1500 else ""
    if args.only:
        cmd += f" --only {args.only}"
    threads = os.environ.get("OMP_NUM_THREADS")
    lines = [
        "## Separate-process baselines (the headline figures)",
        "",
        f"Machine: {machine()}. Command: `{cmd}`"
        + (f" with `OMP_NUM_THREADS={threads}`" if threads else " (default threads)")
        + ". Every run is its own fresh process; the sides alternate (A B, B A, ...); each "
        "figure is the median with its range and interquartile range over the pairs, and the "
        "ratio is taken pair by pair. Load: `/proc/loadavg` (1/5/15 min) and the share of CPU "
        "time busy (`/proc/stat`) before the first run (over 1 s), over the whole comparison "
        "(ours included), and after the last run. `{tmp}` is a fresh empty folder per run.",
        "",
        *comparison_lines(rows),
    ]
    if secondary:
        lines += [
            "",
            "Secondary, in-process (`benchmarks.train_step.compare`: both loops interleaved in "
            "one process, 20 iterations x 3 rounds; the textbook loop is handicapped there by "
            "sharing the process, see issue 20):",
            "",
        ]
        lines += [
            f"* dcgan/MNIST {k}: ganzoo {v['ganzoo']:.1f} img/s, in-process reference "
            f"{v['reference']:.1f} img/s, {v['ganzoo'] / v['reference']:.2f}x"
            for k, v in secondary.items()
        ]
    publish("baselines", lines, write=not args.no_write)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    main()
