"""``ganzoo export``: a generator or discriminator as an ONNX or TorchScript file."""

from __future__ import annotations

from pathlib import Path

import typer

from ganzoo.cli import options
from ganzoo.errors import ConfigError

SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}


def export_command(
    name: str = typer.Argument(
        ..., help="Pretrained model name, hf-hub:owner/repo, local-dir:PATH or a run dir."
    ),
    format: str = typer.Option("onnx", "--format", "-f", help="onnx or torchscript."),
    part: str = typer.Option(
        "generator", "--part", help="generator or discriminator (a run dir has both)."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="The file (default: NAME-PART.onnx or NAME-PART.pt)."
    ),
    atol: float = typer.Option(
        1e-4,
        "--atol",
        help="Largest absolute difference from PyTorch accepted by the check.",
        callback=options.positive,
    ),
    no_check: bool = typer.Option(
        False, "--no-check", help="Do not run the file to compare with PyTorch."
    ),
    revision: str = typer.Option(None, "--revision", help="Hub revision (hf-hub: names)."),
) -> None:
    """Export a model's generator (or discriminator) with a dynamic batch size, checked against PyTorch."""
    fmt, which = format.strip().lower(), part.strip().lower()
    if fmt not in SUFFIXES:
        raise ConfigError(f"--format is onnx or torchscript, not {format!r}")
    if which not in ("generator", "discriminator"):
        raise ConfigError(f"--part is generator or discriminator, not {part!r}")
    import ganzoo
    from ganzoo.export import export

    # a registered model's discriminator is a part loaded on request (often from the Hub)
    parts = ["discriminator"] if which == "discriminator" and _publishes_d(name) else None
    model = ganzoo.load(name, device="cpu", revision=revision, parts=parts)
    if out is None:
        out = Path(f"{model.name}-{which}{SUFFIXES[fmt]}")
    result = export(model, out, format=fmt, part=which, check=not no_check)  # type: ignore[arg-type]
    typer.echo(result.summary())
    if result.max_abs_diff is not None and result.max_abs_diff > atol:
        raise ConfigError(
            f"the exported file differs from PyTorch by {result.max_abs_diff:.3g} > --atol "
            f"{atol:g}; it was written to {out}, but do not serve it unchecked"
        )


def _publishes_d(name: str) -> bool:
    """Whether ``name`` is a registered pretrained model that pins discriminator weights."""
    from ganzoo.registry import get_registry

    registry = get_registry()
    spec = registry.get(name).spec if name in registry else None
    return spec is not None and any(
        getattr(wf, "role", None) == "discriminator" for wf in getattr(spec, "weights", ())
    )


def register(app: typer.Typer) -> None:
    """Add export."""
    app.command("export")(export_command)
