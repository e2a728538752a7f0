"""Training speed on a GPU: ganzoo's Trainer against the textbook loops, and each bundled recipe.

    python -m benchmarks.gpu [--device cuda] [--steps N] [--rounds R] [--warmup W]
        [--only step|recipes] [--no-write] [--json FILE] [--from-json FILE]

Two sections of docs/benchmarks.md:

- ``gpu-step``: dcgan/MNIST at batch 64 and 128 and wgan-gp/MNIST at 64 (n_critic 5), the rows
  of ``benchmarks.train_step`` on the GPU. The textbook loop (``benchmarks.reference``: the
  PyTorch DCGAN example's iteration, with its ``.item()`` per step, and the WGAN-GP paper's)
  and ganzoo's :class:`~ganzoo.training.loop.Trainer` train the same modules from the same
  weights with the same optimizer, alternating in this one process (``--rounds`` rounds of
  ``--steps`` generator iterations each, after ``--warmup``); ganzoo runs with its defaults and
  with ``amp=bf16`` and ``channels_last``. Median real images per second.
- ``gpu-recipes``: every recipe in ``ganzoo/pretrained/recipes`` at its own settings (``amp:
  auto`` is bf16 on a GPU that runs it natively), with the EMA updating from the first step and
  the lazy regularisers' steps included; its images per second and what its whole run would
  take at that rate (``steps x batch x n_critic`` images; the checkpoint scoring not counted).

A ``Trainer`` timing block ends with ``Trainer.record`` (the one host sync ``Trainer.run``
makes every ``log_every`` steps), so the time of every queued kernel is inside the block.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

import torch

from benchmarks.harness import scratch_run_dir
from benchmarks.report import command, machine, publish
from benchmarks.train_step import (
    CASES,
    NEVER,
    ganzoo_runner,
    images_per_second,
    interleave,
    make_reference,
    make_trainer,
)
from ganzoo.data.mnist import data_root
from ganzoo.training.config import TrainConfig, load_config_file, make_train_config
from ganzoo.training.loop import Trainer
from ganzoo.zoo.reproduce import RECIPES

STEP_CASES = CASES[:3]
"""dcgan b64, dcgan b128, wgan-gp b64: the GPU rows (the 2-D ring is no GPU workload)."""
RECIPE_DIR = Path(__file__).resolve().parents[1] / "ganzoo" / RECIPES


def device_line(device: torch.device) -> str:
    """The GPU's name and memory, the driver's CUDA and torch's version (or the CPU line)."""
    if device.type != "cuda":
        return machine()
    props = torch.cuda.get_device_properties(device)
    return (
        f"{props.name} ({props.total_memory / 2**30:.0f} GiB, {props.multi_processor_count} SMs),"
        f" torch {torch.__version__}, CUDA {torch.version.cuda}; host: {machine()}"
    )


def step_rows(
    device: torch.device, steps: int, rounds: int, warmup: int
) -> dict[str, dict[str, float]]:
    """Median img/s of the textbook loop and ganzoo (defaults; bf16 + channels_last) per case."""
    root = data_root(None)
    results: dict[str, dict[str, float]] = {}
    for case in STEP_CASES:
        n = max(1, round(steps * case.step_scale))
        plain = make_trainer(case, device=str(device))
        fast = make_trainer(case, device=str(device), amp="bf16", channels_last=True)
        reference = make_reference(case, plain, root)
        runners = {
            "textbook": reference.run,
            "ganzoo": ganzoo_runner(plain),
            "ganzoo bf16": ganzoo_runner(fast),
        }
        times = interleave(runners, n, rounds, warmup)
        reference.close()
        results[case.name] = {
            name: images_per_second(seconds, case, plain.n_critic)
            for name, seconds in times.items()
        }
        print(case.name, {k: round(v) for k, v in results[case.name].items()}, flush=True)
    return results


def recipe_trainer(path: Path, device: torch.device) -> tuple[Trainer, dict[str, Any]]:
    """A Trainer for the recipe at ``path`` on ``device``, its EMA updating from step 0."""
    base = load_config_file(path)
    config = make_train_config(
        base,
        out=str(scratch_run_dir("ganzoo-gpu-")),
        device=str(device),
        diagnostics=[],
        log_every=NEVER,
        sample_every=NEVER,
        checkpoint_every=NEVER,
        ema_start=0 if base.get("ema") else None,
    )
    return Trainer.create(config), base


