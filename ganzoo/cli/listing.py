"""``ganzoo list``, ``ganzoo info`` and ``ganzoo plugins``: never import torch."""

from __future__ import annotations

from typing import Any

import typer

from ganzoo.cli.output import print_json, table
from ganzoo.text import clean

KIND_ARG = typer.Argument(
    None,
    help="architecture, loss, diagnostic, dataset, model, metric, extractor or logger (plurals ok).",
)
PATTERN_ARG = typer.Argument(None, help="Shell-style wildcard on names, e.g. '*gan*'.")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")
METRIC_LABELS = {"score": "MNIST score", "fid": "FID", "kl": "KL"}


def _detail(spec: Any) -> str:
    """The one column that differs by kind: what matters most about the entry."""
    kind = spec.kind
    if kind == "architecture":
        return f"loss={spec.default_loss} data={spec.default_data}"
    if kind == "dataset":
        shape = "x".join(str(s) for s in spec.shape) if spec.shape else "(shape from the files)"
        return f"{spec.modality} {shape}" + (
            f", {spec.num_classes} classes" if spec.num_classes else ""
        )
    if kind == "diagnostic":
        return f"{spec.detects} ({'on' if spec.enabled_by_default else 'off'} by default)"
    if kind == "model":
        keys = [k for k in dict.fromkeys((spec.key_metric, "fid")) if k and k in spec.metrics]
        metrics = ", ".join(f"{METRIC_LABELS.get(k, k)} {spec.metrics[k]:.3g}" for k in keys)
        return f"{spec.architecture} on {spec.dataset}" + (f": {metrics}" if metrics else "")
    if kind == "loss":  # what the loss declares of D's scores, as display and detectors read it
        return f"{spec.family}, {spec.scores}" + (", saturating" if spec.saturating else "")
    if kind == "metric":
        return _metric_detail(spec)
    if kind == "extractor":
        fits = ", ".join(spec.datasets) or " or ".join(spec.modalities)
        return f"{', '.join(spec.outputs)} on {fits}"
    if kind == "logger":  # found without importing the library (ganzoo list stays fast)
        from importlib.util import find_spec

        missing = [m for m in spec.requires if find_spec(m) is None]
        if missing:
            return f"missing {', '.join(missing)}: {spec.install or 'pip install ' + missing[0]}"
        return "installed" if spec.requires else "built in"
    return ""


def _metric_detail(spec: Any) -> str:
    """Keys it reports, the features it reads, and where it fits."""
    fits = ", ".join(spec.datasets) or "/".join(spec.modalities)
    features = spec.extractor or "raw values"
    if spec.extractor and spec.raw_fallback:
        features += " (raw elsewhere)"
    return f"{', '.join(spec.outputs)}: {features}; {fits}"


def list_command(
    kind: str | None = KIND_ARG,
    pattern: str | None = PATTERN_ARG,
    as_json: bool = JSON_OPT,
) -> None:
    """List registered entries, optionally of one KIND and matching PATTERN."""
    from ganzoo.registry import get_registry
    from ganzoo.specs import KINDS, normalize_kind

    registry = get_registry()
    if (
        kind is not None
        and pattern is None
        and normalize_kind(kind) not in KINDS
        and any(c in kind for c in "*?[")
    ):
        kind, pattern = None, kind  # `ganzoo list '*gan*'`
    entries = registry.list(kind, pattern)
    failed = [p for p in registry.plugins if p.status in ("failed", "conflict")]
    if failed:
        names = ", ".join(f"{p.name} ({p.distribution or '?'}: {p.status})" for p in failed)
        typer.echo(
            f"warning: plugin(s) not loaded: {clean(names, 300)}; see `ganzoo plugins`", err=True
        )
    if as_json:  # each row as `ganzoo info --json` shows it, defaults (from config models) too
        from ganzoo.api import info

        print_json([info(e.name).as_dict() for e in entries])
        return
    rows = [[e.kind, e.name, _detail(e.spec), e.spec.summary, e.plugin] for e in entries]
    table(None, ["kind", "name", "detail", "summary", "plugin"], rows, flex=3)


def info_command(
    name: str = typer.Argument(..., help="Any registered name."),
    as_json: bool = JSON_OPT,
) -> None:
    """Show everything about one entry (no kind needed: names are global)."""
    from ganzoo.api import info

    data = info(name).as_dict()
    if as_json:
        print_json(data)
        return
    rows = [[k, _fmt(v)] for k, v in data.items() if v not in (None, "", (), [], {})]
    table(f"{data['kind']} {name}", ["field", "value"], rows, flex=1, wrap=True)


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def plugins_command(as_json: bool = JSON_OPT) -> None:
    """Show each plugin: its distribution, version, what it registered, or why it failed."""
    from ganzoo.registry import get_registry

    plugins = get_registry().plugins
    if as_json:
        print_json([p.as_dict() for p in plugins])
        return
    rows = [
        [
            p.name,
            f"{p.distribution or '?'} {p.version or ''}".strip(),
            p.status,
            p.error or f"{len(p.entries)} entries: {', '.join(p.entries)}",
        ]
        for p in plugins
    ]
    table(None, ["plugin", "distribution", "status", "entries / error"], rows, flex=3, wrap=True)


def register(app: typer.Typer) -> None:
    """Add list, info and plugins."""
    app.command("list")(list_command)
    app.command("info")(info_command)
    app.command("plugins")(plugins_command)
