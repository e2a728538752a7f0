"""Training step rate: ganzoo's :class:`~ganzoo.training.loop.Trainer` against the textbook loop.

    python -m benchmarks.train_step [--quick] [--steps N] [--rounds R] [--data-root DIR] [--no-write]
        [--only in-process|32px|32px-work] [--pairs P] [--steps-32px N]

Both loops train the same architecture objects from the same initial weights with the same
optimizer and batch size; they run alternately in this one process (``--rounds`` rounds of
``--steps`` generator iterations each, after a warm-up) and the tables report median img/s (real
images consumed per second, ``batch * n_critic`` per iteration). On a shared machine only the
*ratios* of interleaved runs mean much; absolute rates are only meaningful on a quiet machine.

The 32 px rows (``--only 32px``; issue 14): ``sngan-resnet`` and ``stylegan2`` on MNIST padded to
32x32, ``ganzoo train`` against ``python -m benchmarks.reference.textbook_modern`` (a plain
PyTorch loop over the same modules, DataLoader with 2 workers), each run as its own fresh
process, paired and alternated by `benchmarks.harness` (``--pairs`` pairs after one warm-up run of
each side); then the achieved GFLOP/s of each architecture's convolutions in ganzoo's training
step (every ``aten.convolution`` and ``aten.convolution_backward`` of the steps timed where it
runs, `ConvTimer`) against a ``torch.mm`` sgemm measured between the steps at the same thread count.

Sections written to docs/benchmarks.md: ``train-step`` (ganzoo vs reference, loss equivalence,
achieved FLOP rate), ``train-levers`` (each switch's measured effect, and oneDNN Conv2d vs
ConvTranspose2d, NCHW vs channels_last), ``train-step-32px`` (the 32 px rows) and
``train-step-32px-work`` (``--only 32px-work``, also run by ``--only 32px``: ganzoo's step and the
textbook iteration in one process, their convolution work and rates and the time outside them).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

import ganzoo
from benchmarks.harness import Side, json_file, scratch_run_dir, tagged_json
from benchmarks.harness import compare as compare_processes
from benchmarks.reference import (
    ReferenceGAN,
    ReferenceWGANGP,
    mnist_loader,
    points_loader,
)
from benchmarks.report import command, machine, publish
from ganzoo.data.mnist import data_root
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer

if TYPE_CHECKING:
    from benchmarks.baselines import Plan

Runner = Callable[[int], None]
NEVER = 10**9


@dataclass(frozen=True)
class Case:
    """One benchmark row: an architecture on a data set at a batch size."""

    name: str
    architecture: str
    data: str
    batch_size: int
    data_options: dict[str, Any] = field(default_factory=dict)
    architecture_options: dict[str, Any] = field(default_factory=dict)
    step_scale: float = 1.0  # fraction of --steps for costlier iterations (n_critic 5)


CASES = (
    Case("dcgan/MNIST b64", "dcgan", "mnist", 64),
    Case("dcgan/MNIST b128", "dcgan", "mnist", 128),
    Case("wgan-gp/MNIST b64 (n_critic 5)", "wgan-gp", "mnist", 64, step_scale=0.2),
    Case("gan/ring-8 b256", "gan", "ring-8", 256, step_scale=4.0),
)

MNIST_32 = {"resolution": 32}
CASES_32PX = (
    Case(
        "sngan-resnet/MNIST-32 width 32 b64 (n_critic 5)",
        "sngan-resnet",
        "mnist",
        64,
        MNIST_32,
        {"width": 32},
        step_scale=0.25,
    ),
    Case("stylegan2/MNIST-32 width 16 b32", "stylegan2", "mnist", 32, MNIST_32, {"width": 16}),
)
"""The 32 px rows: ``--steps-32px`` x ``step_scale`` generator steps per run (sngan-resnet's
iteration holds 5 D steps; stylegan2's 16 take in one lazy R1 and four path-length steps)."""
TEXTBOOK_MODERN = "benchmarks.reference.textbook_modern"
"""The textbook loops of the 32 px rows, run as ``python -m`` with the repository on the path."""


# ----------------------------------------------------------------------------- machine facts
def cpu_clock_ghz() -> float:
    """The CPU clock in GHz from /proc/cpuinfo's ``cpu MHz`` (max over cores; 0 if unknown)."""
    try:
        mhz = [
            float(line.split(":", 1)[1])
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("cpu MHz")
        ]
    except OSError:
        return 0.0
    return max(mhz) / 1000 if mhz else 0.0


def peak_gflops(cores: int | None = None, clock_ghz: float | None = None) -> float:
    """fp32 FMA peak: cores x 2 FMA pipes x 8 fp32 lanes (256 bit) x 2 flops x clock.

    Zen 4 reports AVX-512 but executes 512-bit FMAs as two 256-bit halves, so the AVX2 figure
    is also its AVX-512 peak.
    """
    cores = cores or os.cpu_count() or 1
    clock = clock_ghz if clock_ghz is not None else cpu_clock_ghz()
    return cores * 2 * 8 * 2 * clock


def sgemm_gflops(n: int = 2048, reps: int = 5, threads: int | None = None) -> float:
    """Best GFLOP/s of an ``n x n`` fp32 matrix product: the rate this machine attains in
    practice (a virtual machine reports its base clock, so the nominal peak can be beaten)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    with num_threads(threads):
        torch.mm(a, b)
        best = min(_timed(lambda: torch.mm(a, b)) for _ in range(reps))
    return 2 * n**3 / best / 1e9


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def load_line() -> str:
    """``uptime``-style load averages, e.g. ``load 3.1 / 4.2 / 4.0 (1/5/15 min)``."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min)"


# ----------------------------------------------------------------------------- the two loops
def make_trainer(
    case: Case, out: Path | None = None, device: str = "cpu", **overrides: Any
) -> Trainer:
    """A :class:`Trainer` for ``case`` on ``device`` with records, samples and checkpoints out
    of the way."""
    out = out or scratch_run_dir("ganzoo-bench-")
    config = TrainConfig(
        architecture=case.architecture,
        data=case.data,
        data_options=case.data_options,
        architecture_options=case.architecture_options,
        batch_size=case.batch_size,
        log_every=NEVER,
        sample_every=NEVER,
        checkpoint_every=NEVER,
        diagnostics=[],
        device=device,
        out=str(out),
        **overrides,
    )
    return Trainer.create(config)


def make_reference(case: Case, trainer: Trainer, root: Path) -> ReferenceGAN | ReferenceWGANGP:
    """The textbook loop for ``case`` on fresh modules holding ``trainer``'s current weights."""
    model = ganzoo.build(case.architecture, data=case.data, **case.architecture_options)
    model.generator.load_state_dict(trainer.G.state_dict())
    model.discriminator.load_state_dict(trainer.D.state_dict())
    g, d = model.generator, model.discriminator
    opt = trainer.opt_g.param_groups[0]
    lr, betas = opt["lr"], opt["betas"]
    if case.data == "mnist":
        loader = mnist_loader(str(root), case.batch_size)
    else:
        loader = points_loader(trainer.data.x.cpu(), case.batch_size)
    if case.architecture == "wgan-gp":
        return ReferenceWGANGP(
            g,
            d,
            loader,
            g.latent_dim,
            lr=lr,
            betas=betas,
            n_critic=trainer.n_critic,
            device=trainer.device,
        )
    return ReferenceGAN(g, d, loader, g.latent_dim, lr=lr, betas=betas, device=trainer.device)


@contextlib.contextmanager
def num_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` (None: leave as is), then restore."""
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def ganzoo_runner(trainer: Trainer, threads: int | None = None) -> Runner:
    """``run(k)``: ``k`` generator iterations of ``trainer`` and the one host sync of a record."""

    def run(k: int) -> None:
        with num_threads(threads):
            for _ in range(k):
                trainer.train_step()
            trainer.record(1.0, 1)  # what Trainer.run does every log_every steps

    return run


def swap_adam(trainer: Trainer, **kwargs: Any) -> Trainer:
    """Replace the trainer's (untouched) Adam optimizers by Adam with ``kwargs`` (e.g. fused)."""
    for attr in ("opt_g", "opt_d"):
        old = getattr(trainer.updates, attr)
        group = old.param_groups[0]
        setattr(
            trainer.updates,
            attr,
            torch.optim.Adam(group["params"], lr=group["lr"], betas=group["betas"], **kwargs),
        )
    return trainer


def keep_grads(trainer: Trainer) -> Trainer:
    """Make the trainer's ``zero_grad(set_to_none=True)`` calls zero the gradients in place."""
    for opt in (trainer.opt_g, trainer.opt_d):
        zero = opt.zero_grad
        opt.zero_grad = lambda set_to_none=True, _z=zero: _z(set_to_none=False)  # type: ignore[method-assign]
    return trainer


def interleave(
    runners: dict[str, Runner], steps: int, rounds: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds per iteration of each runner: ``warmup`` iterations each, then ``rounds`` rounds
    in which every runner does ``steps`` iterations in turn."""
    for run in runners.values():
        run(warmup)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            run(steps)
            times[name].append((time.perf_counter() - start) / steps)
    return times


def images_per_second(seconds: list[float], case: Case, n_critic: int) -> float:
    """Median real images consumed per second."""
    return case.batch_size * n_critic / statistics.median(seconds)


# ----------------------------------------------------------------------------- equivalence
def check_equivalence(
    root: Path,
    steps: int = 3,
    batch_size: int = 64,
    architecture_options: dict[str, Any] | None = None,
    limit: int | None = None,
) -> list[dict[str, float]]:
    """Per-step ``loss_d``/``loss_g`` of ganzoo's loop and the reference on dcgan/MNIST from the
    same weights, batches (ganzoo's data order fed to the reference's DataLoader) and latents
    (both loops reuse the D step's fakes in the G step).
    ``limit`` keeps ganzoo to the first images (the reference's sampler indexes the same ones)."""
    options = {"limit": limit} if limit else {}
    case = Case("check", "dcgan", "mnist", batch_size, options, architecture_options or {})
    trainer = make_trainer(case)
    model = ganzoo.build("dcgan", data="mnist", **case.architecture_options)
    model.generator.load_state_dict(trainer.G.state_dict())
    model.discriminator.load_state_dict(trainer.D.state_dict())
    gen = torch.Generator().manual_seed(0)
    latents = [torch.randn(batch_size, trainer.G.latent_dim, generator=gen) for _ in range(steps)]
    feed = list(latents)  # one draw per iteration: both loops' G steps reuse the D step's fakes
    trainer.G.sample_latent = lambda n, generator=None, device=None: feed.pop(0)  # type: ignore[method-assign]
    order: list[Tensor] = []
    next_index = trainer.batches.next_index

    def recording_index() -> Tensor:
        index = next_index()
        order.append(index.clone())
        return index

    trainer.batches.next_index = recording_index  # type: ignore[method-assign]
    ours = []
    for _ in range(steps):
        trainer.train_step()
        record = trainer.record(1.0, 1)
        ours.append((record.loss_d, record.loss_g))
    del trainer.G.sample_latent
    z_iter = iter(latents)
    ref = ReferenceGAN(
        model.generator,
        model.discriminator,
        mnist_loader(str(root), batch_size, num_workers=0, sampler=torch.cat(order).tolist()),
        trainer.G.latent_dim,
        noise=lambda n: next(z_iter),
    )
    theirs = [ref.train_step() for _ in range(steps)]
    return [
        {"step": i + 1, "ganzoo_d": a[0], "ref_d": b[0], "ganzoo_g": a[1], "ref_g": b[1]}
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
    ]


# ----------------------------------------------------------------------------- FLOPs
def count_flops(fn: Callable[[], Any]) -> int | None:
    """FLOPs of the matmuls and convolutions ``fn`` runs (forward and backward); None where
    FlopCounterMode cannot follow (``autograd.grad`` on a leaf, as gradient penalties do)."""
    try:
        with FlopCounterMode(display=False) as counter:
            fn()
    except RuntimeError:
        return None
    return int(counter.get_total_flops())


def pass_rates(
    case: Case, channels_last: bool = False, threads: int | None = None, reps: int = 5
) -> dict[str, dict[str, float]]:
    """GFLOP/s of G's and D's forward+backward passes (weight gradients) at ``case``'s batch."""
    model = ganzoo.build(case.architecture, data=case.data, **case.architecture_options)
    g, d = model.generator.train(), model.discriminator.train()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        g.to(memory_format=fmt)
        d.to(memory_format=fmt)
    z = torch.randn(case.batch_size, g.latent_dim)
    with torch.no_grad():
        x = g(z).contiguous(memory_format=fmt)

    def g_pass() -> None:
        g(z).mean().backward()

    def d_pass() -> None:
        d(x).mean().backward()

    out = {}
    with num_threads(threads):
        for name, fn in (("G fwd+bwd", g_pass), ("D fwd+bwd", d_pass)):
            flops = count_flops(fn) or 0
            fn()
            sec = statistics.median(_timed(fn) for _ in range(reps))
            out[name] = {"gflop": flops / 1e9, "ms": sec * 1e3, "gflops": flops / sec / 1e9}
    return out


def conv_layers(batch_size: int = 64, reps: int = 5) -> list[dict[str, Any]]:
    """Forward+backward GFLOP/s of dcgan/MNIST's four conv layers, NCHW vs channels_last, at
    1 thread and at the default thread count, with the backend torch picks."""
    layers = {
        "G ConvTranspose2d 128->64, 7->14": (
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),
            (128, 7),
            True,
        ),
        "G ConvTranspose2d 64->1, 14->28": (nn.ConvTranspose2d(64, 1, 4, 2, 1), (64, 14), True),
        "D Conv2d 1->64, 28->14": (nn.Conv2d(1, 64, 4, 2, 1), (1, 28), False),
        "D Conv2d 64->128, 14->7": (nn.Conv2d(64, 128, 4, 2, 1, bias=False), (64, 14), True),
    }
    rows = []
    for name, (layer, (c, hw), input_grad) in layers.items():
        for channels_last in (False, True):
            fmt = torch.channels_last if channels_last else torch.contiguous_format
            m = layer.to(memory_format=fmt)
            x = torch.randn(batch_size, c, hw, hw).contiguous(memory_format=fmt)
            x.requires_grad_(input_grad)
            backend = torch._C._select_conv_backend(
                x, m.weight, m.bias, m.stride, m.padding, m.dilation,
                isinstance(m, nn.ConvTranspose2d), getattr(m, "output_padding", (0, 0)), 1, None,
            )  # fmt: skip
            name_of = {9: "MkldnnTranspose (oneDNN)", 8: "Mkldnn (oneDNN)"}
            backend_name = name_of.get(int(backend), str(backend).split(".")[-1])

            def fn(m: nn.Module = m, x: Tensor = x) -> None:
                m(x).sum().backward()

            flops = count_flops(fn) or 0
            row = {"layer": name, "layout": "channels_last" if channels_last else "NCHW"}
            row["backend"] = backend_name
            for threads in (1, None):
                with num_threads(threads):
                    fn()
                    sec = statistics.median(_timed(fn) for _ in range(reps))
                key = "1 thread" if threads == 1 else f"{torch.get_num_threads()} threads"
                row[key] = flops / sec / 1e9
            rows.append(row)
    return rows


# ------------------------------------------------------------------ 32 px, separate processes
def process_plan(case: Case, steps: int) -> Plan:
    """``ganzoo train`` against the textbook loop of the same modules (``textbook_modern.py``),
    each a fresh process, for a 32 px ``case`` at ``steps`` x ``case.step_scale`` steps.

    Raises:
        ValueError: ``case`` is not MNIST at 32 px with a ``width`` (what the textbook loop runs).
    """
    from benchmarks.baselines import GANZOO, PY, REPO, TEXTBOOK_TAG, Plan  # imports this module

    width = case.architecture_options.get("width")
    if case.data != "mnist" or case.data_options != MNIST_32 or width is None:
        raise ValueError(
            f"{case.name}: the textbook loop runs MNIST padded to 32 px at a given width; use "
            f"data 'mnist', data_options {MNIST_32} and architecture_options {{'width': W}}"
        )
    n = max(1, round(steps * case.step_scale))
    common = ["-b", str(case.batch_size), "--steps", str(n)]
    arch = case.architecture
    ganzoo_side = Side(
        f"ganzoo train {arch}",
        [GANZOO, "train", arch, "--data", "mnist", "--resolution", "32", *common,
         "--out", "{tmp}/run", "--set", f"architecture_options.width={width}"],
        json_file("run/run.json", "images_per_second"),
    )  # fmt: skip
    textbook = Side(
        f"textbook {arch}",
        [PY, "-m", TEXTBOOK_MODERN, arch, *common, "--width", str(width)],
        tagged_json(TEXTBOOK_TAG, "images_per_second"),
        {"PYTHONPATH": str(REPO)},  # the benchmarks package, from any folder
    )
    title = f"{case.name}, {n} steps: `ganzoo train` vs textbook loop"
    return Plan(f"train-{arch}", title, ganzoo_side, textbook, "img/s", "ganzoo / textbook")


CONV_OPS = (torch.ops.aten.convolution.default, torch.ops.aten.convolution_backward.default)


@dataclass(frozen=True)
class ConvCall:
    """One convolution that ran: what it was, its FLOPs and its seconds.

    Attributes:
        key: ``fwd``/``bwd``, input and weight shapes, groups (one label per kind of call).
        flops: Its FLOPs (``torch.utils.flop_counter``'s formulas; backward: the gradients
            asked for).
        seconds: Its wall seconds.
    """

    key: str
    flops: int
    seconds: float


class ConvTimer(TorchDispatchMode):
    """Times every ``aten.convolution`` and ``aten.convolution_backward`` run under it.

    Each call runs as it would (same tensors, layouts and backend); only the calls are timed
    (``perf_counter`` around the kernel: synchronous on a CPU) and their FLOPs counted.
    Other ops pass through untimed. ``calls`` lists them in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[ConvCall] = []

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Run ``func``; time and count it when it is a convolution."""
        kwargs = kwargs or {}
        if func not in CONV_OPS:
            return func(*args, **kwargs)
        start = time.perf_counter()
        out = func(*args, **kwargs)
        seconds = time.perf_counter() - start
        flops = flop_registry[func._overloadpacket](*args, **kwargs, out_val=out)
        backward = func is CONV_OPS[1]
        x, w = (args[1], args[2]) if backward else (args[0], args[1])
        groups = args[9] if backward else args[8]
        key = (
            f"{'bwd' if backward else 'fwd'} x{tuple(x.shape)} w{tuple(w.shape)}"
            + (f" groups {groups}" if groups > 1 else "")
            + (" transposed" if (args[7] if backward else args[6]) else "")
        )
        self.calls.append(ConvCall(key, int(flops), seconds))
        return out


def profile_convs(
    steppers: dict[str, Callable[[], Any]], steps: int, threads: int | None = None, top: int = 5
) -> dict[str, dict[str, Any]]:
    """The convolutions of ``steps`` calls of each stepper, timed by `ConvTimer`, against a
    ``torch.mm`` sgemm timed before each call at the same thread count.

    One uncounted warm-up call of each first (oneDNN builds its kernels); then the steppers take
    turns, ``steps`` rounds, each call preceded by one 2048x2048 sgemm (`sgemm_gflops`, one
    repetition).

    Returns:
        Per stepper: ``conv_gflop`` and ``conv_seconds`` (all calls), ``step_seconds`` (the
        calls' wall under the timer), ``conv_gflops`` (their ratio), ``sgemm_gflops`` (median
        of the readings) with ``sgemm_readings``, ``fraction`` (conv / sgemm), ``threads``,
        ``steps`` and ``top`` (the ``top`` kinds of call by time: calls, GFLOP, ms, GFLOP/s).
    """
    timers = {name: ConvTimer() for name in steppers}
    sgemm: dict[str, list[float]] = {name: [] for name in steppers}
    wall = dict.fromkeys(steppers, 0.0)
    with num_threads(threads):
        for step in steppers.values():
            step()
        for _ in range(steps):
            for name, step in steppers.items():
                sgemm[name].append(sgemm_gflops(reps=1))
                start = time.perf_counter()
                with timers[name]:
                    step()
                wall[name] += time.perf_counter() - start
        used = torch.get_num_threads()
    out = {}
    for name, timer in timers.items():
        flops = sum(c.flops for c in timer.calls)
        seconds = sum(c.seconds for c in timer.calls)
        kinds: dict[str, list[float]] = {}
        for c in timer.calls:
            k = kinds.setdefault(c.key, [0, 0.0, 0.0])
            k[0], k[1], k[2] = k[0] + 1, k[1] + c.flops, k[2] + c.seconds
        ranked = sorted(kinds.items(), key=lambda kv: -kv[1][2])[:top]
        gemm = statistics.median(sgemm[name])
        rate = flops / seconds / 1e9 if seconds else 0.0
        out[name] = {
            "steps": steps,
            "threads": used,
            "conv_gflop": flops / 1e9,
            "conv_seconds": seconds,
            "step_seconds": wall[name],
            "conv_gflops": rate,
            "sgemm_gflops": gemm,
            "sgemm_readings": sgemm[name],
            "fraction": rate / gemm if gemm else 0.0,
            "top": [
                {"call": key, "calls": int(n), "gflop": f / 1e9, "ms": sec * 1e3,
                 "gflops": f / sec / 1e9 if sec else 0.0}
                for key, (n, f, sec) in ranked
            ],
        }  # fmt: skip
    return out


def conv_rates(case: Case, steps: int, threads: int | None = None, top: int = 5) -> dict[str, Any]:
    """`profile_convs` of ``steps`` of ganzoo's training step for ``case`` (one stepper)."""
    trainer = make_trainer(case)
    return profile_convs({"ganzoo": trainer.train_step}, steps, threads, top)["ganzoo"]


def textbook_stepper(case: Case, root: Path, iterations: int) -> Callable[[], Any]:
    """One call: the next iteration of the textbook loop (`textbook_modern`) for a 32 px
    ``case``, on fresh modules, its real batches read beforehand (``iterations`` iterations'
    worth) so that only the training is timed."""
    from benchmarks.reference import textbook_modern

    n_dis = textbook_modern.ARCH_SETTINGS[case.architecture]["n_dis"]
    loader = mnist_loader(str(root), case.batch_size, num_workers=0, pad=2, drop_last=True)
    endless = textbook_modern.infiniteloop(loader)
    batches = [next(endless) for _ in range(iterations * n_dis)]
    model = ganzoo.build(case.architecture, data=batches[0][:1], **case.architecture_options)
    g, d = model.generator.train(), model.discriminator.train()
    step = textbook_modern.STEPS[case.architecture](
        g, d, argparse.Namespace(batch_size=case.batch_size)
    )
    feed, count = iter(batches), itertools.count()
    return lambda: step(next(count), feed)


def conv_work(steps: int, quick: bool = False, write: bool = True) -> dict[str, Any]:
    """ganzoo's step against the textbook loop's iteration in this process, interleaved, at
    the 32 px rows' settings: each one's convolution work and rate (`profile_convs`) and the
    time outside the convolutions; prints the section and (when ``write``) puts it in
    docs/benchmarks.md (``train-step-32px-work``)."""
    root = data_root(None)
    results: dict[str, Any] = {}
    start_load = load_line()
    for case in _cases_32px(quick):
        n = max(1, round(steps * case.step_scale))
        steppers = {
            "ganzoo": make_trainer(case).train_step,
            "textbook": textbook_stepper(case, root, n + 1),
        }
        results[case.name] = profile_convs(steppers, n)
    cmd = command("benchmarks.train_step", "--only 32px-work", "--quick" if quick else "")
    cmd += "" if quick else f" --steps-32px {steps}"
    lines = [
        "## Where the 32 px steps' time goes: ganzoo's step vs the textbook loop's iteration",
        "",
        f"Machine: {machine()}; torch {torch.__version__}. Command: `{cmd}` (machine "
        f"{start_load} at the start, {load_line()} at the end). Both loops in this one process, "
        "taking turns iteration by iteration after one warm-up iteration each, on the 32 px "
        "rows' settings: `Trainer.train_step` (channels_last, fakes reused) and the "
        "iteration of `benchmarks/reference/textbook_modern.py` (NCHW; its real batches read "
        "beforehand, so its data loading is not in these figures). Convolutions timed by "
        "`ConvTimer` as in the table above, a 2048x2048 sgemm before each iteration; `other` "
        "is the rest of the iteration's wall time under the timer (elementwise passes, "
        "normalisation, linear layers, optimizer, Python; the timer's own overhead included).",
        "",
        "| architecture | loop | iterations | conv GFLOP / iter | conv s / iter | other s / iter "
        "| conv GFLOP/s | conv / sgemm |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, loops in results.items():
        for loop, v in loops.items():
            n = v["steps"]
            lines.append(
                f"| {name} | {loop} | {n} | {v['conv_gflop'] / n:.2f} | "
                f"{v['conv_seconds'] / n:.3f} | {(v['step_seconds'] - v['conv_seconds']) / n:.3f}"
                f" | {v['conv_gflops']:.1f} | {100 * v['fraction']:.0f}% |"
            )
    lines += [""]
    for name, loops in results.items():
        g, t = loops["ganzoo"], loops["textbook"]
        g_other = g["step_seconds"] - g["conv_seconds"]
        t_other = t["step_seconds"] - t["conv_seconds"]
        lines.append(
            f"* {name}: textbook / ganzoo per iteration: time "
            f"{_fmt_ratio(t['step_seconds'], g['step_seconds'])}, conv work "
            f"{_fmt_ratio(t['conv_gflop'], g['conv_gflop'])}, conv time "
            f"{_fmt_ratio(t['conv_seconds'], g['conv_seconds'])}, other time "
            f"{_fmt_ratio(t_other, g_other)}"
        )
    publish("train-step-32px-work", lines, write=write)
    return results


def _cases_32px(quick: bool) -> list[Case]:
    """`CASES_32PX`, or with ``quick`` the same at width 8."""
    if not quick:
        return list(CASES_32PX)
    return [
        Case(f"{c.architecture}/MNIST-32 width 8 b{c.batch_size} (quick)", c.architecture,
             c.data, c.batch_size, c.data_options, {"width": 8}, c.step_scale)
        for c in CASES_32PX
    ]  # fmt: skip


def run_32px(
    steps: int, pairs: int, quick: bool = False, write: bool = True
) -> dict[str, dict[str, Any]]:
    """The 32 px rows: each case's separate-process comparison, then its convolutions' rate;
    prints the section and (when ``write``) puts it in docs/benchmarks.md (``train-step-32px``)."""
    from benchmarks.baselines import _walls, comparison_lines  # imports this module

    cases = _cases_32px(quick)
    start_load, start = load_line(), time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    rows = []
    for case in cases:
        plan = process_plan(case, steps)
        print(f"== {plan.name}: {plan.title}", flush=True)
        c = compare_processes(plan.a, plan.b, pairs=pairs, warmup=not quick)
        print(c.summary(), flush=True)
        rows.append((plan, c))
        results[case.name] = {"comparison": c.to_dict(), "whole_process_wall": _walls(c)}
    for case in cases:
        n = max(1, round(steps * case.step_scale))
        results[case.name]["convolutions"] = conv_rates(case, n)
    minutes = (time.perf_counter() - start) / 60
    cmd = command("benchmarks.train_step", "--only 32px", "--quick" if quick else "")
    if not quick:
        cmd += f" --pairs {pairs} --steps-32px {steps}"
    lines = [
        "## Training step rate at 32 px: sngan-resnet and stylegan2 (separate processes)",
        "",
        f"Machine: {machine()}; torch {torch.__version__}. Command: `{cmd}` "
        f"({minutes:.1f} minutes; machine {start_load} at the start, {load_line()} at the "
        "end; both sides inherit the thread setting). Every run is its own fresh process: "
        "`ganzoo train` (its img/s from "
        "`run.json`: real images read per second over its training loop, the last step's "
        "samples, checkpoint and default diagnostics included) against "
        "`python -m benchmarks.reference.textbook_modern`, a plain PyTorch loop over the same G "
        "and D modules with the architecture's default loss, optimizer, n_critic and lazy "
        "regularisers (torchvision MNIST padded to 32 px through a DataLoader with 2 workers, "
        "NCHW, `.item()` every iteration; its img/s over its training loop). "
        f"{'No warm-up run' if quick else 'One uncounted warm-up run of each side'}, then "
        "the sides alternate (A B, B A, ...); medians with range and IQR over the pairs; the "
        "ratio is taken pair by pair. Load: `/proc/loadavg` and the CPU busy share before, "
        "during and after each comparison. Target (issue 14): ganzoo >= 1.3x the textbook "
        "loop.",
        "",
        *comparison_lines(rows),
    ]
    lines += [
        "",
        "The convolutions in ganzoo's training step (`ConvTimer`: every `aten.convolution` and "
        "`aten.convolution_backward` of the steps, forward, backward and the regularisers' "
        "double backward, timed where it runs, at the step's shapes and layout; FLOPs by "
        "`torch.utils.flop_counter`'s formulas) against a 2048x2048 `torch.mm` sgemm timed "
        "before each step at the same thread count (median of the readings); one uncounted "
        "warm-up step first. Target (issue 14): the convolutions at >= 50% of the sgemm.",
        "",
        "| architecture | steps | threads | conv GFLOP | conv s | step s (timed) | conv share "
        "| conv GFLOP/s | sgemm GFLOP/s (readings) | conv / sgemm |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for name, r in results.items():
        v = r["convolutions"]
        readings = ", ".join(f"{g:.0f}" for g in v["sgemm_readings"])
        lines.append(
            f"| {name} | {v['steps']} | {v['threads']} | {v['conv_gflop']:.2f} | "
            f"{v['conv_seconds']:.2f} | {v['step_seconds']:.2f} | "
            f"{100 * v['conv_seconds'] / v['step_seconds']:.0f}% | {v['conv_gflops']:.1f} | "
            f"{v['sgemm_gflops']:.1f} ({readings}) | **{100 * v['fraction']:.0f}%** |"
        )
    lines += [
        "",
        "The kinds of convolution call that took the most time (`x`: input shape, `w`: weight "
        "shape, `groups` where grouped; `bwd`: the gradients asked for):",
        "",
        "| architecture | call | calls | GFLOP | ms | GFLOP/s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        for t in r["convolutions"]["top"]:
            lines.append(
                f"| {name} | `{t['call']}` | {t['calls']} | {t['gflop']:.3f} | {t['ms']:.1f} | "
                f"{t['gflops']:.1f} |"
            )
    publish("train-step-32px", lines, write=write)
    results["work"] = conv_work(steps, quick, write)
    return results


# ----------------------------------------------------------------------------- the benchmark
def compare(
    case: Case, root: Path, steps: int, rounds: int, warmup: int, **overrides: Any
) -> dict[str, Any]:
    """Interleaved img/s of ganzoo (defaults, and with ``overrides`` if any) and the reference."""
    steps = max(1, round(steps * case.step_scale))
    trainer = make_trainer(case)
    ref = make_reference(case, trainer, root)
    runners: dict[str, Runner] = {"reference": ref.run, "ganzoo": ganzoo_runner(trainer)}
    if overrides.get("threads"):

        def ref_threads(k: int, n: int = overrides["threads"]) -> None:
            with num_threads(n):
                ref.run(k)

        runners[f"reference, {overrides['threads']} thread"] = ref_threads
    if overrides:
        threads = overrides.pop("threads", None)
        tuned = make_trainer(case, **overrides)
        runners["ganzoo tuned"] = ganzoo_runner(tuned, threads)
    flops = {
        "reference": count_flops(ref.train_step),
        "ganzoo": count_flops(trainer.train_step),
    }
    times = interleave(runners, steps, rounds, warmup)
    ref.close()
    n = trainer.n_critic
    result: dict[str, Any] = {name: images_per_second(t, case, n) for name, t in times.items()}
    result["gflop_per_iter"] = {k: (v / 1e9 if v else None) for k, v in flops.items()}
    result["sec_per_iter"] = {k: statistics.median(v) for k, v in times.items()}
    result["steps"], result["n_critic"] = steps, n
    return result


LEVERS: dict[str, dict[str, Any]] = {
    "defaults (foreach Adam, channels_last, default threads)": {},
    "NCHW (channels_last=False)": {"channels_last": False},
    "fused Adam": {"adam": {"fused": True}},
    "for-loop Adam (foreach=False)": {"adam": {"foreach": False}},
    "zero_grad(set_to_none=False)": {"keep_grads": True},
    "1 thread": {"threads": 1},
    "NCHW + 1 thread": {"channels_last": False, "threads": 1},
    "bf16 autocast (changes numerics)": {"amp": "bf16"},
}


def levers(
    case: Case, steps: int, rounds: int, warmup: int, names: list[str] | None = None
) -> dict[str, float]:
    """Interleaved img/s of ganzoo's loop under each switch of :data:`LEVERS` (or ``names``)."""
    unknown = set(names or ()) - set(LEVERS)
    if unknown:
        raise KeyError(f"unknown levers {sorted(unknown)}; known: {list(LEVERS)}")
    runners: dict[str, Runner] = {}
    for name, lever in LEVERS.items():
        if names is not None and name not in names:
            continue
        lever = dict(lever)
        threads = lever.pop("threads", None)
        adam = lever.pop("adam", None)
        keep = lever.pop("keep_grads", False)
        trainer = make_trainer(case, **lever)
        if adam:
            swap_adam(trainer, **adam)
        if keep:
            keep_grads(trainer)
        runners[name] = ganzoo_runner(trainer, threads)
    times = interleave(runners, steps, rounds, warmup)
    return {name: images_per_second(t, case, 1) for name, t in times.items()}


def compile_rate(case: Case, steps: int, rounds: int) -> dict[str, float]:
    """``compile=True``: first-iteration (compile) seconds and steady img/s vs eager, interleaved."""
    eager = make_trainer(case)
    compiled = make_trainer(case, compile=True)
    start = time.perf_counter()
    compiled.train_step()
    compiled.record(1.0, 1)
    first = time.perf_counter() - start
    times = interleave(
        {"eager": ganzoo_runner(eager), "compiled": ganzoo_runner(compiled)}, steps, rounds, 2
    )
    return {
        "compile_s": first,
        "eager": images_per_second(times["eager"], case, 1),
        "compiled": images_per_second(times["compiled"], case, 1),
    }


def _gf(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print its tables and (unless ``--no-write``) update the docs."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps; skip compile")
    parser.add_argument("--steps", type=int, default=None, help="iterations per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-root", default=None, help="folder holding MNIST/raw")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs alone")
    parser.add_argument(
        "--only",
        choices=("in-process", "32px", "32px-work"),
        default=None,
        help="one part (default: in-process and 32px; 32px includes 32px-work)",
    )
    parser.add_argument("--pairs", type=int, default=3, help="32 px rows: pairs of runs")
    parser.add_argument(
        "--steps-32px", type=int, default=16, help="32 px rows: steps per run (x step_scale)"
    )
    args = parser.parse_args(argv)
    if args.data_root:
        os.environ["GANZOO_DATA"] = args.data_root
    px_steps, px_pairs = (2, 1) if args.quick else (args.steps_32px, args.pairs)
    if args.only == "32px":
        return {"32px": run_32px(px_steps, px_pairs, args.quick, write=not args.no_write)}
    if args.only == "32px-work":
        return {"32px-work": conv_work(px_steps, args.quick, write=not args.no_write)}
    root = data_root(None)
    steps = args.steps or (2 if args.quick else 6)
    rounds = 2 if args.quick else args.rounds
    warmup = 1 if args.quick else 2
    cmd = command("benchmarks.train_step", "--quick" if args.quick else "")
    if args.steps:
        cmd += f" --steps {args.steps}"
    peak, clock = peak_gflops(), cpu_clock_ghz()
    sgemm = {None: sgemm_gflops(), 1: sgemm_gflops(threads=1)}
    header = (
        f"Machine: {machine()}; torch {torch.__version__}, {torch.get_num_threads()} threads "
        f"by default. Peak fp32 FMA: {os.cpu_count()} cores x 2 FMA x 8 lanes x 2 flops x "
        f"{clock:.2f} GHz (the clock the VM reports) = {peak:.0f} GFLOP/s; a 2048x2048 sgemm "
        f"(best of 5) attains {sgemm[None]:.0f} GFLOP/s ({sgemm[1]:.0f} on 1 thread)."
    )
    load_before = load_line()

    results: dict[str, Any] = {"cases": {}}
    tuned = {"channels_last": True, "threads": 1}
    for case in CASES:
        extra = dict(tuned) if case.data == "mnist" else {}
        results["cases"][case.name] = r = compare(case, root, steps, rounds, warmup, **extra)
        print(
            f"{case.name}: "
            + ", ".join(f"{k} {r[k]:.1f} img/s" for k in r if isinstance(r[k], float))
        )
    equiv = check_equivalence(root, steps=3, batch_size=64)
    results["equivalence"] = equiv
    dc = CASES[0]
    rates = {"default threads": pass_rates(dc), "channels_last, 1 thread": pass_rates(dc, True, 1)}
    results["pass_rates"] = rates
    load_after = load_line()

    lines = [
        "## Secondary: training step rate in one process (ganzoo's loop vs the textbook loop)",
        "",
        "Not the headline: both loops run interleaved in this one process, which handicaps the "
        "textbook loop (its DataLoader workers forked and idle between rounds, two loops' "
        "threads and allocators in one process); the headline ratios are the separate-process "
        "ones of [the baselines section](#separate-process-baselines-the-headline-figures). "
        "This table is kept for the loss equivalence, the FLOP counts and the achieved rates.",
        "",
        header,
        f"Machine load: {load_before} before, {load_after} after (2 cores shared with other "
        "jobs: absolute rates are depressed and noisy).",
        f"Command: `{cmd}` ({rounds} rounds x {steps} iterations per loop (x0.2 for wgan-gp, x4 "
        f"for ring), interleaved, after {warmup} warm-up iterations; medians).",
        "",
        "`ganzoo` is `Trainer` with its default config (channels_last, fakes reused in the G step); `ganzoo tuned` adds "
        "`torch.set_num_threads(1)` (see the lever table for why). `reference` is "
        "`benchmarks/reference` (PyTorch DCGAN tutorial style: torchvision MNIST + DataLoader "
        "with 2 workers, `.item()` every step, default threads).",
        "",
        "| case | reference img/s | ganzoo img/s | ratio | ganzoo tuned img/s | ratio "
        "| reference 1 thread img/s | tuned vs ref 1 thread | GFLOP/iter ref / ganzoo |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results["cases"].items():
        tuned_cells = (
            f"{r['ganzoo tuned']:.1f} | {_fmt_ratio(r['ganzoo tuned'], r['reference'])}"
            if "ganzoo tuned" in r
            else "- | -"
        )
        ref1 = r.get("reference, 1 thread")
        ref1_cells = f"{ref1:.1f} | {_fmt_ratio(r['ganzoo tuned'], ref1)}" if ref1 else "- | -"
        g = r["gflop_per_iter"]
        lines.append(
            f"| {name} | {r['reference']:.1f} | {r['ganzoo']:.1f} | "
            f"{_fmt_ratio(r['ganzoo'], r['reference'])} | {tuned_cells} | {ref1_cells} | "
            f"{_gf(g['reference'])} / {_gf(g['ganzoo'])} |"
        )
    lines += [
        "",
        "Loss equivalence (dcgan/MNIST b64, same initial weights, ganzoo's batch order fed to the "
        "reference's DataLoader, same latents, fp32, both loops' own optimizers):",
        "",
        "| step | ganzoo loss_d | reference loss_d | ganzoo loss_g | reference loss_g |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in equiv:
        lines.append(
            f"| {row['step']} | {row['ganzoo_d']:.6f} | {row['ref_d']:.6f} | "
            f"{row['ganzoo_g']:.6f} | {row['ref_g']:.6f} |"
        )
    lines += [
        "",
        f"Achieved FLOP rate of the passes (dcgan/MNIST b64, FlopCounterMode counts; nominal "
        f"peak {peak:.0f} GFLOP/s, sgemm at the same thread count as the measured rate):",
        "",
        "| setting | pass | GFLOP | ms | GFLOP/s | % of nominal peak | % of sgemm |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (setting, passes), threads in zip(rates.items(), (None, 1), strict=True):
        for name, p in passes.items():
            lines.append(
                f"| {setting} | {name} | {p['gflop']:.2f} | {p['ms']:.1f} | {p['gflops']:.1f} | "
                f"{100 * p['gflops'] / peak:.0f}% | {100 * p['gflops'] / sgemm[threads]:.0f}% |"
            )
    publish("train-step", lines, write=not args.no_write)

    # the levers
    lever_case = CASES[0]
    lever_steps = max(1, steps // 2)
    lever_rates = levers(lever_case, lever_steps, rounds, warmup)
    results["levers"] = lever_rates
    base = next(iter(lever_rates.values()))
    comp = None
    if not (args.quick or args.no_compile):
        comp = compile_rate(lever_case, lever_steps, rounds)
        results["compile"] = comp
    layer_rows = conv_layers(lever_case.batch_size)
    results["conv_layers"] = layer_rows
    lines = [
        "## Switches of ganzoo's loop, measured (dcgan/MNIST b64)",
        "",
        header,
        f"Machine load: {load_line()} at the end. Command: `{cmd}` ({rounds} rounds x "
        f"{lever_steps} iterations per setting, interleaved; medians).",
        "",
        "| setting | img/s | vs defaults |",
        "| --- | ---: | ---: |",
    ]
    for name, rate in lever_rates.items():
        lines.append(f"| {name} | {rate:.1f} | {_fmt_ratio(rate, base)} |")
    if comp:
        lines.append(
            f"| `compile=True` (first iteration incl. compile: {comp['compile_s']:.0f} s) | "
            f"{comp['compiled']:.1f} | {_fmt_ratio(comp['compiled'], comp['eager'])} vs eager "
            f"{comp['eager']:.1f} in the same interleave |"
        )
    lines += [
        "",
        "Convolutions alone (forward + backward, batch 64; weight gradients, and input gradients "
        "except for D's first layer; GFLOP/s):",
        "",
        "| layer | layout | backend | GFLOP/s 1 thread | GFLOP/s default threads |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for row in layer_rows:
        vals = [v for k, v in row.items() if k.endswith("thread") or k.endswith("threads")]
        lines.append(
            f"| {row['layer']} | {row['layout']} | {row['backend']} | {vals[0]:.1f} | {vals[1]:.1f} |"
        )
    publish("train-levers", lines, write=not args.no_write)
    if args.only is None:
        results["32px"] = run_32px(px_steps, px_pairs, args.quick, write=not args.no_write)
    return results


if __name__ == "__main__":
    main()
