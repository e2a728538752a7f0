"""The contracts of architectures and pretrained models: shapes, ranges, seeds, gradients."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.building import build_architecture
from ganzoo.data.tensor_data import TensorData
from ganzoo.gan import GANModel
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, Generator
from ganzoo.specs import ArchitectureSpec
from ganzoo.testing._report import expect, finite, step
from ganzoo.testing.data import data_for
from ganzoo.testing.metadata import check_spec
from ganzoo.testing.runs import check_round_trip, train_briefly

RANGE_TOLERANCE = 1e-5
"""How far outside [-1, 1] an image sample may be (float rounding of tanh)."""


def check_architecture(
    name: str,
    options: dict[str, Any] | None = None,
    data: TensorData | None = None,
    steps: int = 2,
    batch_size: int = 8,
    workdir: str | Path | None = None,
) -> None:
    """Check architecture ``name`` against ganzoo's contract, on every modality it declares.

    For each modality (or for ``data``): the spec's metadata; G and D are ganzoo's interfaces
    with the sizes the data asks for; initial weights and latents depend on the seed alone;
    G's samples have the data's shape, are finite and (images) within [-1, 1]; D returns one
    score per sample (or per pack), and features of one row per score; every parameter of G
    and D gets a finite gradient from D's scores and auxiliary losses; ``sample(seed=...)`` is
    reproducible; ``steps`` training steps through the Trainer stay finite; and the checkpoint
    they leave loads back into networks with identical outputs.

    Args:
        name: The registered architecture.
        options: Its options (pass small widths to keep the check fast).
        data: Train and size on this data; None: synthetic data shaped like the default data
            set (or ``3x32x32`` images / 2-D points) for each modality.
        steps: Training steps of the short run.
        batch_size: Samples per step (a multiple of any pack size).
        workdir: Where the short run writes (None: a temporary folder).

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    spec = check_spec(name, "architecture")
    assert isinstance(spec, ArchitectureSpec)
    options = dict(options or {})
    datasets = [data] if data is not None else [data_for(spec, m) for m in spec.modalities]
    with tempfile.TemporaryDirectory() as tmp:
        for i, each in enumerate(datasets):
            where = f"architecture {name!r} on {each.spec.modality} {tuple(each.spec.shape or ())}"
            model = _check_build(spec, options, each, where)
            _check_networks(model, each, batch_size, where)
            run_dir = Path(workdir or tmp) / f"run-{spec.name}-{i}"
            trainer = train_briefly(name, options, each, steps, batch_size, run_dir, where)
            check_round_trip(trainer, run_dir, where)


def _check_build(
    spec: ArchitectureSpec, options: dict[str, Any], data: TensorData, where: str
) -> GANModel:
    fix = "make the builder build(config, data) return (Generator, Discriminator) sized from data"
    with step(where, f"building it with {options}", fix):
        torch.manual_seed(0)
        model = build_architecture(spec, data=data.spec, **options)
        torch.manual_seed(0)
        twin = build_architecture(spec, data=data.spec, **options)
    g, d = model.generator, model.discriminator
    expect(
        isinstance(g, Generator),
        where,
        f"G is a {type(g).__name__}",
        "subclass ganzoo.interfaces.Generator",
    )
    expect(
        isinstance(d, Discriminator),
        where,
        f"D is a {type(d).__name__}",
        "subclass ganzoo.interfaces.Discriminator",
    )
    shape = tuple(data.spec.shape or ())
    expect(
        tuple(g.output_shape) == shape,
        where,
        f"G.output_shape is {tuple(g.output_shape)} for data of shape {shape}",
        "size G from the DatasetSpec the builder is given",
    )
    expect(
        isinstance(g.latent_dim, int) and g.latent_dim >= 1,
        where,
        f"G.latent_dim is {g.latent_dim!r}",
        "set latent_dim to the size of z",
    )
    classes = data.spec.num_classes if spec.conditional else None
    expect(
        g.num_classes == classes and d.num_classes == classes,
        where,
        f"num_classes is G {g.num_classes}, D {d.num_classes}; the spec says conditional="
        f"{spec.conditional} and the data has {data.spec.num_classes} classes",
        "set num_classes to the data's classes for a conditional architecture, else None",
    )
    same = all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), twin.state_dict().values(), strict=True)
    )
    expect(
        same,
        where,
        "two builds after torch.manual_seed(0) have different initial weights",
        "initialise with torch's global generator only (no fixed or unseeded RNGs), so a run "
        "is a function of its seed",
    )
    return model


def _labels(g: Generator, n: int) -> Tensor | None:
    return torch.arange(n) % g.num_classes if g.num_classes else None


