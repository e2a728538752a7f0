"""Scenarios the detectors were not tuned on (issue 19), and the healthy-run matrix.

Every run trains through ``Trainer`` with every default detector on (as ``ganzoo train`` does)
and gets a ground truth measured *after* the run from 1,000 samples of its final G: on the 2-D
mixtures the PacGAN high-quality fraction and modes (2,500 samples); on MNIST the classifier's
histogram (modes with >= 10% of their share, KL to uniform) and the share of samples near the
data (improved precision, k=3, in the classifier's features). A run *failed* when its
near-the-data share is under 0.25x the real level, or it covers fewer modes than the data has
(KL > 0.5 on MNIST), or a loss or gradient norm went non-finite.

The same ground truth is also measured *at each alarm's step*: on every step an alarm is raised,
`AlarmSnapshots` copies G's weights (the EMA's if the run keeps one) to the CPU, and after the
run each copy is judged like the final G (with the records up to that step). An alarm is
*confirmed* when G at its step fails the ground truth, and *false* when G is healthy both at its
step and at the end (`alarm_verdicts`). Rows written before the snapshots (no ``at_alarm`` key)
are judged by the end truth alone, as they were.

* Failure scenarios (``FAILURES``): the change is made from step 0, so a run whose ground truth
  at the end says it failed counts one true positive when a detector meant for it fires (delay:
  its step), else one miss; a run healthy at the end is a control. A control that failed at an
  alarm's step and recovered by the end is counted in its own column.
* Healthy matrix (``healthy_matrix``): each registered architecture with its default loss and
  data; alarms, confirmed alarms and false alarms are each counted per 10,000 steps, with the
  run's ground truth.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganzoo.events import Alarm, Event, StepRecord
from ganzoo.training.callbacks import Callback

SMALL = {"width": 8, "latent_dim": 32}
SMALL_DCGAN = {"architecture": "dcgan", "architecture_options": SMALL}
MODERN = {"width": 8}


@dataclass(frozen=True)
class Failure:
    """A failure scenario: the config that causes it and the detectors meant to catch it."""

    setup: dict[str, Any]
    meant: tuple[str, ...]
    steps: int = 1500


FAILURES: dict[str, Failure] = {
    "grid25-gan": Failure(
        {"architecture": "gan", "data": "grid-25", "data_options": {"size": 20000}},
        ("sample-quality", "mode-collapse"),
        steps=2500,
    ),
    "d-starved": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "g-lr-x100": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "optimizer": {"lr_g": 2e-2}},
        ("sample-quality", "mode-collapse", "sample-diversity", "exploding-gradient"),
    ),
    "wasserstein-unconstrained": Failure(
        {"architecture": "dcgan", "architecture_options": SMALL, "loss": "wasserstein"},
        ("exploding-gradient", "sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "dcgan-no-bn": Failure(
        {"architecture": "dcgan", "architecture_options": {**SMALL, "d_norm": "none"}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
    # the same failures on the newer architectures, at width 8 to fit a CPU (a step costs
    # 0.3-0.6 s on one thread). G's lr x100 is not one there: sngan-resnet trained healthy
    # through it (seed 0, 750 steps: 10 digits, KL 0.11) and stylegan2 (lr 0.2) diverged within
    # 50 steps, which the trainer itself stops with an error before any record; D starved is.
    "biggan-d-starved": Failure(
        {"architecture": "biggan", "architecture_options": MODERN, "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
        steps=500,
    ),
    "sngan-resnet-d-starved": Failure(
        {
            "architecture": "sngan-resnet",
            "architecture_options": MODERN,
            "optimizer": {"lr_d": 1e-5},
        },
        ("sample-quality", "mode-collapse", "sample-diversity"),
        steps=500,
    ),
    "stylegan2-d-starved": Failure(
        {"architecture": "stylegan2", "architecture_options": MODERN, "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
        steps=500,
    ),
    "ada-d-starved": Failure(
        {**SMALL_DCGAN, "augment": "ada", "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "diffaugment-d-starved": Failure(
        {**SMALL_DCGAN, "augment": "diffaugment", "optimizer": {"lr_d": 1e-5}},
        ("sample-quality", "mode-collapse", "sample-diversity"),
    ),
    "diffaugment-g-lr-x100": Failure(
        {**SMALL_DCGAN, "augment": "diffaugment", "optimizer": {"lr_g": 2e-2}},
        ("sample-quality", "mode-collapse", "sample-diversity", "exploding-gradient"),
    ),
}


@dataclass
class GeneralRun:
    """One run: its alarms ``(source, step, severity)``, ground truth at the end, cost, and the
    ground truth at each alarm's step."""

    scenario: str
    seed: int
    steps: int
    alarms: list[tuple[str, int, str]] = field(default_factory=list)
    truth: dict[str, float] = field(default_factory=dict)
    failed: bool = False
    seconds: float = 0.0
    at_alarm: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per alarm step (a string, as JSON keys are): ``{"truth": ..., "failed": ...}`` of G then."""
    at_record: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The same at every step record's step (every 50 steps; the sample checks among them)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """The run's step records (metrics.jsonl's ``step`` rows): what record detectors read."""
    raised: str = ""
    """What training raised, if it raised (a diverged run is a result; a signal is not). Not
    ``error``: a row with an ``error`` is one that did not run."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON row (without ``kind``)."""
        return asdict(self)


