"""Train, export, evaluate and pin the built-in pretrained models (a maintainer script).

    python tools/build_zoo.py [NAME ...] [--runs-dir runs/zoo] [--data-root DIR]
    python tools/build_zoo.py --list          # the recipe names
    python tools/build_zoo.py --docs-only     # re-render docs/models.md from zoo.json

Run from the repository root of a checkout with ganzoo installed editable: the script writes into
the checkout it lives in. For each recipe ``ganzoo/pretrained/recipes/NAME.yaml`` (a plain
``ganzoo train`` config): train it (or resume an unfinished run), export the generator (the EMA one
when the recipe keeps an EMA) as fp16 safetensors into ``ganzoo/pretrained/weights/`` when fp16
changes no sample by more than 1/255 (else fp32), evaluate it with the pinned protocol of
``ganzoo.metrics``, save its sample grid under ``docs/img/models/``, record sha256, size, metrics
and the run's wall time and hardware in ``ganzoo/pretrained/zoo.json`` (which the built-in plugin
registers) and re-render ``docs/models.md``. The Hub copy (repo ``ganzoo/NAME``) is pushed with
``ganzoo push NAME --repo ganzoo/NAME``; the sha256 pins both copies to the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ganzoo"
PRETRAINED = PACKAGE / "pretrained"
RECIPES = PRETRAINED / "recipes"
WEIGHTS = PRETRAINED / "weights"
ZOO = PRETRAINED / "zoo.json"
DOCS_IMG = REPO / "docs" / "img" / "models"
DOCS_MODELS = REPO / "docs" / "models.md"
HUB_OWNER = "ganzoo"
KEY_METRIC = {"image": "score", "points": "modes"}


def key_metric(modality: str, metrics: dict[str, float]) -> str:
    """The metric ``ganzoo list models`` shows: MNIST score where there is one, else modes."""
    key = KEY_METRIC[modality]
    return key if key in metrics else "modes"


def recipe_names() -> list[str]:
    """Every recipe in ``recipes/``."""
    return sorted(p.stem for p in RECIPES.glob("*.yaml"))


def train(name: str, runs_dir: Path, data_root: str | None) -> Path:
    """Train recipe ``name`` into ``runs_dir/name`` (resuming an unfinished run); return the run dir."""
    from ganzoo.training.callbacks import MetricsLogger, PlainLog
    from ganzoo.training.config import load_config_file, make_train_config
    from ganzoo.training.loop import Trainer

    run_dir = runs_dir / name
    info = run_dir / "run.json"
    if info.is_file() and json.loads(info.read_text())["status"] == "finished":
        return run_dir
    base = load_config_file(RECIPES / f"{name}.yaml")
    if data_root:
        base["data_options"] = {**base.get("data_options", {}), "root": data_root}
    config = make_train_config(base, out=str(run_dir), diagnostics=[])
    resume = (run_dir / "checkpoints").is_dir()
    trainer = Trainer.create(config, resume=resume)
    run_dir.mkdir(parents=True, exist_ok=True)
    trainer.callbacks += [MetricsLogger(run_dir / "metrics.jsonl"), PlainLog(every=5)]
    trainer.run()
    return run_dir


def export(name: str, model: Any) -> tuple[Path, dict[str, Any]]:
    """Write the generator's weights (fp16 when lossless to the eye) to ``weights/``."""
    import copy

    from ganzoo.weights import save_module

    ref = model.sample(64, seed=0)
    half = copy.deepcopy(model.generator).half()
    diff = float((half.float().sample(64, seed=0) - ref).abs().max())  # the fp16 round trip
    dtype = "float16" if diff <= 2 / 255 else "float32"  # [-1, 1] spans 255 grey levels over 2
    path = WEIGHTS / f"{name}.generator.safetensors"
    # no extra metadata: safetensors writes it in random order, which would change the sha256
    save_module(
        copy.deepcopy(model.generator).half() if dtype == "float16" else model.generator, path
    )
    return path, {"dtype": dtype, "fp16_max_abs_diff": round(diff, 5)}


