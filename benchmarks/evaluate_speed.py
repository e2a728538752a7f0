"""`ganzoo evaluate dcgan-mnist` before and after the fast evaluation, in one run.

    python -m benchmarks.evaluate_speed [--rounds 2] [--before 95f393f] [-n 10000] [--quick] [--no-write]

"before" is the package at commit ``--before`` (the last commit before issue 16's item 5),
extracted with ``git archive`` into a temporary folder and run with ``PYTHONPATH`` pointing at it;
"after" is this checkout. Each run is a separate process (``python -m ganzoo.cli evaluate
dcgan-mnist --json``, all default metrics and floors, ``GANZOO_DATA`` as set). The first "after"
run starts with an empty cache folder (cold: it computes and writes the reference features,
k-NN tables and NDB bins); then "before" and warm "after" runs alternate ``--rounds`` times, so
both see the same load. Each row records the load average (``/proc/loadavg``, 1 min) at start
and end, wall seconds and the child's CPU seconds (user + sys, from ``wait4``): on a shared
machine CPU seconds are the fairer measure. The metric values of every run are printed side by
side and must be identical.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from benchmarks.report import command, machine, publish

REPO = Path(__file__).resolve().parents[1]
BEFORE = "95f393f"
"""The last commit before the fast evaluation."""


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def extract(commit: str, into: Path) -> Path:
    """The ``ganzoo`` package at ``commit``, written under ``into`` (returned: the folder)."""
    blob = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "ganzoo"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(tree: Path, cache: Path, n: int) -> dict[str, object]:
    """One ``ganzoo evaluate dcgan-mnist --json`` in a child process on the package in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "GANZOO_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "ganzoo.cli", "evaluate", "dcgan-mnist", "-n", str(n), "--json"]
    load_start = _load()
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=tree)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(cmd)} (PYTHONPATH={tree}) failed")
        out.seek(0)
        result = json.loads(out.read())
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": (load_start, _load()),
        "metrics": result["metrics"],
        "floors": result["floors"],
    }


def main(argv: list[str] | None = None) -> dict[str, list[dict[str, object]]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="before/after pairs (alternated)")
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("-n", type=int, default=10_000, help="samples (the CLI's default)")
    parser.add_argument("--quick", action="store_true", help="1 round of 1,000 samples")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.n = 1, 1000
    runs: dict[str, list[dict[str, object]]] = {"before": [], "after (cold cache)": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="ganzoo-eval-bench-") as tmp:
        old = extract(args.before, Path(tmp) / "before")
        new = REPO
        cache_new, cache_old = Path(tmp) / "cache-after", Path(tmp) / "cache-before"
        plan = [("after (cold cache)", new, cache_new)]
        for _ in range(args.rounds):
            plan += [("before", old, cache_old), ("after", new, cache_new)]
        for label, tree, cache in plan:
            row = run(tree, cache, args.n)
            runs[label].append(row)
            print(
                f"{label:>18}: {row['wall']:7.1f} s wall, {row['cpu']:6.1f} s CPU, "
                f"load {row['load'][0]:.1f} -> {row['load'][1]:.1f}",  # type: ignore[index]
                flush=True,
            )
    lines = _table(runs, args)
    publish("evaluate_speed", lines, write=not args.no_write)
    return runs


def _table(runs: dict[str, list[dict[str, object]]], args: argparse.Namespace) -> list[str]:
    first = runs["before"][0]
    every = [r for rows in runs.values() for r in rows]
    same = all(r["metrics"] == first["metrics"] and r["floors"] == first["floors"] for r in every)
    if not same:
        print("metric values differ between runs:", file=sys.stderr)
    med = {k: statistics.median(float(r["wall"]) for r in v) for k, v in runs.items() if v}
    cpu = {k: statistics.median(float(r["cpu"]) for r in v) for k, v in runs.items() if v}
    flags = [
        f"--rounds {args.rounds}" if args.rounds != 2 else "",
        f"-n {args.n}" if args.n != 10_000 else "",
    ]
    lines = [
        f"`ganzoo evaluate dcgan-mnist` ({args.n:,} samples, all default metrics and floors), "
        f"each run a separate process; before = commit {args.before}, after = this checkout. "
        f"{machine()}; `{command('benchmarks.evaluate_speed', *flags)}` with "
        "GANZOO_DATA set. Load = /proc/loadavg (1 min) at the start and end of each run; the "
        "machine is shared with other jobs, so CPU seconds (user + sys of the child) are the "
        "fairer measure.",
        "",
        "| run | wall s | CPU s | load start -> end |",
        "|---|---|---|---|",
    ]
    for label in ("after (cold cache)", "before", "after"):
        for i, r in enumerate(runs[label]):
            load = r["load"]
            lines.append(
                f"| {label} #{i + 1} | {float(r['wall']):.1f} | {float(r['cpu']):.1f} | "
                f"{load[0]:.1f} -> {load[1]:.1f} |"  # type: ignore[index]
            )
    lines += [
        "",
        f"Median: before {med['before']:.1f} s wall / {cpu['before']:.1f} s CPU; after (warm "
        f"cache) {med['after']:.1f} s / {cpu['after']:.1f} s: **{med['before'] / med['after']:.1f}x "
        f"wall, {cpu['before'] / cpu['after']:.1f}x CPU**; after with a cold cache (first run on "
        f"a machine) {med['after (cold cache)']:.1f} s / {cpu['after (cold cache)']:.1f} s "
        f"({med['before'] / med['after (cold cache)']:.1f}x wall, "
        f"{cpu['before'] / cpu['after (cold cache)']:.1f}x CPU).",
        "",
        "Metric values of every run, "
        + ("identical in all runs:" if same else "**NOT identical** (see stderr):"),
        "",
        "| metric | before | after | floor before | floor after |",
        "|---|---|---|---|---|",
    ]
    last = runs["after"][-1]
    for key, value in first["metrics"].items():  # type: ignore[union-attr]
        lines.append(
            f"| {key} | {value!r} | {last['metrics'][key]!r} | "  # type: ignore[index]
            f"{first['floors'][key]!r} | {last['floors'][key]!r} |"  # type: ignore[index]
        )
    return lines


if __name__ == "__main__":
    main()