class Snapshots(Callback):
    """A training callback: CPU copies of G's weights (the EMA's when the run keeps one) on
    each step an alarm is raised and at each step record, so that G can be judged as it was
    then.

    ``states`` maps an alarm's step to its copy (one per step, however many alarms share it);
    the copy is taken when the alarm is emitted, which is on the step it names (the detectors
    judge the record or the sample grid of the step just trained). ``checks`` maps each record's
    step to its copy (only with ``every_record``): with them and the run's records, a changed
    record detector can be scored again without training again (`replay`).
    """

    def __init__(self, every_record: bool = True) -> None:
        self.every_record = every_record
        self.states: dict[int, dict[str, torch.Tensor]] = {}
        self.checks: dict[int, dict[str, torch.Tensor]] = {}

    @staticmethod
    def _copy(trainer: Any) -> dict[str, torch.Tensor]:
        g = trainer.ema if trainer.ema is not None else trainer.G
        return {k: v.detach().to("cpu", copy=True) for k, v in g.state_dict().items()}

    def on_event(self, trainer: Any, event: Event) -> None:
        """Copy G's weights on the first alarm of a step."""
        if isinstance(event, Alarm) and event.step not in self.states:
            self.states[event.step] = self._copy(trainer)

    def on_step(self, trainer: Any, record: StepRecord) -> None:
        """Copy G's weights at a step record (with ``every_record``)."""
        if self.every_record:
            self.checks[record.step] = self._copy(trainer)


def ground_truth(model: Any, data: Any, records: list[Any]) -> tuple[dict[str, float], bool]:
    """The ground truth of ``model`` (the final G, or G as it was at an alarm's step) from 1,000
    (mixtures: 2,500) samples of seed 12345, and whether it says the run failed; ``records`` are
    the run's records up to that step (a non-finite loss or gradient norm among them fails it)."""
    from ganzoo.diagnostics._samples import labelling
    from ganzoo.diagnostics.mode_collapse import histogram_stats
    from ganzoo.diagnostics.quality import quality_space

    ctx = {"data": data}
    n = 2500 if getattr(data, "modes", None) is not None else 1000
    with torch.no_grad():
        x = model.sample(n, seed=12345).float().cpu()
    truth: dict[str, float] = {}
    bad = any(
        not math.isfinite(v)
        for r in records
        for v in (r.loss_d, r.loss_g, r.grad_norm_d, r.grad_norm_g)
        if not math.isnan(v)
    ) or any(math.isnan(r.loss_d) or math.isnan(r.loss_g) for r in records)
    truth["non_finite"] = float(bad)
    if not torch.isfinite(x).all():
        return {**truth, "non_finite": 1.0}, True
    space = quality_space(ctx)
    if space is not None:
        truth["near"] = float(space.near(x).float().mean())
        truth["real_level"] = space.real_level
        bad |= truth["near"] < 0.25 * space.real_level
    lab = labelling(ctx)
    if lab is not None:
        labels = lab.fn(x)
        good = labels[labels >= 0]
        counts = torch.bincount(good.long().cpu(), minlength=lab.num_modes)[: lab.num_modes]
        if getattr(data, "modes", None) is not None:
            truth["modes"] = float(int((counts > 0).sum()))
            bad |= truth["modes"] < lab.num_modes
        else:
            covered, kl = histogram_stats(counts, 0.1)
            truth["modes"], truth["kl"] = float(covered), kl
            bad |= covered < lab.num_modes or kl > 0.5
    return truth, bool(bad)


