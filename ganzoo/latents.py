"""Latent tools: interpolations between seeds, per-class grids, animated GIFs.

The same draws as [`Generator.sample`][ganzoo.interfaces.Generator.sample]: a seed's latent is
``sample_latent(1)`` from a CPU generator seeded with it, so the ends of an interpolation
between seeds ``a`` and ``b`` are exactly ``model.sample(1, seed=a)`` and
``model.sample(1, seed=b)``. Gaussian latents (N(0, I): every architecture but InfoGAN) are
interpolated on the sphere (`slerp`, as in White 2016, "Sampling Generative Networks"), which
keeps intermediate latents at the norm the generator was trained on; structured latents
(InfoGAN's one-hot and uniform codes) linearly (`lerp`). ``truncation`` applies the
architecture's truncation trick ([`forward_truncated`][ganzoo.interfaces.Generator.forward_truncated])
to every frame.

```python
import ganzoo
from ganzoo.latents import interpolate, class_grid

model = ganzoo.load("dcgan-mnist")
frames = interpolate(model, seeds=(0, 1), steps=8)    # (1, 8, 1, 28, 28)
```
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Generator


def _generator(model: Any) -> Generator:
    """The generator of a `GANModel`, or the argument itself."""
    g = getattr(model, "generator", model)
    if not isinstance(g, Generator):
        raise ConfigError(f"expected a GANModel or a Generator, got {type(model).__name__}")
    return g


def is_gaussian(generator: Any) -> bool:
    """Whether the generator's latents are N(0, I) (it does not override ``sample_latent``)."""
    g = _generator(generator)
    return type(g).sample_latent is Generator.sample_latent


def seed_latents(generator: Any, seeds: list[int]) -> Tensor:
    """One latent per seed, drawn as ``Generator.sample(1, seed=s)`` draws it (on the CPU).

    Args:
        generator: A `GANModel` or a `Generator`.
        seeds: The seeds.

    Returns:
        ``(len(seeds), latent_dim)`` latents on the CPU.
    """
    g = _generator(generator)
    rows = []
    for s in seeds:
        if not 0 <= s < 2**64:
            raise ConfigError(f"seed {s} is not in 0..2**64-1")
        rows.append(g.sample_latent(1, generator=torch.Generator().manual_seed(s), device="cpu"))
    return torch.cat(rows)


def lerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Linear interpolation of rows: ``(1 - t) a + t b`` for each ``t``.

    Args:
        a: ``(N, D)`` start points.
        b: ``(N, D)`` end points.
        t: ``(T,)`` positions in [0, 1].

    Returns:
        ``(N, T, D)``; ``t = 0`` gives ``a`` and ``t = 1`` gives ``b`` exactly.
    """
    t = t.to(a.dtype).view(1, -1, 1)
    out = a.unsqueeze(1) * (1 - t) + b.unsqueeze(1) * t
    return _pin_ends(out, a, b, t)


def slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation of rows along the great circle between ``a`` and ``b``.

    ``sin((1 - t) omega) / sin(omega) a + sin(t omega) / sin(omega) b`` with ``omega`` the angle
    between the rows; nearly parallel rows (``sin(omega) < 1e-6``) fall back to `lerp`.

    Args:
        a: ``(N, D)`` start points.
        b: ``(N, D)`` end points.
        t: ``(T,)`` positions in [0, 1].

    Returns:
        ``(N, T, D)``; ``t = 0`` gives ``a`` and ``t = 1`` gives ``b`` exactly.
    """
    a64, b64 = a.double(), b.double()
    cos = (a64 * b64).sum(1) / (a64.norm(dim=1) * b64.norm(dim=1)).clamp_min(1e-12)
    omega = cos.clamp(-1, 1).acos().view(-1, 1, 1)
    tt = t.double().view(1, -1, 1)
    sin = omega.sin()
    safe = sin.abs() > 1e-6
    wa = torch.where(safe, ((1 - tt) * omega).sin() / sin.where(safe, 1.0), 1 - tt)
    wb = torch.where(safe, (tt * omega).sin() / sin.where(safe, 1.0), tt)
    out = (wa * a64.unsqueeze(1) + wb * b64.unsqueeze(1)).to(a.dtype)
    return _pin_ends(out, a, b, t.view(1, -1, 1))


