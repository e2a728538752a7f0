"""The scenarios of the detector benchmark and their ground truth.

Three kinds, all cheap on a CPU:

* ``samples``: a "fake generator" drawn from the real data, healthy (every mode) until a known step
  S and collapsed onto k modes after it, shown to the sample-based detectors every 500 steps;
* ``train``: real training of ``gan`` on ring-8 through :class:`~ganzoo.training.loop.Trainer` and
  :class:`~ganzoo.training.watch.DiagnosticsCallback`, with a failure forced at step S by a callback
  (D boosted under minimax; D's scores saturated);
* ``dirac``: the Dirac-GAN of Mescheder et al. 2018 (one-parameter G and D), simulated directly into
  StepRecords, without R1 (oscillates forever) and with R1 (converges).
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganzoo.events import StepRecord

RECORD_DETECTORS = ("vanishing-gradient", "exploding-gradient", "d-overpowering", "oscillation")
SAMPLE_DETECTORS = ("mode-collapse", "sample-diversity")
ALL_DETECTORS = SAMPLE_DETECTORS + RECORD_DETECTORS


@dataclass
class RunResult:
    """One scenario run: its alarms ``(source, step)``, length, failure onset and ground truth."""

    scenario: str
    seed: int
    steps: int
    onset: int | None
    expected: tuple[str, ...]
    tolerated: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ALL_DETECTORS
    alarms: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0
    records: list[StepRecord] = field(default_factory=list)
    """The run's step records (what record detectors read; ``replay_ring`` replays them)."""


def _build(names: tuple[str, ...]) -> list[Any]:
    from ganzoo.api import build

    return [build(n) for n in names]


# ---------------------------------------------------------------- sample-based scenarios
def _ring_stream(data: Any, k: int, n: int, gen: torch.Generator) -> torch.Tensor:
    modes = data.modes
    keep = torch.randperm(modes.shape[0], generator=gen)[:k]
    idx = keep[torch.randint(0, k, (n,), generator=gen)]
    return modes[idx] + 0.01 * torch.randn(n, 2, generator=gen)