def train(
    name: str,
    setup: dict[str, Any],
    seed: int,
    steps: int,
    sample_every: int = 250,
    record_truths: bool = True,
) -> GeneralRun:
    """Train ``setup`` with the default detectors; the alarms and the measured ground truth
    (with ``record_truths``, also at every record's step: a classic run's cost about doubles).
    """
    from ganzoo.diagnostics.report import records_from_events
    from ganzoo.training.callbacks import MetricsLogger
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.rundir import read_events
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    setup = dict(setup)
    if setup.get("data", "mnist") == "mnist":
        setup["data_options"] = {
            **setup.get("data_options", {}),
            "root": os.environ.get("GANZOO_DATA", "data"),
        }
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(
            **setup,
            steps=steps,
            seed=seed,
            out=str(Path(tmp) / "run"),
            log_every=50,
            sample_every=sample_every,
            checkpoint_every=10**9,
            diagnostics=[],
        )
        t0 = time.perf_counter()
        trainer = Trainer.create(cfg)
        trainer.callbacks.append(MetricsLogger(trainer.run_dir / "metrics.jsonl"))
        watch = DiagnosticsCallback(build_diagnostics(None))
        snaps = Snapshots(every_record=record_truths)
        trainer.callbacks += [watch, snaps]  # every callback sees the alarms watch emits
        raised = ""
        try:
            trainer.run()
        except Exception as exc:  # a run that dies is a failure its records should show
            raised = f"{type(exc).__name__}: {exc}"
            print(f"{name} seed {seed}: run raised {raised}")
        events = read_events(trainer.run_dir)
        records = records_from_events(events)
        g = trainer.ema if trainer.ema is not None else trainer.G
        truth, failed = ground_truth(g, trainer.data, records)
        run = GeneralRun(name, seed, trainer.step, truth=truth, failed=failed, raised=raised)
        run.alarms = [(a.source, a.step, a.severity) for a in watch.alarms]
        run.records = [e for e in events if e.get("event") == "step"]
        for states, into in ((snaps.checks, run.at_record), (snaps.states, run.at_alarm)):
            for step, state in sorted(states.items()):  # G as it was at that step
                if str(step) in run.at_record:  # an alarm on a record's step: judged already
                    into[str(step)] = run.at_record[str(step)]
                    continue
                g.load_state_dict(state)
                t, f = ground_truth(g, trainer.data, [r for r in records if r.step <= step])
                into[str(step)] = {"truth": t, "failed": f}
        run.seconds = time.perf_counter() - t0
    return run


def _dataset(name: str, options: dict[str, Any]) -> Any:
    """The data set a ground truth compares with (MNIST-like: from ``GANZOO_DATA``)."""
    from ganzoo.api import build

    if name in ("mnist", "stacked-mnist") and "root" not in options:
        options = {**options, "root": os.environ.get("GANZOO_DATA", "data")}
    return build(name, **options)


def truth_of(target: str) -> list[tuple[str, dict[str, float], bool]]:
    """The ground truth of every kept checkpoint of a run directory (with the run's records up
    to its step), or of the model ``ganzoo.load(target)`` returns (e.g. a pretrained name).

    Returns:
        ``(checkpoint or model name, truth, failed)`` rows, in step order.

    Raises:
        SystemExit: The run directory keeps no checkpoint.
    """
    path = Path(target)
    if (path / "config.json").is_file():
        from ganzoo.diagnostics.report import records_from_events
        from ganzoo.loading.run_dir import load_run_model
        from ganzoo.training.rundir import read_events, read_run_config

        kept = sorted((path / "checkpoints").glob("step-*"))
        if not kept:
            raise SystemExit(
                f"{path} keeps no checkpoint (checkpoints/step-*): train it with --set "
                "checkpoint_every=N --set keep_checkpoints=K to judge its steps"
            )
        cfg = read_run_config(path)
        data = _dataset(cfg.data, dict(cfg.data_options))
        records = records_from_events(read_events(path))
        out = []
        for ck in kept:
            step = int(ck.name.removeprefix("step-"))
            g = load_run_model(path, checkpoint=ck).generator
            out.append((ck.name, *ground_truth(g, data, [r for r in records if r.step <= step])))
        return out
    import ganzoo

    model = ganzoo.load(target)
    data = _dataset(model.data.name, {})
    return [(target, *ground_truth(model.generator, data, []))]


