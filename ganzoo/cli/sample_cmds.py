"""``ganzoo sample``: grids, raw tensors, interpolations (grid or GIF) and per-class grids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ganzoo.cli import options
from ganzoo.errors import ConfigError

TENSOR_SUFFIXES = {".safetensors", ".npz", ".pt"}
non_negative = options.finite_float(0.0, open_low=False)
fps_range = options.finite_float(0.0, 100.0)
steps_range = options.int_range(2, 256, " (frames per interpolation path)")
pairs_range = options.int_range(1, 256, " (interpolation paths)")
nrow_range = options.int_range(1, options.MAX_SAMPLES, " (images per grid row)")


def sample_command(
    name: str = typer.Argument(
        ..., help="Pretrained model name, hf-hub:owner/repo, local-dir:PATH or a run dir."
    ),
    n: int = typer.Option(
        64, "-n", help=f"Number of samples (1..{options.MAX_SAMPLES}).", callback=options.samples
    ),
    seed: int = typer.Option(0, "--seed", callback=options.seed),
    klass: int = typer.Option(
        None, "--class", help="Class to draw (conditional models).", callback=options.class_index
    ),
    out: Path = typer.Option(
        Path("samples.png"),
        "--out",
        "-o",
        help=".png grid, .gif (with --interpolate), or .safetensors/.npz/.pt tensors.",
    ),
    nrow: int = typer.Option(
        None, "--nrow", help="Images per grid row (default: about square).", callback=nrow_range
    ),
    truncation: float = typer.Option(
        None,
        "--truncation",
        help="Truncation trick (architectures with one: biggan, stylegan2); 1 = none, smaller "
        "= more typical samples.",
        callback=non_negative,
    ),
    interpolate: bool = typer.Option(
        False, "--interpolate", help="Paths between latents (spherical for Gaussian latents)."
    ),
    to: int = typer.Option(
        None,
        "--to",
        help="With --interpolate: one path from --seed's latent to this seed's.",
        callback=options.seed,
    ),
    pairs: int = typer.Option(
        None,
        "--pairs",
        help="With --interpolate: random paths from one draw seeded by --seed (default 8).",
        callback=pairs_range,
    ),
    steps: int = typer.Option(
        10,
        "--steps",
        help="With --interpolate: frames per path, ends included.",
        callback=steps_range,
    ),
    fps: float = typer.Option(
        12.0, "--fps", help="Frames per second of a .gif.", callback=fps_range
    ),
    per_class: bool = typer.Option(
        False,
        "--per-class",
        help="Conditional models: one row per class, the same --nrow latents in every row.",
    ),
    device: str = typer.Option(None, "--device", callback=options.device_name),
    revision: str = typer.Option(None, "--revision", help="Hub revision (hf-hub: names)."),
    threads: int | None = options.threads_option(),
) -> None:
    """Draw samples from a model and save a PNG grid (or the raw tensors, or an interpolation)."""
    options.apply_threads(threads)
    suffix = out.suffix.lower()
    allowed = {".png", *TENSOR_SUFFIXES} | ({".gif"} if interpolate else set())
    if suffix not in allowed:
        extra = "" if interpolate else " (.gif goes with --interpolate)"
        raise ConfigError(
            f"--out must end in {', '.join(sorted(allowed))}, got {out.name!r}{extra}"
        )
    if interpolate and per_class:
        raise ConfigError("--interpolate and --per-class draw different grids: pick one")
    if not interpolate and (to is not None or pairs is not None):
        raise ConfigError("--to and --pairs go with --interpolate")
    if to is not None and pairs is not None:
        raise ConfigError("--to draws one path between two seeds; --pairs draws random paths")
    if per_class and klass is not None:
        raise ConfigError("--per-class draws every class; leave out --class")
    import ganzoo

    model = ganzoo.load(name, device=device, revision=revision)
    if interpolate:
        _interpolation(model, out, suffix, seed, to, pairs, steps, klass, truncation, fps, nrow)
        return
    if per_class:
        from ganzoo.latents import class_grid

        grid = class_grid(model, per_class=nrow or 8, seed=seed, truncation=truncation)
        samples = grid.reshape(-1, *grid.shape[2:])
        _write(model, samples, out, suffix, nrow=grid.shape[1], tensor=grid)
        typer.echo(
            f"wrote {grid.shape[0]} classes x {grid.shape[1]} samples of {model.name} to {out}"
        )
        return
    samples = model.sample(n, y=klass, seed=seed, truncation=truncation).float().cpu()
    _write(model, samples, out, suffix, nrow=nrow)
    typer.echo(f"wrote {n} samples of {model.name} to {out}")


def _interpolation(
    model: Any,
    out: Path,
    suffix: str,
    seed: int,
    to: int | None,
    pairs: int | None,
    steps: int,
    klass: int | None,
    truncation: float | None,
    fps: float,
    nrow: int | None,
) -> None:
    from ganzoo.latents import interpolate, is_gaussian, save_gif

    seeds = (seed, to) if to is not None else None
    paths = interpolate(
        model, steps=steps, seeds=seeds, pairs=pairs or 8, seed=seed, y=klass, truncation=truncation
    )
    kind = "spherical" if is_gaussian(model) else "linear"
    if suffix == ".gif":
        save_gif(paths, out, fps=fps, nrow=nrow)
    else:  # a grid: one row per path, one column per step
        _write(model, paths.reshape(-1, *paths.shape[2:]), out, suffix, nrow=steps, tensor=paths)
    between = f"seeds {seed} and {to}" if to is not None else f"{paths.shape[0]} random pairs"
    typer.echo(
        f"wrote a {kind} interpolation of {model.name} ({paths.shape[0]} x {steps} frames, "
        f"{between}) to {out}"
    )


def _write(
    model: Any,
    samples: Any,
    out: Path,
    suffix: str,
    nrow: int | None = None,
    tensor: Any = None,
) -> None:
    """A PNG grid of ``samples``, or ``tensor`` (default: ``samples``) as raw tensors."""
    tensor = samples if tensor is None else tensor
    if suffix == ".png":
        import ganzoo
        from ganzoo.images import save_samples

        modes = None
        if model.data.modality == "points" and model.data.num_modes:
            # a registered mixture's centres, built with the data set's own defaults (a
            # plugin's point data set need not take a size); own points have none to draw
            modes = ganzoo.build(model.data.name).modes
        save_samples(samples, out, modes=modes, nrow=nrow)
    elif suffix == ".safetensors":
        from ganzoo.weights import save_tensors

        save_tensors({"samples": tensor.contiguous()}, out)
    else:  # through memory and one atomic write: a full disk leaves no half file behind
        import io

        from ganzoo.weights import atomic_write_bytes

        buf = io.BytesIO()
        if suffix == ".npz":
            import numpy as np

            np.savez(buf, samples=tensor.numpy())
        else:
            import torch

            torch.save(tensor, buf)
        atomic_write_bytes(out, buf.getvalue())


def register(app: typer.Typer) -> None:
    """Add sample."""
    app.command("sample")(sample_command)