def _check_networks(model: GANModel, data: TensorData, n: int, where: str) -> None:
    g, d = model.generator, model.discriminator
    assert d is not None
    seeded = [
        g.sample_latent(n, generator=torch.Generator().manual_seed(0), device="cpu") for _ in "ab"
    ]
    expect(
        seeded[0].shape == (n, g.latent_dim) and torch.equal(*seeded),
        where,
        f"sample_latent gave {tuple(seeded[0].shape)} (expected {(n, g.latent_dim)}) or "
        "differed under the same generator",
        "draw latents of shape (n, latent_dim) from the `generator` argument",
    )
    z, y = seeded[0], _labels(g, n)
    real, _ = data.batch(torch.arange(n))
    g.train()
    d.train()
    with step(where, "G(z, y)", "forward(z, y) returns samples of shape (N, *output_shape)"):
        x = g(z, y)
    _check_samples(x, n, data, where, "G(z, y)")
    with step(where, "D.forward_all(x, y)", "forward_all(x, y) returns a DiscriminatorOutput"):
        fake_out = d.forward_all(x, y)
        real_out = d.forward_all(real, y)
    _check_scores(fake_out, n, where)
    total = fake_out.scores.mean() - real_out.scores.mean()
    with step(where, "D.auxiliary_loss", "auxiliary_loss returns a scalar tensor or None"):
        for out, latents, is_real in ((fake_out, z, False), (real_out, None, True)):
            aux = d.auxiliary_loss(out, y, latents, is_real)
            if aux is not None:
                expect(
                    aux.dim() == 0 and finite(aux),
                    where,
                    "auxiliary_loss is not a finite scalar",
                    "return a scalar",
                )
                total = total + aux
    g.zero_grad(set_to_none=True)
    d.zero_grad(set_to_none=True)
    total.backward()
    for net, label in ((g, "G"), (d, "D")):
        missing = [k for k, p in net.named_parameters() if p.requires_grad and p.grad is None]
        expect(
            not missing,
            where,
            f"{label}'s parameters {missing[:5]} get no gradient from D's scores and auxiliary "
            "losses, so training never changes them",
            "use every parameter in forward / forward_all (or register it as a buffer)",
        )
        bad = [k for k, p in net.named_parameters() if p.grad is not None and not finite(p.grad)]
        expect(
            not bad,
            where,
            f"{label}'s gradients of {bad[:5]} are not finite",
            "check the forward pass",
        )
    with step(where, "D.constrain()", "constrain() applies a weight constraint in place"):
        d.constrain()
    first = g.sample(4, seed=1)
    expect(
        torch.equal(first, g.sample(4, seed=1)),
        where,
        "G.sample(4, seed=1) differs between two calls",
        "make forward deterministic in eval mode (no sampling without the given latents)",
    )
    _check_samples(first, 4, data, where, "G.sample(4, seed=1)")


def _check_samples(x: Tensor, n: int, data: TensorData, where: str, what: str) -> None:
    shape = (n, *(data.spec.shape or ()))
    expect(
        isinstance(x, Tensor) and tuple(x.shape) == shape,
        where,
        f"{what} returned shape {tuple(getattr(x, 'shape', ()))}, expected {shape}",
        "return (N, *output_shape) samples",
    )
    expect(finite(x), where, f"{what} holds non-finite values", "check the generator's layers")
    if data.spec.modality == "image":
        lo, hi = float(x.detach().min()), float(x.detach().max())
        expect(
            lo >= -1 - RANGE_TOLERANCE and hi <= 1 + RANGE_TOLERANCE,
            where,
            f"{what} spans [{lo:.4g}, {hi:.4g}], outside [-1, 1]",
            "end the image generator with tanh (the data is scaled to [-1, 1])",
        )


def _check_scores(out: DiscriminatorOutput, n: int, where: str) -> None:
    expect(
        isinstance(out, DiscriminatorOutput),
        where,
        f"forward_all returned {type(out).__name__}",
        "return DiscriminatorOutput(scores, features, aux)",
    )
    s = out.scores
    expect(
        s.dim() == 1 and len(s) >= 1 and n % len(s) == 0,
        where,
        f"D's scores have shape {tuple(s.shape)} for {n} samples",
        "return one raw score per sample (or per pack of samples), shape (N,)",
    )
    expect(finite(s), where, "D's scores are not finite", "check the discriminator's layers")
    f = out.features
    expect(
        f is None or (f.dim() == 2 and f.shape[0] == len(s)),
        where,
        f"D's features have shape {tuple(f.shape) if f is not None else None}",
        "features are the penultimate activations, (N, F) with one row per score",
    )


def check_model(name: str) -> None:
    """Check pretrained model ``name``: its metadata, its weights and its samples.

    It loads (weights checked against their sha256 pins), samples of the data's shape come out
    finite, in [-1, 1] for images and identical for the same seed, and a copy saved with
    ``save_pretrained`` loads back with identical samples and discriminator scores.

    Args:
        name: The registered pretrained model.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    from ganzoo.loading import load, load_local_dir
    from ganzoo.model_folder import save_pretrained

    spec = check_spec(name, "model")
    where = f"model {name!r}"
    fix = "check that the weight files, their sha256 pins and the config match the architecture"
    with step(where, "loading it", fix):
        model = load(name)
    data = TensorData(torch.zeros(0), None, model.data)
    x = model.sample(8, seed=0)
    _check_samples(x, 8, data, where, "sample(8, seed=0)")
    expect(torch.equal(x, model.sample(8, seed=0)), where, "two samples with seed 0 differ", fix)
    expect(model.arch.name == spec.architecture, where, "it loads another architecture", fix)  # type: ignore[union-attr]
    with tempfile.TemporaryDirectory() as tmp, step(where, "save_pretrained and load back", fix):
        save_pretrained(model, Path(tmp) / "copy")
        again = load_local_dir(Path(tmp) / "copy")
    expect(torch.equal(x, again.sample(8, seed=0)), where, "a saved copy samples differently", fix)
    if model.discriminator is not None and again.discriminator is not None:
        with torch.no_grad():
            a = model.discriminator.eval()(
                x, None if model.generator.num_classes is None else _labels(model.generator, 8)
            )
            b = again.discriminator.eval()(
                x, None if model.generator.num_classes is None else _labels(model.generator, 8)
            )
        expect(torch.equal(a, b), where, "a saved copy's discriminator scores differently", fix)
