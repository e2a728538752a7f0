"""Export a model's generator or discriminator to ONNX or TorchScript, checked against PyTorch.

The exported graph takes a batch of any size (the batch dimension is dynamic):

* generator: inputs ``z`` ``(N, latent_dim)`` float32 (and ``y`` ``(N,)`` int64 class labels for
  a conditional model), output ``samples`` ``(N, *sample_shape)`` in [-1, 1];
* discriminator: inputs ``x`` ``(N, *sample_shape)`` float32 (and ``y``), output ``scores``
  ``(N,)``, D's raw scores (logits or critic values, as the model's loss declares).

After writing the file, `export` runs it (onnxruntime for ONNX when it is installed,
``torch.jit.load`` for TorchScript) on fresh inputs of batch sizes other than the one traced and
reports the largest absolute difference from the PyTorch module's outputs. An ONNX file carries
``latent_dim``, ``num_classes``, ``sample_shape`` and the model's name in its metadata.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from ganzoo.errors import ConfigError
from ganzoo.interfaces import Discriminator, Generator
from ganzoo.weights import atomic_write_bytes

Format = Literal["onnx", "torchscript"]
Part = Literal["generator", "discriminator"]
INSTALL = "pip install 'torch-ganzoo[export]'"
CHECK_BATCHES = (1, 3, 8)
"""Batch sizes the exported file is checked at (the graph is traced at batch 2)."""


class GeneratorGraph(nn.Module):
    """G as an exported graph sees it: ``z`` (and ``y``) to samples, always in eval mode.

    Args:
        generator: The generator (set to eval mode).
    """

    def __init__(self, generator: Generator) -> None:
        super().__init__()
        self.generator = generator.eval()

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Samples ``(N, *sample_shape)`` in [-1, 1]."""
        return self.generator(z, y)


class DiscriminatorGraph(nn.Module):
    """D as an exported graph sees it: samples (and ``y``) to raw scores ``(N,)``.

    Args:
        discriminator: The discriminator (set to eval mode).
    """

    def __init__(self, discriminator: Discriminator) -> None:
        super().__init__()
        self.discriminator = discriminator.eval()

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """D's raw scores ``(N,)``."""
        return self.discriminator(x, y)


@dataclass
class ExportResult:
    """What `export` wrote and how closely the file reproduces PyTorch."""

    path: Path
    """The file written."""
    format: str
    """``onnx`` or ``torchscript``."""
    part: str
    """``generator`` or ``discriminator``."""
    inputs: dict[str, list[int | str]] = field(default_factory=dict)
    """Input names and shapes (``"N"`` is the dynamic batch)."""
    output: tuple[str, list[int | str]] = ("", [])
    """The output's name and shape."""
    max_abs_diff: float | None = None
    """The largest |exported - PyTorch| over the checked batches; None when not checked."""
    checked_batches: tuple[int, ...] = ()
    """The batch sizes the file was run at."""
    runtime: str | None = None
    """What ran the file (``onnxruntime 1.x``, ``torch.jit``); None when not checked."""
    note: str = ""
    """Why it was not checked, when it was not."""

    def summary(self) -> str:
        """One line for the command's output."""
        shapes = ", ".join(f"{k} {_shape(v)}" for k, v in self.inputs.items())
        head = f"wrote {self.part} as {self.format} to {self.path} ({shapes} -> {self.output[0]} {_shape(self.output[1])})"
        if self.max_abs_diff is None:
            return f"{head}; not checked: {self.note}"
        batches = ", ".join(map(str, self.checked_batches))
        return f"{head}; max abs difference from PyTorch {self.max_abs_diff:.3g} at batch {batches} ({self.runtime})"