def healthy_setups() -> dict[str, dict[str, Any]]:
    """Every registered architecture with its default loss and data (as ``ganzoo train NAME``),
    and the default DCGAN under each augmentation (``dcgan+diffaugment``, ``dcgan+ada``)."""
    from ganzoo.registry import list_specs

    out = {}
    for s in list_specs("architecture"):
        setup: dict[str, Any] = {"architecture": s.name}
        data = getattr(s, "default_data", None)
        if data and data != "mnist":
            setup["data"] = data
        out[s.name] = setup
    for augment in ("diffaugment", "ada"):  # the augmentations, on the default DCGAN
        out[f"dcgan+{augment}"] = {"architecture": "dcgan", "augment": augment}
    return out


def replay(
    rows: list[dict[str, Any]], detectors: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The rows as they would be with ``detectors`` (name: config overrides) in place of the
    same detectors as run: their alarms raised again from each row's stored records, and each
    judged by the ground truth at its step (`GeneralRun.at_record`). No training.

    Only record detectors can be replayed (the sample detectors judge grids the rows do not
    keep). A row without records (written before they were stored) is dropped.
    """
    from ganzoo.building import build_entry
    from ganzoo.diagnostics.report import records_from_events
    from ganzoo.diagnostics.report import replay as replay_records
    from ganzoo.errors import GanzooError

    try:  # a wrong name or option: one line, before any row is replayed
        built = [build_entry(name, **options) for name, options in detectors.items()]
    except GanzooError as err:
        raise SystemExit(f"--replay: {err}") from None
    if any(d.wants_samples for d in built):
        raise SystemExit(f"only record detectors can be replayed, not {list(detectors)}")
    out = []
    for row in rows:
        if not row.get("records"):
            continue
        built = [build_entry(name, **options) for name, options in detectors.items()]
        alarms = [list(a) for a in row["alarms"] if a[0] not in detectors]
        raised = replay_records(built, records_from_events(row["records"]))
        alarms += [[a.source, a.step, a.severity] for a in raised]
        alarms.sort(key=lambda a: a[1])
        at = dict(row.get("at_alarm") or {})
        at_record = row.get("at_record") or {}  # failure runs do not keep them
        for _, step, _ in alarms:  # a replayed alarm's step: G as its record saw it
            if str(step) in at_record:
                at.setdefault(str(step), at_record[str(step)])
        out.append({**row, "alarms": alarms, "at_alarm": at})
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Two-sided 95% Wilson interval of ``k`` successes in ``n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def alarm_verdicts(row: dict[str, Any]) -> list[str]:
    """The verdict on each of a row's alarms, in order.

    ``confirmed``: G at the alarm's step fails the ground truth. ``false``: G is healthy at the
    alarm's step and at the end. ``ahead``: healthy at the alarm's step, failed at the end. A row
    written before the alarm-step snapshots (no ``at_alarm``), or an alarm whose step has no
    snapshot, is judged by the end truth alone, as before: ``false`` when the run ended healthy,
    else ``unmeasured``.
    """
    at = row.get("at_alarm")
    out = []
    for _, step, _ in row["alarms"]:
        then = at.get(str(step)) if isinstance(at, dict) else None
        if then is None:
            out.append("unmeasured" if row["failed"] else "false")
        elif then["failed"]:
            out.append("confirmed")
        else:
            out.append("ahead" if row["failed"] else "false")
    return out


def recovered(row: dict[str, Any], meant: tuple[str, ...] | None = None) -> bool:
    """Whether a run healthy at the end failed the ground truth at one of its alarms' steps
    (with ``meant``: at the step of an alarm of one of those detectors)."""
    if row["failed"]:
        return False
    verdicts = alarm_verdicts(row)
    return any(
        v == "confirmed" and (meant is None or src in meant)
        for (src, _, _), v in zip(row["alarms"], verdicts, strict=True)
    )


def _rate(n: int, steps: int) -> str:
    return f"{n} ({1e4 * n / max(steps, 1):.1f})"


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: recall and delay per failure scenario; alarms, confirmed alarms and false alarms
    per architecture; then the scale the rows cover."""
    lines = [
        "| failure scenario | runs | failed (ground truth at the end) | caught by a meant "
        "detector | recall (95% CI) | median delay | failed at an alarm's step, healthy at the "
        "end (by a meant detector) | alarms (confirmed, false) | alarms (source: runs) | "
        "ground truth at the end (median) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    fails = [r for r in rows if r.get("kind") == "failure" and not r.get("error")]
    for name, sc in FAILURES.items():
        rs = [r for r in fails if r["scenario"] == name]
        if not rs:
            continue
        failed = [r for r in rs if r["failed"]]
        caught, delays = 0, []
        for r in failed:
            steps = [s for src, s, _ in r["alarms"] if src in sc.meant]
            if steps:
                caught += 1
                delays.append(min(steps))
        lo, hi = wilson(caught, len(failed))
        recall = f"{caught / len(failed):.2f} ({lo:.2f}-{hi:.2f})" if failed else "-"
        delay = f"{sorted(delays)[len(delays) // 2]}" if delays else "-"
        back = sum(recovered(r) for r in rs)
        back_meant = sum(recovered(r, sc.meant) for r in rs)
        verdicts = [v for r in rs for v in alarm_verdicts(r)]
        n, ok, bad = len(verdicts), verdicts.count("confirmed"), verdicts.count("false")
        lines.append(
            f"| {name} | {len(rs)} | {len(failed)} | {caught} | {recall} | {delay} | "
            f"{back} ({back_meant}) | {n} ({ok}, {bad}) | {_alarm_counts(rs)} | {_truth(rs)} |"
        )
    lines += [
        "",
        "| architecture (default loss, data) | runs | steps | alarms (/ 10k steps) | confirmed: "
        "G fails at the alarm's step (/ 10k) | false: G healthy at the alarm's step and the end "
        "(/ 10k) | alarms (source: runs) | ground truth at the end (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    healthy = [r for r in rows if r.get("kind") == "healthy" and not r.get("error")]
    known = list(healthy_setups())  # the matrix's order, whichever file a row came from
    seen = list(dict.fromkeys(r["scenario"] for r in healthy))
    for name in [n for n in known if n in seen] + [n for n in seen if n not in known]:
        rs = [r for r in healthy if r["scenario"] == name]
        steps = sum(r["steps"] for r in rs)
        verdicts = [v for r in rs for v in alarm_verdicts(r)]
        lines.append(
            f"| {name} | {len(rs)} | {steps:,} | {_rate(len(verdicts), steps)} | "
            f"{_rate(verdicts.count('confirmed'), steps)} | "
            f"{_rate(verdicts.count('false'), steps)} | {_alarm_counts(rs)} | {_truth(rs)} |"
        )
    lines += ["", *detector_table(rows)]
    errors = [r for r in rows if r.get("error")]
    for r in errors:
        lines.append(f"\n{r['scenario']} seed {r['seed']} did not run: {r['error']}")
    lines += ["", _scale(rows)]
    return "\n".join(lines)


def detector_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: each detector's alarms over every row, failure and healthy, by verdict;
    its precision (confirmed / (confirmed + false)); and, over the failure scenarios whose meant
    detectors list it, the share of runs failed at the end in which it fired (at any step). A
    scenario's recall counts any of its meant detectors: this column says which of them does
    the catching."""
    done = [r for r in rows if not r.get("error")]
    verdicts: dict[str, list[str]] = {}
    for r in done:
        for (src, _, _), v in zip(r["alarms"], alarm_verdicts(r), strict=True):
            verdicts.setdefault(src, []).append(v)
    lines = [
        "| detector | alarms | confirmed | ahead of a failure | false | unmeasured | precision "
        "(95% CI) | fired in failed runs of the scenarios that list it (95% CI) | listed in |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for det in sorted(verdicts.keys() | {d for f in FAILURES.values() for d in f.meant}):
        vs = verdicts.get(det, [])
        ok, bad = vs.count("confirmed"), vs.count("false")
        names = [n for n, f in FAILURES.items() if det in f.meant]
        failed = [r for r in done if r.get("kind") == "failure" and r["scenario"] in names]
        failed = [r for r in failed if r["failed"]]
        caught = sum(any(src == det for src, _, _ in r["alarms"]) for r in failed)
        lines.append(
            f"| {det} | {len(vs)} | {ok} | {vs.count('ahead')} | {bad} | "
            f"{vs.count('unmeasured')} | {_share(ok, ok + bad)} | {_share(caught, len(failed))} | "
            f"{len(names)} scenarios |"
        )
    return lines


def _share(k: int, n: int) -> str:
    """``k/n = share (Wilson 95% interval)``, or ``-`` when ``n`` is 0."""
    if n == 0:
        return "-"
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {k / n:.2f} ({lo:.2f}-{hi:.2f})"


def _scale(rows: list[dict[str, Any]]) -> str:
    """One line: how many runs, seeds and steps the tables stand on, and their wall times."""
    done = [r for r in rows if not r.get("error")]
    parts = []
    for kind, what in (("failure", "scenario"), ("healthy", "architecture")):
        rs = [r for r in done if r.get("kind") == kind]
        if not rs:
            continue
        per = [
            sum(r["scenario"] == s for r in rs) for s in dict.fromkeys(r["scenario"] for r in rs)
        ]
        seeds = f"{min(per)}" if min(per) == max(per) else f"{min(per)}-{max(per)}"
        plural = "s" if len(per) != 1 else ""
        parts.append(f"{len(rs)} {kind} runs ({seeds} per {what}, {len(per)} {what}{plural})")
    if not done:
        return "Scale: no runs."
    steps = sorted(r["steps"] for r in done)
    secs = sorted(r.get("seconds", 0.0) for r in done)
    line = (
        f"Scale: {', '.join(parts)}; {steps[0]:,}-{steps[-1]:,} steps a run; wall per run "
        f"(training and ground truths) {secs[len(secs) // 2]:.0f} s median, {secs[0]:.0f}-"
        f"{secs[-1]:.0f} s."
    )
    old = sum(1 for r in done if r["alarms"] and not isinstance(r.get("at_alarm"), dict))
    if old:
        line += (
            f" {old} run(s) with alarms predate the alarm-step snapshots: their alarms are "
            "judged by the end truth alone (false when the run ended healthy, else unmeasured)."
        )
    return line


def _alarm_counts(rs: list[dict[str, Any]]) -> str:
    c: dict[str, int] = {}
    for r in rs:
        for src in {src for src, _, _ in r["alarms"]}:
            c[src] = c.get(src, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "none"


def _truth(rs: list[dict[str, Any]]) -> str:  # the medians of the end truth
    keys = ("near", "modes", "kl")
    out = []
    for k in keys:
        vals = sorted(r["truth"][k] for r in rs if k in r["truth"])
        if vals:
            out.append(f"{k} {vals[len(vals) // 2]:.2f}")
    bad = sum(1 for r in rs if r["truth"].get("non_finite"))
    if bad:
        out.append(f"non-finite in {bad}")
    return ", ".join(out) or "-"


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.diagnostics.general``: run (or read back) and tabulate."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.diagnostics.general")
    parser.add_argument("--seeds", type=int, default=10, help="Seeds per failure scenario.")
    parser.add_argument("--healthy-seeds", type=int, default=3, help="Seeds per architecture.")
    parser.add_argument(
        "--steps",
        type=int,
        default=None,
        help="Steps of every run (default: each failure scenario's own, 1,250 for healthy runs).",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="Comma-separated failure scenarios and/or architectures to run (default: all).",
    )
    parser.add_argument(
        "--kind", choices=("failure", "healthy", "both"), default="both", help="Which runs."
    )
    parser.add_argument("--first-seed", type=int, default=0, help="The first seed to run.")
    parser.add_argument("--out", default="general-runs.jsonl", help="Rows, one a run (append).")
    parser.add_argument("--table-only", action="store_true", help="Tabulate --out; run nothing.")
    parser.add_argument("--no-write", action="store_true", help="Print, do not update the docs.")
    parser.add_argument(
        "--truth-of",
        metavar="RUN_OR_MODEL",
        help="Print the ground truth of each kept checkpoint of a run directory (or of a "
        "pretrained model) and exit; runs nothing else.",
    )
    parser.add_argument(
        "--replay",
        action="append",
        default=[],
        metavar="DETECTOR[:KEY=VALUE,...]",
        help="Tabulate --out with this record detector (and these config overrides) in place of "
        "the one run, its alarms raised again from the stored records; runs nothing and writes "
        "nothing but --replayed.",
    )
    parser.add_argument(
        "--replayed",
        default=None,
        metavar="FILE",
        help="With --replay: also write the replayed rows to FILE (a row file like --out's, "
        "which --table-only --out FILE renders into the docs).",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.truth_of:
        for name, truth, failed in truth_of(args.truth_of):
            figures = ", ".join(f"{k} {v:.3f}" for k, v in truth.items())
            print(f"{name}: {'failed' if failed else 'healthy'} ({figures})")
        return
    out = Path(args.out)
    if args.replay:
        rows = replay(longest_runs(_read_rows(out)), dict(map(_detector_option, args.replay)))
        if args.replayed:
            Path(args.replayed).write_text("".join(json.dumps(r) + "\n" for r in rows))
        print(table(rows))
        return
    if not args.table_only:
        from ganzoo.building import architecture_spec, config_model

        only = set(args.only.split(",")) if args.only else None
        done = done_runs(out)
        if args.kind != "healthy":
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                for name, f in FAILURES.items():
                    if (only is None or name in only) and ("failure", name, seed) not in done:
                        steps = args.steps or f.steps
                        run = train(name, dict(f.setup), seed, steps, record_truths=False)
                        _append_or_stop(out, "failure", run)
        if args.kind != "failure":
            for seed in range(args.first_seed, args.first_seed + args.healthy_seeds):
                for name, setup in healthy_setups().items():
                    if (only is not None and name not in only) or ("healthy", name, seed) in done:
                        continue
                    model = config_model(architecture_spec(setup["architecture"]))
                    if model is not None and "width" in model.model_fields:
                        setup = {**setup, "architecture_options": {"width": 16}}
                    _append_or_stop(out, "healthy", train(name, setup, seed, args.steps or 1250))
    rows = longest_runs(_read_rows(out))
    md = table(rows)
    print(md)
    if not args.no_write:
        from benchmarks.diagnostics.__main__ import DOC
        from benchmarks.report import write_section

        write_section("diagnostics-general", md, doc=DOC)


def _append_or_stop(out: Path, kind: str, run: GeneralRun) -> None:
    """Append ``run``'s row; a run a signal stopped (Ctrl-C, SIGTERM) stops the whole matrix
    after its row is written (a rerun of the same command runs that run again and goes on)."""
    _append(out, kind, run)
    if _cut_by_signal(run.raised):
        raise SystemExit(
            f"stopped by a signal in {run.scenario} seed {run.seed}; its row is marked "
            f"interrupted in {out}: run the same command again to redo it and go on"
        )


def _read_rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def _detector_option(text: str) -> tuple[str, dict[str, Any]]:
    """``NAME[:KEY=VALUE,...]`` as ``(NAME, {KEY: VALUE})``, values read as JSON when they
    parse (numbers, booleans), else as text."""
    name, _, rest = text.partition(":")
    options: dict[str, Any] = {}
    for pair in filter(None, rest.split(",")):
        key, eq, value = pair.partition("=")
        if not eq:
            raise SystemExit(f"--replay {text}: {pair!r} is not KEY=VALUE")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return name, options


def longest_runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per ``(kind, scenario, seed)``: the one that ran the most steps (on a tie, the
    first), leaving out runs a signal cut short.

    A run cut short (stopped by a signal, its process killed and rerun) and its complete rerun
    both land in the rows; the table counts the complete one. A signal is no result
    (`GeneralRun.raised`): its row is dropped even without a rerun.
    """
    best: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in rows:
        if _cut_by_signal(r.get("raised", "")):
            continue
        key = (r.get("kind", ""), r["scenario"], int(r["seed"]))
        if key not in best or r["steps"] > best[key]["steps"]:
            best[key] = r
    return list(best.values())


def done_runs(out: Path) -> set[tuple[str, str, int]]:
    """``(kind, scenario, seed)`` of the rows ``out`` holds already: a rerun skips them, except
    a run a signal cut short (``RunInterrupted``), which a rerun runs again."""
    if not out.is_file():
        return set()
    return {
        (r.get("kind", ""), r["scenario"], int(r["seed"]))
        for r in _read_rows(out)
        if not _cut_by_signal(r.get("raised", ""))
    }


def _cut_by_signal(raised: str) -> bool:
    """Whether a row's ``raised`` says a signal stopped the run (no result: a rerun redoes it)."""
    return raised.startswith("RunInterrupted")


def _append(out: Path, kind: str, run: GeneralRun) -> None:
    with out.open("a") as fh:
        fh.write(json.dumps({"kind": kind, **run.as_dict()}) + "\n")


if __name__ == "__main__":
    main()