def recipe_rows(
    device: torch.device, steps: int, rounds: int, warmup: int, names: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Each recipe's (``names``: those only) median img/s on ``device``."""
    results: dict[str, dict[str, Any]] = {}
    for path in sorted(RECIPE_DIR.glob("*.yaml")):
        if names is not None and path.stem not in names:
            continue
        trainer, base = recipe_trainer(path, device)
        images = trainer.batch_size * trainer.n_critic  # batch_size: x accumulate already
        amp = trainer.resolved_config.amp  # what the Trainer chose for amp: auto
        if base.get("amp") == "auto":
            amp = f"auto: {amp}"
        seconds = interleave({path.stem: ganzoo_runner(trainer)}, steps, rounds, warmup)
        results[path.stem] = {
            "amp": amp,
            "batch_size": trainer.batch_size,
            "images_per_step": images,
            "images_per_second": images / statistics.median(seconds[path.stem]),
        }
        print(path.stem, results[path.stem], flush=True)
    return results


def recipe_length(name: str) -> tuple[int, int]:
    """The G updates and batch size of recipe ``name`` as committed now (the batch: the config's
    default where the recipe sets none)."""
    recipe = load_config_file(RECIPE_DIR / f"{name}.yaml")
    batch = recipe.get("batch_size", TrainConfig.model_fields["batch_size"].default)
    return int(recipe["steps"]), int(batch)


def _head(
    title: str, figures: dict[str, Any], only: str, text: str, columns: list[str]
) -> list[str]:
    """A section's title, its device and command line with ``text``, and its table's header."""
    aligns = ["---"] + [
        "---:" if c.endswith(("img/s", "(min)", "steps", "textbook")) else "---"
        for c in columns[1:]
    ]
    return [
        f"## {title}",
        "",
        f"Device: {figures['device']}. Command: `{figures['command']} --only {only}`. {text}",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join(aligns) + " |",
    ]


def step_table(figures: dict[str, Any]) -> list[str]:
    """The ``gpu-step`` section's lines from ``figures`` (what `main` measured or read)."""
    lines = _head(
        "Training step on a GPU: ganzoo against the textbook loop",
        figures,
        "step",
        "Same modules, weights, optimizer and batch; the three loops alternate in one process; "
        "median real images per second over the rounds. The textbook loop reads `.item()` of "
        "its losses every step (as the PyTorch DCGAN example prints them); ganzoo syncs once "
        "per timed block.",
        [
            "case",
            "textbook img/s",
            "ganzoo img/s",
            "ganzoo bf16 + channels_last img/s",
            "ganzoo / textbook",
        ],
    )
    for name, r in figures["step"].items():
        lines.append(
            f"| {name} | {r['textbook']:,.0f} | {r['ganzoo']:,.0f} | {r['ganzoo bf16']:,.0f}"
            f" | {r['ganzoo'] / r['textbook']:.2f}x |"
        )
    return lines


def recipe_table(figures: dict[str, Any]) -> list[str]:
    """The ``gpu-recipes`` section's lines; each run's length is the recipe's as committed now."""
    lines = _head(
        "The bundled recipes on a GPU",
        figures,
        "recipes",
        "Each recipe of `ganzoo/pretrained/recipes` at its own settings (amp auto: bf16 on this "
        "device), the EMA updating from the first step; median real images per second over "
        "the rounds, one process at a time on an otherwise idle GPU, and the recipe's whole run "
        "at that rate (steps x batch x n_critic images; the checkpoint scoring not counted).",
        ["recipe", "amp", "steps", "img/s", "run (min)"],
    )
    for name, r in figures["recipes"].items():
        steps, batch = recipe_length(name)
        rate = f"{r['images_per_second']:,.0f}"
        if batch != r["batch_size"]:  # a rate at another batch says nothing of this run's time
            rate += f" at batch {r['batch_size']} (the recipe's is now {batch}: not measured)"
            minutes = "-"
        else:
            minutes = f"{steps * r['images_per_step'] / r['images_per_second'] / 60:.1f}"
        lines.append(f"| {name} | {r['amp']} | {steps:,} | {rate} | {minutes} |")
    return lines


def read_figures(path: Path) -> dict[str, Any]:
    """The figures of an earlier ``--json`` run; a clear error names what a stale file lacks."""
    figures = json.loads(path.read_text())
    stale = [n for n, r in figures.get("recipes", {}).items() if "batch_size" not in r]
    if stale:
        raise SystemExit(
            f"benchmarks.gpu: {path}: the recipe rows {', '.join(stale)} have no batch_size "
            "(figures saved before the batch was recorded), so a changed recipe batch cannot be "
            "told apart; measure again on a GPU (python -m benchmarks.gpu --json FILE) or add "
            'the batch each row was measured at ("batch_size": 64) to the file'
        )
    return figures


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure (or, with ``--from-json``, read) both sections, print them and (unless
    ``--no-write``) put them in the docs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=100, help="iterations per timed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--only", choices=["step", "recipes"], default=None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="render the tables from a --json file of an earlier run (on a machine without a "
        "GPU, or after a recipe's length changed) instead of measuring",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        figures = read_figures(args.from_json)
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit(
                "benchmarks.gpu: no CUDA device here (torch.cuda.is_available() is False)"
            )
        flags = [f"--steps {args.steps}", f"--rounds {args.rounds}", f"--warmup {args.warmup}"]
        figures = {"device": device_line(device), "command": command("benchmarks.gpu", *flags)}
        if args.only in (None, "step"):
            figures["step"] = step_rows(device, args.steps, args.rounds, args.warmup)
        if args.only in (None, "recipes"):
            figures["recipes"] = recipe_rows(device, args.steps, args.rounds, args.warmup)
    write = not args.no_write
    if "step" in figures:
        publish("gpu-step", step_table(figures), write)
    if "recipes" in figures:
        publish("gpu-recipes", recipe_table(figures), write)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