def _class_stream(data: Any, classes: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    pool = torch.nonzero(torch.isin(data.y, classes)).flatten()
    idx = pool[torch.randint(0, pool.numel(), (n,), generator=gen)]
    return data.batch(idx)[0]


def samples_run(
    data: Any, name: str, k: int | None, seed: int, steps: int, every: int = 500, n: int = 1000
) -> RunResult:
    """Fake generator from the data: all modes, then (k not None) only k modes from a random S."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    onset = None if k is None else rng.randrange(2000, 3000)
    num_modes = data.modes.shape[0] if data.modes is not None else 10
    dets = _build(SAMPLE_DETECTORS)
    ctx = {"data": data}
    classes = torch.randperm(10, generator=gen)[: k or 10]
    result = RunResult(
        f"fake-{name}-{'healthy' if k is None else f'k{k}'}",
        seed,
        steps,
        onset,
        SAMPLE_DETECTORS if k is not None else (),
        detectors=SAMPLE_DETECTORS,
    )
    t0 = time.perf_counter()
    for step in range(every, steps + 1, every):
        kk = num_modes if onset is None or step < onset else k
        if data.modes is not None:
            x = _ring_stream(data, kk, n, gen)  # type: ignore[arg-type]
        else:
            cls = classes if kk != num_modes else torch.arange(10)
            x = _class_stream(data, cls, n, gen)
        for d in dets:
            result.alarms += [(a.source, a.step) for a in d.on_samples(step, x, ctx)]
    result.seconds = time.perf_counter() - t0
    return result


# ---------------------------------------------------------------- record-based scenarios
class _Intervention:
    """A callback that forces a failure at step ``onset``."""

    def __init__(self, what: str, onset: int) -> None:
        self.what, self.onset, self.done = what, onset, False

    def on_start(self, trainer: Any) -> None: ...
    def on_samples(self, trainer: Any, step: int, samples: Any) -> None: ...
    def on_event(self, trainer: Any, event: Any) -> None: ...
    def on_checkpoint(self, trainer: Any, path: Any) -> None: ...
    def on_end(self, trainer: Any, status: str) -> None: ...

    def on_step(self, trainer: Any, record: StepRecord) -> None:
        if self.done or record.step < self.onset:
            return
        from ganzoo.api import build

        self.done = True
        updates = trainer.updates  # the update rule: loss, optimizers, n_critic, forwards
        if self.what == "d-boost":  # minimax, D lr x10, 5 critic steps
            updates.loss, trainer.loss_name = build("minimax"), "minimax"
            for g in updates.opt_d.param_groups:
                g["lr"] *= 10
            updates.n_critic = 5
        elif self.what in ("d-ahead-minimax", "d-ahead-ns"):  # D's lr x10, loss as named
            loss = "minimax" if self.what == "d-ahead-minimax" else "non-saturating"
            updates.loss, trainer.loss_name = build(loss), loss
            for g in updates.opt_d.param_groups:
                g["lr"] *= 10
        elif self.what == "saturate-ns":  # D's scores x100
            inner = updates.forwards.d

            def scaled(x: Any, y: Any = None) -> Any:
                out = inner(x, y)
                out.scores = out.scores * 100.0
                return out

            updates.forwards.d = scaled


@dataclass(frozen=True)
class TrainScenario:
    """A training scenario: the failure forced at S, the detectors expected to catch it, those
    whose alarms are a tolerated consequence, the detectors watched, the model set-up and length."""

    intervention: str | None
    expected: tuple[str, ...]
    tolerated: tuple[str, ...] = ()
    detectors: tuple[str, ...] = ALL_DETECTORS
    setup: str = "ring"
    steps: int = 1200
    onset: tuple[int, int] | None = None  # None: uniform in [steps // 3, steps // 2)


# A small DCGAN (width 8, latent 32) on MNIST: cheap (about 15 ms a step on one thread), and its
# D saturates within ~100 steps of being sped up under the minimax loss, as Arjovsky & Bottou
# (2017) describe. Its D also dominates the first few hundred steps of healthy training (accuracy
# ~1, D(G(z)) ~0.02, recovering by itself), so these runs score vanishing-gradient only.
SMALL_DCGAN = {"width": 8, "latent_dim": 32}

TRAIN_SCENARIOS: dict[str, TrainScenario] = {
    "ring-healthy": TrainScenario(None, (), SAMPLE_DETECTORS),
    "ring-d-boost": TrainScenario(
        "d-boost", ("d-overpowering",), (*SAMPLE_DETECTORS, "vanishing-gradient")
    ),
    "ring-saturated-ns": TrainScenario(
        "saturate-ns",
        ("exploding-gradient",),
        (*SAMPLE_DETECTORS, "d-overpowering", "vanishing-gradient"),
    ),
    # D's lr x10 from S under the minimax loss: D(G(z)) -> 0 and G's gradient vanishes ...
    "mnist-minimax-d-ahead": TrainScenario(
        "d-ahead-minimax",
        ("vanishing-gradient",),
        detectors=("vanishing-gradient",),
        setup="mnist-small",
        steps=600,
        onset=(200, 400),
    ),
    # ... and the same under the non-saturating loss, where it does not (negative control).
    "mnist-ns-d-ahead": TrainScenario(
        "d-ahead-ns",
        (),
        detectors=("vanishing-gradient",),
        setup="mnist-small",
        steps=600,
        onset=(200, 400),
    ),
}


def train_run(
    scenario: str, seed: int, steps: int | None = None, diagnostics: bool = True
) -> RunResult:
    """Train with the diagnostics the scenario watches; force its failure at S.

    ``ring``: ``gan`` on ring-8 (non-saturating); ``mnist-small``: the small DCGAN on MNIST
    (non-saturating; needs ``GANZOO_DATA``)."""
    import os

    from ganzoo.diagnostics.report import records_from_events
    from ganzoo.training.callbacks import MetricsLogger
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.rundir import read_events
    from ganzoo.training.watch import DiagnosticsCallback

    sc = TRAIN_SCENARIOS[scenario]
    steps = steps or sc.steps
    onset = None
    if sc.intervention is not None:
        lo, hi = sc.onset or (steps // 3, steps // 2)
        onset = random.Random(seed).randrange(lo, hi) // 50 * 50
    if sc.setup == "ring":
        setup: dict[str, Any] = {
            "architecture": "gan",
            "data": "ring-8",
            "data_options": {"size": 20000},
        }
    else:
        setup = {
            "architecture": "dcgan",
            "data": "mnist",
            "data_options": {"root": os.environ.get("GANZOO_DATA", "data")},
            "architecture_options": SMALL_DCGAN,
        }
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            **setup,
            loss="non-saturating",
            steps=steps,
            seed=seed,
            out=str(Path(tmp) / "run"),
            log_every=50,
            sample_every=500,
            checkpoint_every=10**9,
            diagnostics=[],
        )
        trainer = Trainer.create(cfg)
        trainer.callbacks.append(MetricsLogger(trainer.run_dir / "metrics.jsonl"))
        watch = DiagnosticsCallback(_build(sc.detectors)) if diagnostics else None
        if onset is not None:
            trainer.callbacks.append(_Intervention(sc.intervention, onset))  # type: ignore[arg-type]
        if watch is not None:
            trainer.callbacks.append(watch)
        t0 = time.perf_counter()
        trainer.run()
        seconds = time.perf_counter() - t0
        records = records_from_events(read_events(trainer.run_dir))
    result = RunResult(
        scenario,
        seed,
        steps,
        onset,
        sc.expected,
        sc.tolerated,
        detectors=sc.detectors,
        seconds=seconds,
        records=records,
    )
    if watch is not None:
        result.alarms = [(a.source, a.step) for a in watch.alarms]
    return result


def overhead(steps: int, repeats: int) -> dict[str, float]:
    """Cost of the default diagnostics on a healthy ring-8 run, two ways.

    ``direct``: the time spent inside the diagnostics callback (records and sample checks), timed
    around each call, as % of the run's wall time: robust to other load on the machine.
    ``percent``: end to end, the median over ``repeats`` of (on - off) / off for back-to-back
    runs with the default set on and off (order alternating); on a shared machine its noise is
    several percent.
    """
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    class Timed(DiagnosticsCallback):
        spent = 0.0

        def on_step(self, trainer: Any, record: StepRecord) -> None:
            t0 = time.perf_counter()
            super().on_step(trainer, record)
            Timed.spent += time.perf_counter() - t0

        def on_samples(self, trainer: Any, step: int, samples: Any) -> None:
            t0 = time.perf_counter()
            super().on_samples(trainer, step, samples)
            Timed.spent += time.perf_counter() - t0

    times: dict[bool, list[float]] = {True: [], False: []}
    direct: list[float] = []
    for r in range(repeats):
        for on in (False, True) if r % 2 == 0 else (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                cfg = TrainConfig(
                    architecture="gan",
                    data="ring-8",
                    steps=steps,
                    seed=r,
                    out=str(Path(tmp) / "run"),
                    data_options={"size": 20000},
                    checkpoint_every=10**9,
                )
                trainer = Trainer.create(cfg)
                if on:
                    trainer.callbacks.append(Timed(build_diagnostics(None)))
                Timed.spent = 0.0
                t0 = time.perf_counter()
                trainer.run()
                wall = time.perf_counter() - t0
                times[on].append(wall)
                if on:
                    direct.append(100.0 * Timed.spent / wall)
    pairs = sorted(100.0 * (a - b) / b for a, b in zip(times[True], times[False], strict=True))
    return {
        "off_s": sorted(times[False])[len(pairs) // 2],
        "on_s": sorted(times[True])[len(pairs) // 2],
        "percent": pairs[len(pairs) // 2],
        "spread": pairs[-1] - pairs[0],
        "direct": sorted(direct)[len(direct) // 2],
        "steps": steps,
        "repeats": repeats,
    }


# ---------------------------------------------------------------- Dirac-GAN
def dirac_records(
    seed: int, steps: int, gamma: float, lr: float = 0.01, log_every: int = 50
) -> list[StepRecord]:
    """Alternating gradient steps on the Dirac-GAN L = f(psi*theta) + f(0), f(t) = -softplus(-t)
    (Mescheder et al. 2018) with gradient noise; R1 adds gamma/2 psi^2 to D's loss."""
    rng = random.Random(seed)
    theta, psi = rng.uniform(0.5, 1.5) * rng.choice((-1, 1)), rng.uniform(-0.5, 0.5)
    sig = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
    records, acc = [], [0.0] * 6
    for step in range(1, steps + 1):
        # D ascends f(psi*theta) + f(0) - gamma/2 psi^2
        gd = sig(-psi * theta) * theta - gamma * psi + rng.gauss(0, 0.02)
        psi += lr * gd
        # G descends f(psi*theta) (the non-saturating and minimax forms coincide in direction)
        gg = sig(-psi * theta) * psi + rng.gauss(0, 0.02)
        theta -= lr * gg
        s = psi * theta
        loss_d = math.log1p(math.exp(-0.0)) + math.log1p(math.exp(s)) + gamma / 2 * psi * psi
        loss_g = math.log1p(math.exp(-s))
        for i, v in enumerate((loss_d, loss_g, s, abs(gd), abs(gg), sig(s))):
            acc[i] += v
        if step % log_every == 0:
            m = [v / log_every for v in acc]
            records.append(
                StepRecord(
                    step=step,
                    loss_d=m[0],
                    loss_g=m[1],
                    d_real=0.0,
                    d_fake=m[2],
                    p_real=0.5,
                    p_fake=m[5],
                    grad_norm_d=m[3],
                    grad_norm_g=m[4],
                    loss_name="non-saturating",
                )
            )
            acc = [0.0] * 6
    return records


def dirac_run(seed: int, steps: int, r1: bool) -> RunResult:
    """Feed a Dirac-GAN record stream to the record-based detectors."""
    t0 = time.perf_counter()
    dets = _build(RECORD_DETECTORS)
    result = RunResult(
        "dirac-r1" if r1 else "dirac",
        seed,
        steps,
        None if r1 else 0,
        () if r1 else ("oscillation",),
        detectors=RECORD_DETECTORS,
    )
    for rec in dirac_records(seed, steps, gamma=1.0 if r1 else 0.0):
        for d in dets:
            result.alarms += [(a.source, a.step) for a in d.on_step(rec)]
    result.seconds = time.perf_counter() - t0
    return result