def _shape(dims: list[int | str]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


def _inputs(model: Any, part: Part, batch: int, seed: int) -> dict[str, Tensor]:
    """Example inputs of the part: latents or samples, and labels for a conditional model."""
    gen = torch.Generator().manual_seed(seed)
    g: Generator = model.generator
    device = g._device()
    if part == "generator":
        out = {"z": g.sample_latent(batch, generator=gen, device="cpu").to(device)}
    else:
        # real-looking inputs: G's samples, so D's scores are in their working range
        z = g.sample_latent(batch, generator=gen, device="cpu").to(device)
        y = _labels(g.num_classes, batch, gen, device)
        with torch.no_grad():
            out = {"x": g.eval()(z, y).float()}
    net = model.generator if part == "generator" else model.discriminator
    y = _labels(getattr(net, "num_classes", None), batch, gen, device)  # ACGAN's D takes none
    if y is not None:
        out["y"] = y
    return out


def _labels(k: int | None, n: int, gen: torch.Generator, device: Any) -> Tensor | None:
    return None if k is None else torch.randint(k, (n,), generator=gen).to(device)


def _module(model: Any, part: Part) -> nn.Module:
    """The part wrapped for export: a copy in eval mode with parametrized weights baked in."""
    if part == "discriminator" and model.discriminator is None:
        raise ConfigError(
            f"{model.name} was loaded without a discriminator (only G's weights are published); "
            "export the generator, or a training run's directory, which has both"
        )
    net = copy.deepcopy(model.generator if part == "generator" else model.discriminator)
    _bake(net.eval())
    graph = GeneratorGraph(net) if part == "generator" else DiscriminatorGraph(net)
    return graph.float().eval()  # the exporters restore this mode afterwards


def _bake(net: nn.Module) -> None:
    """Replace every parametrized weight of ``net`` (a copy, in eval mode) by its value.

    Spectral norm (SNGAN, BigGAN) is a parametrization whose eval-mode weight is a constant
    (no power iteration outside training); as a plain parameter it exports to ONNX (which has
    no ``vdot``) and runs faster, with the same outputs. ``remove_parametrizations`` is not used:
    it edits the parametrized class, which a deep copy shares with the original model.
    """
    with torch.no_grad():
        for sub in list(net.modules()):
            if not parametrize.is_parametrized(sub):
                continue
            values = {name: getattr(sub, name).detach().clone() for name in sub.parametrizations}
            sub.__class__ = sub.__class__.__bases__[0]  # the class before parametrization
            del sub._modules["parametrizations"]
            for name, value in values.items():
                sub.register_parameter(name, nn.Parameter(value, requires_grad=False))


def _pack(model: Any, part: Part) -> int:
    """Samples per score: a discriminator that scores packs of m samples (PacGAN's ``pack``)."""
    return int(getattr(model.discriminator, "pack", 1) or 1) if part == "discriminator" else 1


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:300] if text else type(err).__name__


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence the exporters' deprecation and tracer warnings (they concern torch's own code)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def export(
    model: Any,
    path: Path | str,
    format: Format = "onnx",
    part: Part = "generator",
    check: bool = True,
    opset: int = 17,
) -> ExportResult:
    """Write the generator or discriminator of ``model`` as an ONNX or TorchScript file.

    Args:
        model: A [`GANModel`][ganzoo.gan.GANModel] (``ganzoo.load(...)``).
        path: The file to write (atomically).
        format: ``onnx`` (needs the ``onnx`` package) or ``torchscript``.
        part: ``generator`` or ``discriminator``.
        check: Run the file at `CHECK_BATCHES` and compare with PyTorch.
        opset: The ONNX opset.

    Returns:
        What was written, its inputs and output, and the largest absolute difference from
        PyTorch (None when ONNX was not checked because onnxruntime is not installed).

    Raises:
        ConfigError: An unknown format or part, no discriminator, or ``onnx`` not installed.
    """
    if format not in ("onnx", "torchscript"):
        raise ConfigError(f"--format is onnx or torchscript, not {format!r}")
    if part not in ("generator", "discriminator"):
        raise ConfigError(f"--part is generator or discriminator, not {part!r}")
    path = Path(path)
    module = _module(model, part)
    m = _pack(model, part)
    example = _inputs(model, part, batch=2 * m, seed=0)
    names = list(example)
    out_name = "samples" if part == "generator" else "scores"
    with torch.no_grad():
        out_shape = list(module(*example.values()).shape[1:])
    result = ExportResult(
        path=path,
        format=format,
        part=part,
        inputs={k: ["N", *v.shape[1:]] for k, v in example.items()},
        output=(out_name, ["N" if m == 1 else f"N/{m}", *out_shape]),
    )
    try:
        if format == "onnx":
            _write_onnx(model, module, example, names, out_name, path, opset)
            result.inputs = {k: v for k, v in result.inputs.items() if k in _onnx_inputs(path)}
        else:
            with _quiet(), torch.no_grad():
                traced = torch.jit.trace(module, tuple(example.values()))
            buf = io.BytesIO()
            with _quiet():
                torch.jit.save(traced, buf)
            atomic_write_bytes(path, buf.getvalue())
    except ConfigError:
        raise
    except Exception as err:
        other = "torchscript" if format == "onnx" else "onnx"
        raise ConfigError(
            f"{model.arch.name}'s {part} cannot be exported to {format}: {_first_line(err)} "
            f"(try --format {other})"
        ) from err
    if check:
        _check(model, module, part, result, m)
    return result