def evaluate(model: Any, data_root: str | None) -> tuple[dict[str, float], dict[str, Any]]:
    """Metrics of ``model`` with the default protocol, plus the floors and the protocol."""
    from ganzoo.metrics import evaluate as run_eval

    result = run_eval(model, data_root=data_root)
    return result.metrics, {
        "floors": result.floors,
        "protocol": result.protocol.model_dump(mode="json"),
    }


def record(
    name: str,
    run_dir: Path,
    model: Any,
    weights: Path,
    export_info: dict[str, Any],
    metrics: dict[str, float],
    evaluation: dict[str, Any],
) -> dict[str, Any]:
    """The zoo.json entry (a ModelSpec plus the evaluation details) of one model."""
    from ganzoo.images import save_samples
    from ganzoo.training.rundir import read_run_config
    from ganzoo.weights import sha256_file

    config = read_run_config(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    save_samples(model.sample(64, seed=0), DOCS_IMG / f"{name}.png")
    modality = model.data.modality
    return {
        "name": name,
        "summary": f"{config.architecture} trained on {config.data} ({run['step']} steps).",
        "architecture": config.architecture,
        "config": config.architecture_options,
        "dataset": config.data,
        "weights": [
            {
                "role": "generator",
                "repo_id": f"{HUB_OWNER}/{name}",
                "revision": "main",
                "filename": "generator.safetensors",
                "sha256": sha256_file(weights),
                "size": weights.stat().st_size,
                "bundled": str(weights.relative_to(PACKAGE)),
            }
        ],
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
        "key_metric": key_metric(modality, metrics),
        "reproduce": f"ganzoo train ganzoo/pretrained/recipes/{name}.yaml --out runs/zoo/{name}",
        "training": {
            "steps": run["step"],
            "wall_seconds": run["wall_seconds"],
            "images_per_second": run["images_per_second"],
            "hardware": run["hardware"],
            "device": run["device"],
            "torch": run["torch"],
            "batch_size": config.batch_size,
            "loss": config.loss,
            "ema": config.ema,
            **export_info,
            "floors": {k: round(v, 4) for k, v in evaluation["floors"].items()},
            "protocol": evaluation["protocol"],
        },
        "tags": ["pretrained", config.architecture, config.data or ""],
    }


def models_doc(zoo: dict[str, Any]) -> str:
    """The report cards of ``docs/models.md``, rendered from ``zoo.json``."""
    lines = [
        "# Pretrained models",
        "",
        "Every entry below is a registry entry (`ganzoo list models`), trained by the committed recipe",
        "shown with it, evaluated with the pinned protocol of [evaluation](evaluation.md), and pinned by",
        "sha256. The generator weights ship inside the package, so `ganzoo.load(NAME)` and",
        "`ganzoo sample NAME` work offline; without the bundled file they come from the Hub repo",
        "`ganzoo/NAME` through the Hugging Face cache. This page is generated by",
        "`python tools/build_zoo.py` from `ganzoo/pretrained/zoo.json` (`--docs-only` re-renders it",
        "without training).",
        "",
        "```python",
        "import ganzoo",
        'model = ganzoo.load("dcgan-mnist")',
        "grid = model.sample(64, seed=0)",
        "```",
        "",
        "The numbers are measured, with the floor (real training images scored the same way) in",
        "brackets. Training ran on the CPU with `OMP_NUM_THREADS=1` while other jobs shared the",
        "machine's 2 cores, so the wall times are upper bounds. The Hub repos `ganzoo/NAME` are",
        "published with `ganzoo push NAME --repo ganzoo/NAME` from a machine with network access;",
        "the sha256 pins make the bundled file and the Hub file the same bytes.",
        "",
        "| model | architecture | data | FID (floor) | MNIST score (floor) | modes | KL to uniform | steps | wall | img/s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in zoo["models"]:
        met, tr = m["metrics"], m["training"]
        fl = tr.get("floors", {})

        def cell(key: str, digits: int = 3, metrics: dict = met, floors: dict = fl) -> str:
            if key not in metrics:
                return "-"
            out = f"{metrics[key]:.{digits}f}"
            return out + (f" ({floors[key]:.{digits}f})" if key in floors else "")

        lines.append(
            f"| [{m['name']}](#{m['name']}) | {m['architecture']} | {m['dataset']} | {cell('fid', 2)} | "
            f"{cell('score', 2)} | {cell('modes', 0)} | {cell('kl', 3)} | {tr['steps']} | "
            f"{tr['wall_seconds'] / 60:.1f} min | {tr['images_per_second']:.0f} |"
        )
    for m in zoo["models"]:
        tr = m["training"]
        wf = m["weights"][0]
        lines += [
            "",
            f"## {m['name']}",
            "",
            f"![{m['name']} samples](img/models/{m['name']}.png)",
            "",
            f"- Architecture `{m['architecture']}` with options `{json.dumps(m['config'])}` on `{m['dataset']}`, "
            f"loss `{tr['loss']}`, batch {tr['batch_size']}, {tr['steps']} generator steps.",
            f"- Trained in {tr['wall_seconds']:.0f} s ({tr['images_per_second']:.0f} img/s) on {tr['hardware']} "
            f"({tr['device']}, torch {tr['torch']}).",
            f"- Metrics (n={tr['protocol']['n']}, seed {tr['protocol']['seed']}, reference "
            f"{tr['protocol']['reference_split']}): "
            + ", ".join(f"{k} {v}" for k, v in m["metrics"].items())
            + ". Real-vs-real floors: "
            + ", ".join(f"{k} {v}" for k, v in tr.get("floors", {}).items())
            + ".",
            f"- Weights: `{wf['filename']}` ({tr['dtype']}, {wf['size'] / 1e6:.2f} MB, largest sample change "
            f"from fp16 {tr['fp16_max_abs_diff']}), sha256 `{wf['sha256']}`, Hub `{wf['repo_id']}`.",
            f"- Reproduce: `{m['reproduce']}`",
        ]
    return "\n".join(lines) + "\n"


def read_zoo() -> dict[str, Any]:
    """The current ``zoo.json`` (an empty zoo when there is none yet)."""
    return json.loads(ZOO.read_text()) if ZOO.is_file() else {"models": []}


def build(name: str, runs_dir: Path, data_root: str | None) -> dict[str, Any]:
    """Train, export, evaluate and record recipe ``name``; rewrite zoo.json and docs/models.md."""
    from ganzoo.loading import load_run_model

    run_dir = train(name, runs_dir, data_root)
    model = load_run_model(run_dir)  # loaded once: export, evaluation and the record share it
    weights, export_info = export(name, model)
    metrics, evaluation = evaluate(model, data_root)
    entry = record(name, run_dir, model, weights, export_info, metrics, evaluation)
    zoo = read_zoo()  # read late: another build may have written
    entries = {m["name"]: m for m in zoo["models"]}
    entries[name] = entry
    zoo["models"] = [entries[k] for k in sorted(entries)]
    ZOO.write_text(json.dumps(zoo, indent=1) + "\n")
    DOCS_MODELS.write_text(models_doc(zoo))
    return entry


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: build the named recipes (default: all), or list them, or the docs only."""
    parser = argparse.ArgumentParser(
        description="Train, export, evaluate and pin the pretrained zoo."
    )
    parser.add_argument("names", nargs="*", help="recipes to build (default: all)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/zoo"))
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--list", action="store_true", help="print the recipe names and exit")
    parser.add_argument(
        "--docs-only",
        action="store_true",
        help="re-render docs/models.md from zoo.json without training or evaluating",
    )
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(recipe_names()))
        return
    if args.docs_only:
        DOCS_MODELS.write_text(models_doc(read_zoo()))
        print(f"wrote {DOCS_MODELS}")
        return
    for name in args.names:  # every name is checked before the first (long) build starts
        if not (RECIPES / f"{name}.yaml").is_file():
            raise SystemExit(f"no recipe {name!r}; recipes: {', '.join(recipe_names())}")
    for name in args.names or recipe_names():
        entry = build(name, args.runs_dir, args.data_root)
        print(f"{name}: {json.dumps(entry['metrics'])}", flush=True)


if __name__ == "__main__":
    main()