def _pin_ends(out: Tensor, a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Set the frames at t = 0 and t = 1 to the end points themselves (no rounding)."""
    tt = t.flatten()
    out[:, tt == 0] = a.unsqueeze(1)
    out[:, tt == 1] = b.unsqueeze(1)
    return out


def _render(
    g: Generator, z: Tensor, labels: Tensor | None, truncation: float | None, chunk: int = 256
) -> Tensor:
    """G's samples of CPU latents ``z`` (eval mode, no grad), in chunks, back on the CPU."""
    if truncation is not None and not (truncation >= 0 and math.isfinite(truncation)):
        raise ConfigError(f"truncation must be a finite number >= 0, got {truncation!r}")
    device = g._device()
    was = g.training
    g.eval()
    out = []
    try:
        with torch.no_grad():
            for start in range(0, z.shape[0], chunk):
                zc = z[start : start + chunk].to(device)
                yc = labels[start : start + chunk].to(device) if labels is not None else None
                x = g(zc, yc) if truncation is None else g.forward_truncated(zc, yc, truncation)
                out.append(x.float().cpu())
    finally:
        g.train(was)
    return torch.cat(out)


def _class_labels(g: Generator, y: int | None, n: int) -> Tensor | None:
    if g.num_classes is None:
        if y is not None:
            raise ConfigError(
                "this model is unconditional: it takes no class (--class, y=); "
                "conditional architectures are listed by `ganzoo list architectures`"
            )
        return None
    y = 0 if y is None else y
    if not 0 <= y < g.num_classes:
        raise ConfigError(
            f"class {y} is out of range: this model has classes 0..{g.num_classes - 1}"
        )
    return torch.full((n,), y, dtype=torch.long)


def interpolate(
    model: Any,
    steps: int = 8,
    seeds: tuple[int, int] | None = None,
    pairs: int = 1,
    seed: int = 0,
    y: int | None = None,
    truncation: float | None = None,
    spherical: bool | None = None,
) -> Tensor:
    """Samples along paths between latents: between two seeds, or between random pairs.

    Args:
        model: A `GANModel` or a `Generator`.
        steps: Frames per path, both ends included (>= 2).
        seeds: ``(a, b)``: one path from seed ``a``'s latent to seed ``b``'s, whose ends equal
            ``model.sample(1, seed=a)`` and ``model.sample(1, seed=b)``. None: ``pairs`` paths
            between the latents of one draw seeded with ``seed`` (rows 0-1, 2-3, ...).
        pairs: How many random paths when ``seeds`` is None.
        seed: The seed of the random pairs' draw.
        y: The class of every frame for a conditional model (None: class 0, as
            ``sample(1, seed=...)`` draws); a ``ConfigError`` for an unconditional one.
        truncation: The architecture's truncation trick for every frame (None: none).
        spherical: `slerp` (True) or `lerp` (False); None: slerp for Gaussian latents.

    Returns:
        ``(paths, steps, *sample_shape)`` samples in [-1, 1] on the CPU.

    Raises:
        ConfigError: Fewer than 2 steps, a class for an unconditional model, a class out of
            range, or a truncation the architecture does not have.
    """
    g = _generator(model)
    if not isinstance(steps, int) or steps < 2:
        raise ConfigError(f"an interpolation needs at least 2 steps, got {steps!r}")
    if seeds is not None:
        z = seed_latents(g, list(seeds))
        a, b = z[:1], z[1:2]
    else:
        if not isinstance(pairs, int) or pairs < 1:
            raise ConfigError(f"pairs must be a whole number >= 1, got {pairs!r}")
        draw = g.sample_latent(
            2 * pairs, generator=torch.Generator().manual_seed(seed), device="cpu"
        )
        a, b = draw[0::2], draw[1::2]
    spherical = is_gaussian(g) if spherical is None else spherical
    t = torch.linspace(0, 1, steps)
    path = (slerp if spherical else lerp)(a, b, t)  # (P, T, D)
    flat = path.reshape(-1, path.shape[-1])
    labels = _class_labels(g, y, flat.shape[0])
    x = _render(g, flat, labels, truncation)
    return x.view(path.shape[0], steps, *x.shape[1:])


def class_grid(
    model: Any, per_class: int = 8, seed: int = 0, truncation: float | None = None
) -> Tensor:
    """Every class of a conditional model with the same latents: row = class, column = latent.

    Args:
        model: A conditional `GANModel` or `Generator`.
        per_class: Samples per class (the latents of one draw seeded with ``seed``, shared by
            every class, so a column shows what the class label alone changes).
        seed: The seed of the latents.
        truncation: The architecture's truncation trick (None: none).

    Returns:
        ``(num_classes, per_class, *sample_shape)`` samples in [-1, 1] on the CPU.

    Raises:
        ConfigError: The model is unconditional, or ``per_class`` < 1.
    """
    g = _generator(model)
    if g.num_classes is None:
        raise ConfigError(
            "per-class grids need a conditional model (one that takes a class); this one is "
            "unconditional"
        )
    if not isinstance(per_class, int) or per_class < 1:
        raise ConfigError(f"per_class must be a whole number >= 1, got {per_class!r}")
    z = g.sample_latent(per_class, generator=torch.Generator().manual_seed(seed), device="cpu")
    k = g.num_classes
    x = _render(g, z.repeat(k, 1), torch.arange(k).repeat_interleave(per_class), truncation)
    return x.view(k, per_class, *x.shape[1:])


def save_gif(
    frames: Tensor,
    path: Path | str,
    fps: float = 12.0,
    bounce: bool = True,
    nrow: int | None = None,
) -> Path:
    """An animated GIF of interpolation paths: frame ``i`` shows step ``i`` of every path.

    Args:
        frames: ``(paths, steps, C, H, W)`` images in [-1, 1] (`interpolate`'s output), or
            ``(paths, steps, 2)`` points (each frame a scatter plot).
        path: Where to write it (atomically).
        fps: Frames per second.
        bounce: Play forward then back, so the loop has no jump.
        nrow: Paths per row of each frame (None: about square).

    Returns:
        The path written.
    """
    from ganzoo.images import sample_picture
    from ganzoo.weights import atomic_write_bytes

    if frames.dim() < 3 or frames.shape[1] < 2:
        raise ConfigError(
            f"a GIF needs frames shaped (paths, steps >= 2, ...), got {tuple(frames.shape)}"
        )
    if not fps > 0:
        raise ConfigError(f"fps must be > 0, got {fps!r}")
    order = list(range(frames.shape[1]))
    if bounce:
        order += order[-2:0:-1]
    pictures = [sample_picture(frames[:, i], nrow=nrow).convert("RGB") for i in order]
    buf = io.BytesIO()
    pictures[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=round(1000 / fps),
        loop=0,
    )
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)