def _write_onnx(
    model: Any,
    module: nn.Module,
    example: dict[str, Tensor],
    names: list[str],
    out_name: str,
    path: Path,
    opset: int,
) -> None:
    from importlib.util import find_spec

    if find_spec("onnx") is None:
        raise ConfigError(f"--format onnx needs the onnx package: {INSTALL}")
    import onnx

    axes = {k: {0: "N"} for k in [*names, out_name]}
    buf = io.BytesIO()
    with _quiet(), torch.no_grad():
        torch.onnx.export(
            module,
            tuple(example.values()),
            buf,
            input_names=names,
            output_names=[out_name],
            dynamic_axes=axes,
            opset_version=opset,
            dynamo=False,
        )
    proto = onnx.load_from_string(buf.getvalue())
    g: Generator = model.generator
    meta = {
        "ganzoo.model": model.name,
        "ganzoo.architecture": model.arch.name,
        "ganzoo.latent_dim": str(g.latent_dim),
        "ganzoo.num_classes": json.dumps(g.num_classes),
        "ganzoo.sample_shape": json.dumps(list(g.output_shape)),
        "ganzoo.range": "[-1, 1]",
    }
    onnx.helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto)
    atomic_write_bytes(path, proto.SerializeToString())


def _onnx_inputs(path: Path) -> list[str]:
    """The input names of an ONNX file (the exporter drops inputs the graph does not use)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return [i.name for i in model.graph.input]


def _check(model: Any, module: nn.Module, part: Part, result: ExportResult, m: int) -> None:
    """Run the file at `CHECK_BATCHES` (times the pack size); record the largest difference.

    A file that fails at a batch size other than the traced one is a ``ConfigError``.
    """
    runner = _runner(result)
    if runner is None:
        return
    worst = 0.0
    batches = tuple(b * m for b in CHECK_BATCHES)
    for i, batch in enumerate(batches):
        inputs = _inputs(model, part, batch, seed=1 + i)
        with torch.no_grad():
            expected = module(*inputs.values()).float().cpu()
        try:
            got = runner({k: v.cpu() for k, v in inputs.items()})
        except Exception as err:
            raise ConfigError(
                f"the exported {result.format} file of {model.arch.name}'s {part} fails at "
                f"batch {batch} (traced at {2 * m}): {_first_line(err)}; its graph depends on "
                f"the batch size, so it was written to {result.path} but must not be served"
            ) from err
        if tuple(got.shape) != tuple(expected.shape):
            raise ConfigError(
                f"the exported {result.format} file gave shape {tuple(got.shape)} at batch "
                f"{batch}, PyTorch {tuple(expected.shape)}: the batch dimension is not dynamic"
            )
        worst = max(worst, float((got - expected).abs().max()))
    result.max_abs_diff = worst
    result.checked_batches = batches


def _runner(result: ExportResult) -> Any:
    """A function that runs the written file on CPU tensors, or None (with a note) if it can't."""
    if result.format == "torchscript":
        with _quiet():
            loaded = torch.jit.load(str(result.path), map_location="cpu")
        result.runtime = "torch.jit"

        def run_ts(inputs: dict[str, Tensor]) -> Tensor:
            with torch.no_grad():
                return loaded(*inputs.values()).float()

        return run_ts
    from importlib.util import find_spec

    if find_spec("onnxruntime") is None:
        result.note = f"onnxruntime is not installed ({INSTALL})"
        return None
    import onnxruntime

    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    result.runtime = f"onnxruntime {onnxruntime.__version__}"
    names = {i.name for i in session.get_inputs()}

    def run_onnx(inputs: dict[str, Tensor]) -> Tensor:
        feeds = {k: v.numpy() for k, v in inputs.items() if k in names}
        return torch.from_numpy(session.run(None, feeds)[0]).float()

    return run_onnx
