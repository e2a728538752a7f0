"""Time to quality: dcgan/MNIST sample quality against CPU seconds, ganzoo against the textbook.

    python -m benchmarks.time_to_quality [--marks 30,60,120,240,480] [--seeds 0,1] [-n 10000]
        [--sides ganzoo,ganzoo-bf16,ganzoo-fast,textbook] [--parallel 3] [--max-wall S] [--quick]
        [--no-write] [--json FILE] [--from-json FILE]

Each side trains dcgan on MNIST in its own fresh process, as a user runs it, with
``OMP_NUM_THREADS=1`` (the caller's value, if set, is kept):

* ``ganzoo``: ``ganzoo train dcgan --data mnist --seed S --steps 1000000`` with every default;
* ``ganzoo-bf16``: the same with ``--set amp=bf16`` (bf16 autocast);
* ``ganzoo-fast``: ``--set amp=auto`` with batch 32 and Adam 4e-4 for G and D (the paper's
  2e-4 and batch 64 are the defaults): docs/training.md's settings for a short CPU budget;
* ``textbook``: ``python benchmarks/reference/textbook_dcgan.py --seed S`` (the PyTorch DCGAN
  tutorial's loop over the same modules: torchvision MNIST, DataLoader with 2 workers).

Both save their generator when the process has spent each mark's CPU seconds (user + system,
counted from the process's start, imports and data loading included, with the DataLoader's
worker processes: `benchmarks.reference.cpu_marks`) and stop after the last mark. The
textbook script does that itself (``--cpu-marks``); ``ganzoo train`` is run through
``python -m benchmarks.time_to_quality child``, which calls the same CLI entry point
(``ganzoo.cli.main``) with a hook after each training step that reads the clock, saves the
generator (the EMA generator when the run keeps one) and asks the run to stop after the last
mark. Saving costs are taken off both clocks.

Every snapshot is evaluated the same way, as it appears (`ganzoo.metrics.engine.evaluate` in
this process, eval mode with BatchNorm's running statistics, ``n`` samples, sampling seed 0):
``fid`` (Frechet distance in ganzoo's MNIST classifier's features against the 10,000 test
images) and ``score`` (the MNIST score). ``--parallel`` runs go at a time (seed by seed), one
thread each; ``--max-wall`` stops runs still going after that many wall seconds (on a busy
machine), keeping the marks they reached. The section ``time-to-quality`` of
docs/benchmarks.md (the load before, during and after, and each run's) is rewritten unless
``--no-write``; ``--from-json`` rewrites it from a run saved with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.reference.cpu_marks import CpuMarks, parse_marks, read_log

REPO = Path(__file__).resolve().parents[1]
MARKS = "30,60,120,240,480"
GANZOO_SIDES: dict[str, tuple[str, ...]] = {
    "ganzoo": (),
    "ganzoo-bf16": ("--set", "amp=bf16"),
    "ganzoo-fast": ("--set", "amp=auto", "--set", "batch_size=32",
                    "--set", "optimizer.lr_g=4e-4", "--set", "optimizer.lr_d=4e-4"),
}  # fmt: skip
"""The ganzoo sides: what each adds to ``ganzoo train dcgan --data mnist``."""
SIDES = (*GANZOO_SIDES, "textbook")
LOG = "cpu_marks.jsonl"
"""The `CpuMarks` log each run writes into its snapshot folder (both sides)."""


# ----------------------------------------------------------------------------- the ganzoo child
def child(argv: list[str]) -> None:
    """``child --cpu-marks M --save-dir DIR -- GANZOO ARGS``: ``ganzoo GANZOO ARGS`` (the CLI's
    own entry point) with a snapshot of the generator at each CPU mark; stops after the last."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.time_to_quality child")
    parser.add_argument("--cpu-marks", type=parse_marks, required=True)
    parser.add_argument("--save-dir", type=Path, required=True)
    parser.add_argument("ganzoo_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    ganzoo_args = args.ganzoo_args[1:] if args.ganzoo_args[:1] == ["--"] else args.ganzoo_args

    import torch

    from ganzoo.cli import main as ganzoo_main
    from ganzoo.training.loop import Trainer

    args.save_dir.mkdir(parents=True, exist_ok=True)
    step_once = Trainer.train_step
    hooks: dict[int, CpuMarks] = {}

    def train_step(trainer: Trainer) -> None:
        step_once(trainer)
        marks = hooks.get(id(trainer))
        if marks is None:

            def save(mark: float, _cpu: float, _step: int) -> None:
                modules = trainer.updates.modules()
                g = modules.get("ema_generator", modules["generator"])
                torch.save(g.state_dict(), args.save_dir / f"G-cpu{mark:g}.pt")

            marks = hooks[id(trainer)] = CpuMarks(args.cpu_marks, save, log=args.save_dir / LOG)
        if marks.after_step(trainer.step):
            trainer.request_stop("CPU budget spent (time-to-quality benchmark)")

    Trainer.train_step = train_step  # type: ignore[method-assign]
    ganzoo_main(ganzoo_args)


# ----------------------------------------------------------------------------- the sides
@dataclass(frozen=True)
class Options:
    """What every run of one measurement shares.

    Attributes:
        marks: CPU seconds at which each side's generator is saved.
        seeds: Training seeds; each side runs once per seed.
        sides: Which of `SIDES` to run.
        n: Samples per evaluation.
        width: dcgan's width option (64: its default; the smoke run uses 8).
        parallel: Runs at a time, taken in seed order (default: the sides of one seed).
    """

    marks: tuple[float, ...]
    seeds: tuple[int, ...]
    sides: tuple[str, ...]
    n: int
    width: int = 64
    parallel: int = 3


def side_argv(side: str, seed: int, opts: Options, folder: str = "{tmp}") -> list[str]:
    """The command of one run; snapshots go to ``folder/snaps``, ganzoo's run to ``folder/run``."""
    marks = ",".join(f"{m:g}" for m in opts.marks)
    if side == "textbook":
        width = ["--width", str(opts.width)] if opts.width != 64 else []
        return [sys.executable, str(REPO / "benchmarks" / "reference" / "textbook_dcgan.py"),
                "--seed", str(seed), "--steps", "1000000000", *width,
                "--cpu-marks", marks, "--save-dir", f"{folder}/snaps"]  # fmt: skip
    extra = list(GANZOO_SIDES[side])
    if opts.width != 64:
        extra += ["--set", f"architecture_options.width={opts.width}"]
    return [sys.executable, "-m", "benchmarks.time_to_quality", "child", "--cpu-marks", marks,
            "--save-dir", f"{folder}/snaps", "--", "train", "dcgan", "--data", "mnist",
            "--seed", str(seed), "--steps", "1000000", "--out", f"{folder}/run", *extra]  # fmt: skip


def user_command(side: str, opts: Options) -> str:
    """What the side runs, as a user types it (seed ``S``; the snapshot options left out)."""
    argv = side_argv(side, 0, opts)
    if side == "textbook":
        text = "python benchmarks/reference/textbook_dcgan.py --seed S --steps 1000000000"
        return text + (f" --width {opts.width}" if opts.width != 64 else "")
    cut = argv.index("--")
    rest = " ".join(a for a in argv[cut + 1 :]).replace("--seed 0", "--seed S")
    return "ganzoo " + rest.replace("{tmp}/run", "RUN")


def train_side(
    side: str, seed: int, opts: Options, folder: Path, max_wall: float | None = None
) -> dict[str, Any]:
    """Run one side once in a fresh process (snapshots under ``folder``); its whole-process
    figures (wall and CPU from ``wait4``, its workers included), or why it ended early: killed
    after ``max_wall`` seconds (its snapshots so far count), or failed."""
    from benchmarks.harness import Side, run_once

    env = {"PYTHONPATH": str(REPO), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    try:
        out = run_once(Side(side, side_argv(side, seed, opts, str(folder)), env=env), max_wall)
    except RuntimeError as err:
        return {"ended": str(err)[-300:], "loadavg_end": os.getloadavg()[0]}
    shutil.rmtree(out.tmp, ignore_errors=True)
    return {"ended": "finished", "wall_s": round(out.wall_s, 1),
            "process_cpu_s": round(out.cpu_s, 1), "loadavg_end": os.getloadavg()[0]}  # fmt: skip


def evaluate_snapshot(path: str | Path, opts: Options, seed: int = 0) -> dict[str, float]:
    """``fid`` and ``score`` of one saved generator (``n`` samples, sampling seed ``seed``)."""
    import torch

    import ganzoo
    from ganzoo.metrics.engine import evaluate

    model = ganzoo.build("dcgan", data="mnist", width=opts.width)
    model.generator.load_state_dict(torch.load(path, weights_only=True))
    result = evaluate(model.eval(), "mnist", metrics="fid,score", n=opts.n, seed=seed, floors=False)
    return {k: float(v) for k, v in result.metrics.items()}


def measure(opts: Options, max_wall: float | None = None, log: Any = None) -> dict[str, Any]:
    """Train every side for every seed (``parallel`` runs at a time, in seed order) and
    evaluate each snapshot as it appears (in this process, one at a time); a run still going
    after ``max_wall`` seconds is killed and keeps the snapshots it took. The runs' folders are
    removed after."""
    import torch

    from benchmarks.harness import cpu_times, machine_load

    log = log or _say
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)
    runs: list[dict[str, Any]] = [
        {"side": side, "seed": seed, "folder": Path(tempfile.mkdtemp(prefix="ganzoo-ttq-"))}
        for seed in opts.seeds
        for side in opts.sides
    ]
    before, start_times, start = machine_load(), cpu_times(), time.perf_counter()
    try:
        with ThreadPoolExecutor(opts.parallel) as pool:
            futures = [
                pool.submit(train_side, r["side"], r["seed"], opts, r["folder"], max_wall)
                for r in runs
            ]
            while not all(f.done() for f in futures):
                if not _evaluate_new(runs, opts, log):
                    time.sleep(5)
            during = machine_load(time.perf_counter() - start, since=start_times)
            for run, future in zip(runs, futures, strict=True):
                run.update(future.result())
        while _evaluate_new(runs, opts, log):
            pass
    finally:
        for run in runs:
            shutil.rmtree(run.pop("folder"), ignore_errors=True)
    for run in runs:
        last = run["snapshots"][-1] if run["snapshots"] else {"step": 0, "cpu_seconds": 0.0}
        log(f"seed {run['seed']} {run['side']}: {run['ended']}; {last['step']} steps at "
            f"{last['cpu_seconds']:.1f} CPU-s")  # fmt: skip
    return {"runs": runs, "load_before": before.text(), "load_during": during.text(),
            "load_after": machine_load().text(), "training_wall_s": round(time.perf_counter() - start),
            "max_wall": max_wall}  # fmt: skip


def _say(text: str) -> None:
    print(text, flush=True)


def _evaluate_new(runs: list[dict[str, Any]], opts: Options, log: Any) -> bool:
    """Evaluate the first snapshot not yet evaluated (of any run); False when there is none."""
    for run in runs:
        report = read_log(run["folder"] / "snaps" / LOG)
        run["first_step_cpu_seconds"] = report["first_step_cpu_seconds"]
        done = run.setdefault("snapshots", [])
        new = report["snapshots"][len(done) :]  # type: ignore[index]
        if new:
            snap = dict(new[0])
            snap.update(
                evaluate_snapshot(run["folder"] / "snaps" / f"G-cpu{snap['mark']:g}.pt", opts)
            )
            done.append(snap)
            log(f"seed {run['seed']} {run['side']} {snap['mark']:g} CPU-s (step {snap['step']}): "
                f"fid {snap['fid']:.2f} score {snap['score']:.2f}")  # fmt: skip
            return True
    return False


# ----------------------------------------------------------------------------- the report
def curves(result: dict[str, Any]) -> dict[str, dict[float, dict[str, list[float]]]]:
    """Per side and mark, each metric's values (one per seed) and the steps reached."""
    out: dict[str, dict[float, dict[str, list[float]]]] = {}
    for run in result["runs"]:
        for snap in run["snapshots"]:
            cell = out.setdefault(run["side"], {}).setdefault(snap["mark"], {})
            for key in ("fid", "score", "step", "cpu_seconds"):
                cell.setdefault(key, []).append(float(snap[key]))
    return out


def reached(
    curve: dict[float, dict[str, list[float]]], target: float, seeds: int, key: str = "fid"
) -> float | None:
    """The first mark that every seed reached whose mean ``key`` is at least as good as
    ``target`` (None: none)."""
    better = (lambda v: v <= target) if key == "fid" else (lambda v: v >= target)
    full = sorted(m for m in curve if len(curve[m][key]) == seeds)
    return next((m for m in full if better(statistics.fmean(curve[m][key]))), None)


def crossing(
    curve: dict[float, dict[str, list[float]]], mark: float, target: float, key: str = "fid"
) -> float:
    """Where the mean ``key`` crosses ``target`` between the mark before ``mark`` and ``mark``,
    in CPU seconds: linear in log CPU time between the two means (``mark`` is the first mark
    as good, the one before it is not)."""
    full = sorted(curve)
    before = full[full.index(mark) - 1]
    a, b = (statistics.fmean(curve[m][key]) for m in (before, mark))
    if a == b:
        return mark
    share = (a - target) / (a - b)
    return math.exp(math.log(before) + share * (math.log(mark) - math.log(before)))


def _cell(cell: dict[str, list[float]] | None, key: str, seeds: int, fmt: str = "{:.2f}") -> str:
    values = (cell or {}).get(key, [])
    if not values:
        return "not reached"
    mean = fmt.format(statistics.fmean(values))
    text = mean if len(values) == 1 else f"{mean} ({', '.join(fmt.format(v) for v in values)})"
    return text if len(values) == seeds else f"{text}, {len(values)} of {seeds} seeds"


def table(result: dict[str, Any], opts: Options, cmd: str) -> list[str]:
    """The docs section: FID and score per side and mark, when ganzoo reaches the textbook's
    last-mark quality, the load and the commands."""
    from benchmarks.report import machine

    c = curves(result)
    k = len(opts.seeds)
    marks = sorted(opts.marks)
    head = "| side | " + " | ".join(f"{m:g} CPU-s" for m in marks) + " |"
    rule = "| --- |" + " ---: |" * len(marks)

    def rows(key: str, fmt: str = "{:.2f}") -> list[str]:
        return [
            f"| {side} | " + " | ".join(_cell(c[side].get(m), key, k, fmt) for m in marks) + " |"
            for side in c
        ]

    stopped = (
        f" Runs still going after {result['max_wall']:g} s wall were stopped there (marks they "
        "had not reached read 'not reached')."
        if result.get("max_wall")
        else ""
    )
    lines = [
        "## Time to quality (dcgan/MNIST, equal CPU time)",
        "",
        f"Machine: {machine()}. Command: `{cmd}`. Each side trains in its own fresh process, "
        f"one thread each, seeds {', '.join(map(str, opts.seeds))}, {opts.parallel} runs at a "
        "time. A generator is saved when its process has spent each mark's CPU "
        "seconds: user + system, from the process's start (interpreter, imports, data "
        "loading included), its threads and its worker processes (the textbook's DataLoader "
        "workers, read from `/proc`; `benchmarks/reference/cpu_marks.py`); saving is taken "
        f"off the clock. Each snapshot: `fid` and `score` of {opts.n:,} samples (sampling "
        "seed 0, eval mode) by `ganzoo.metrics.engine.evaluate` against the 10,000 MNIST test "
        f"images; cells give the mean over seeds and each seed's value.{stopped}",
        "",
        "Commands (S: the seed; `python -m benchmarks.time_to_quality child` runs the first "
        "two through `ganzoo.cli.main` with the snapshot hook; the textbook script takes "
        "`--cpu-marks` itself):",
        "",
        *(f"* {side}: `{user_command(side, opts)}`" for side in opts.sides),
        "",
        "Classifier-FID (lower is better):",
        "",
        head,
        rule,
        *rows("fid"),
        "",
        "MNIST score (higher is better; real data 9.84):",
        "",
        head,
        rule,
        *rows("score"),
        "",
        "Generator steps done by each mark (mean over seeds):",
        "",
        head,
        rule,
        *rows("step", "{:.0f}"),
        "",
    ]
    book = c.get("textbook", {})
    full = [m for m in marks if len(book.get(m, {}).get("fid", [])) == k]
    if full:
        last = full[-1]
        goal = last / 4
        fid, score = (statistics.fmean(book[last][key]) for key in ("fid", "score"))
        short = (
            ""
            if last == marks[-1]
            else f" (its last mark reached by every seed; not {marks[-1]:g})"
        )
        lines.append(
            f"The textbook loop at {last:g} CPU-s{short}: FID {fid:.2f}, score {score:.2f} "
            f"(means over seeds). Goal: ganzoo reaches that quality in at most a quarter of "
            f"the time ({goal:g} CPU-s)."
        )
        lines.append("")
        for side in (s for s in c if s != "textbook"):
            lines.append(f"* {side}: " + _verdict(c[side], marks, k, last, fid, score))
    lines += [
        "",
        f"Load while the {len(result['runs'])} runs trained ({opts.parallel} at a time, "
        f"{result['training_wall_s']} s wall): `/proc/loadavg` 1/5/15 min and the CPU busy "
        "share from `/proc/stat` (ours included) before, over the training and after the "
        f"evaluations: {result['load_before']} / {result['load_during']} / "
        f"{result['load_after']}.",
        "",
        "Each run: the clock after its first step (start-up), its whole process from `wait4` "
        "(until it exited, its stop's checkpoint and sample grid included) and the 1-min load "
        "when it ended:",
        "",
    ]
    lines += [f"* seed {r['seed']} {r['side']}: {_run_line(r)}" for r in result["runs"]]
    return lines


def _run_line(r: dict[str, Any]) -> str:
    first = r.get("first_step_cpu_seconds")
    start = f"first step at {first:.1f} CPU-s" if first is not None else "no step taken"
    if r["ended"] != "finished":
        why = r["ended"]  # run_once's message: the command, then why; the why is enough
        why = why[why.find(" exited ") + 1 :] if " exited " in why else why
        return f"{start}; ended early ({why.split('; checkpoint')[0]}); load {r['loadavg_end']:.1f}"
    return (
        f"{start}; process {r['process_cpu_s']:.0f} CPU-s, {r['wall_s']:.0f} s wall; "
        f"load {r['loadavg_end']:.1f}"
    )


def _verdict(
    curve: dict[float, dict[str, list[float]]],
    marks: list[float],
    seeds: int,
    last: float,
    fid: float,
    score: float,
) -> str:
    at_fid, at_score = reached(curve, fid, seeds), reached(curve, score, seeds, "score")

    def when(mark: float | None, key: str) -> str:
        if mark is None:
            done = [m for m in marks if len(curve.get(m, {}).get("fid", [])) == seeds]
            return f"not by {done[-1]:g} CPU-s" if done else "no mark reached by every seed"
        i = marks.index(mark)
        if not i:
            return f"at {mark:g} CPU-s, {mark / last:.2f}x the time"
        t = crossing(curve, mark, fid if key == "fid" else score, key)
        return (
            f"at {mark:g} CPU-s (not yet at {marks[i - 1]:g}), {mark / last:.2f}x the time "
            f"(interpolated in log time: about {t:.0f} CPU-s, {t / last:.2f}x)"
        )

    both = None if at_fid is None or at_score is None else max(at_fid, at_score)
    met = both is not None and both <= last / 4
    return (
        f"FID as good {when(at_fid, 'fid')}; score as good {when(at_score, 'score')}: "
        + ("**goal met**" if met else "**goal not met**")
        + " (first mark whose mean over seeds is as good)"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the measurement (or, with ``child`` first, one ganzoo run with snapshots)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        child(argv[1:])
        return {}
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.time_to_quality", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--marks", default=MARKS, help="CPU seconds at which to evaluate")
    parser.add_argument("--seeds", default="0,1", help="training seeds, comma-separated")
    parser.add_argument("--sides", default=",".join(SIDES), help=f"of {', '.join(SIDES)}")
    parser.add_argument("-n", type=int, default=10_000, help="samples per evaluation")
    parser.add_argument("--parallel", type=int, default=3, help="runs at a time")
    parser.add_argument("--quick", action="store_true", help="smoke: marks 4,8, width 8, n 500")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--json", metavar="FILE", help="also write every figure here")
    parser.add_argument(
        "--max-wall", type=float, default=None, help="stop runs still going after this many s"
    )
    parser.add_argument(
        "--from-json", metavar="FILE", help="write the table of a saved --json run; train nothing"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        opts = Options(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in saved.pop("options").items()}
        )
        result, quick = saved, False
    else:
        sides = tuple(args.sides.split(","))
        if set(sides) - set(SIDES):
            raise SystemExit(f"unknown sides {sorted(set(sides) - set(SIDES))}; known: {SIDES}")
        seeds = tuple(int(s) for s in args.seeds.split(","))
        opts = (
            Options((4.0, 8.0), seeds[:1], sides, 500, width=8, parallel=args.parallel)
            if args.quick
            else Options(
                tuple(parse_marks(args.marks)), seeds, sides, args.n, parallel=args.parallel
            )
        )
        result, quick = measure(opts, args.max_wall), args.quick
        if args.json:
            Path(args.json).write_text(json.dumps({"options": opts.__dict__, **result}, indent=1))
    from benchmarks.report import publish

    lines = table(result, opts, _command(opts, result.get("max_wall"), quick))
    publish("time-to-quality", lines, write=not args.no_write)
    return result


def _command(opts: Options, max_wall: float | None, quick: bool) -> str:
    """The command that runs ``opts``, for the docs."""
    from benchmarks.report import command

    marks = ",".join(f"{m:g}" for m in opts.marks)
    flags = ["--quick"] if quick else [
        f"--marks {marks}" if marks != MARKS else "",
        f"--seeds {','.join(map(str, opts.seeds))}" if opts.seeds != (0, 1) else "",
        f"-n {opts.n}" if opts.n != 10_000 else "",
        f"--parallel {opts.parallel}" if opts.parallel != 3 else "",
        f"--max-wall {max_wall:g}" if max_wall else "",
    ]  # fmt: skip
    flags.append(f"--sides {','.join(opts.sides)}" if opts.sides != SIDES else "")
    return command("benchmarks.time_to_quality", *flags)


if __name__ == "__main__":
    main()
