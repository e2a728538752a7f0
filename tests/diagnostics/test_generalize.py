"""Diagnostics that generalize (issue 19): scale-aware gradient detectors that never compare
against a non-finite statistic, the sample-quality detector, and partial collapse judged on few
labelled samples with a stated confidence."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch

from ganzoo.api import build, list_entries
from ganzoo.events import StepRecord

FIXTURES = Path(__file__).parent / "fixtures"


def _critic(step: int, **kw: float | str) -> StepRecord:
    """A WGAN-GP-like record: critic scores, large gradient norms from the first step."""
    base: dict = {
        "loss_d": -5.0,
        "loss_g": 4.0,
        "d_real": 3.0,
        "d_fake": -4.0,
        "p_real": 0.9,
        "p_fake": 0.05,
        "grad_norm_d": 60.0 * math.exp(random.gauss(0, 0.3)),
        "grad_norm_g": 30.0 * math.exp(random.gauss(0, 0.3)),
        "d_accuracy": 0.95,
        "r_t": 0.9,
        "loss_name": "wasserstein-gp",
        "scores": "critic",
    }
    base.update(kw)
    return StepRecord(step=step, **base)


def _feed(det, records: list[StepRecord]) -> list:
    out = []
    for r in records:
        out += det.on_step(r)
    return out


def test_exploding_gradient_waits_for_a_median() -> None:
    """The reported false alarm: D's norm 178 at step 50 of wgan-gp (the first record, median
    NaN). No verdict before ``warmup`` finite norms; then 10x the run's own median is."""
    random.seed(0)
    recs = [_critic(50, grad_norm_d=177.7, grad_norm_g=90.0)]  # the first record
    recs += [_critic(50 * (i + 2)) for i in range(11)]
    assert _feed(build("exploding-gradient"), recs) == []
    # the same first record under a logit loss: still no verdict without a history
    first = _critic(50, grad_norm_d=177.7, scores="logits", loss_name="non-saturating")
    assert build("exploding-gradient").on_step(first) == []
    # after the warm-up a real explosion is judged against the run's own (finite) median
    boom = [_critic(650 + 50 * i, grad_norm_d=20000.0) for i in range(3)]
    alarms = _feed(build("exploding-gradient"), recs + boom)
    assert [a.severity for a in alarms] == ["critical"]
    assert "running median" in alarms[0].message and "nan" not in alarms[0].message
    assert math.isfinite(alarms[0].evidence["running_median"])


def test_exploding_gradient_judges_against_the_recent_peak() -> None:
    """The default DCGAN on MNIST (seed 0, width 16): D's norm ~10-40, then ~1-5 while D
    saturates (steps 300-550), then back to 100-150 as G recovers. 10x the median of that history
    is no explosion; 10x its highest norm is."""
    random.seed(0)

    def rec(step: int, d: float) -> StepRecord:
        return _critic(step, grad_norm_d=d, grad_norm_g=15.0, scores="logits")

    early = [rec(50 * (i + 1), d) for i, d in enumerate([10.1, 7.2, 3.7, 3.2, 18.5])]
    saturated = [rec(300 + 50 * i, 1.3 + 0.2 * i) for i in range(6)]
    back = [rec(600 + 50 * i, d) for i, d in enumerate([35, 39, 42, 36, 118, 105, 128, 84, 126])]
    assert _feed(build("exploding-gradient"), early + saturated + back) == []
    boom = [rec(1050 + 50 * i, 2000.0) for i in range(2)]  # 16x the peak of 128
    alarms = _feed(build("exploding-gradient"), early + saturated + back + boom)
    assert [(a.severity, a.step) for a in alarms] == [("warning", 1100)]
    assert alarms[0].evidence["recent_peak"] == 128.0
    assert "recent peak 128" in alarms[0].message


def test_record_detectors_never_compare_against_nonfinite() -> None:
    """NaN and inf statistics reach no comparison: no exception, no alarm quoting a NaN
    median, and only a non-finite gradient norm (a real failure) raises one."""
    nan, inf = float("nan"), float("inf")
    names = [s.name for s in list_entries("diagnostic") if "samples" not in s.signals]
    streams = {
        "all-nan": [
            StepRecord(50 * (i + 1), nan, nan, nan, nan, scores=sc)
            for i in range(12)
            for sc in ("logits",)
        ],
        "nan-first": [_critic(50, grad_norm_d=nan, grad_norm_g=nan, p_fake=nan, r_t=nan)]
        + [_critic(50 * (i + 2)) for i in range(8)],
        "inf-stats": [
            _critic(50 * (i + 1), p_fake=inf, d_accuracy=nan, r_t=-inf, loss_d=inf)
            for i in range(8)
        ],
    }
    for stream, recs in streams.items():
        for name in names:
            alarms = _feed(build(name), recs)
            for a in alarms:
                assert "median nan" not in a.message, (stream, name, a.message)
                assert all(
                    not (isinstance(v, float) and math.isnan(v))
                    for k, v in a.evidence.items()
                    if "median" in k
                )
            if name == "exploding-gradient":
                assert alarms == [], (stream, alarms)
    random.seed(1)
    recs = [_critic(50 * (i + 1)) for i in range(6)] + [_critic(350, grad_norm_d=inf)]
    alarms = _feed(build("exploding-gradient"), recs)
    assert [a.severity for a in alarms] == ["critical"] and "running median" in alarms[0].message


def _grid_points(n: int, modes: torch.Tensor, seed: int, near: float, k: int) -> torch.Tensor:
    """``near`` of the points on ``k`` of the modes (sigma 0.05), the rest spread over the grid."""
    g = torch.Generator().manual_seed(seed)
    m = int(near * n)
    idx = torch.randint(0, k, (m,), generator=g)
    on = modes[idx] + 0.05 * torch.randn(m, 2, generator=g)
    off = torch.rand(n - m, 2, generator=g) * 5.0 - 2.5
    return torch.cat([on, off])


def test_sample_quality_on_grid25() -> None:
    """Healthy samples are silent; samples that mostly miss the modes raise a warning after the
    warm-up and two low checks; one check of a finished model is judged at once."""
    data = build("grid-25", size=5000)
    ctx = {"data": data}
    det = build("sample-quality")
    for step in range(500, 4001, 500):
        assert det.on_samples(step, _grid_points(1000, data.modes, step, 1.0, 25), ctx) == []
    det = build("sample-quality")
    fired = []
    for step in range(500, 4001, 500):
        fired += det.on_samples(step, _grid_points(1000, data.modes, step, 0.04, 16), ctx)
    assert [(a.step, a.kind, a.severity) for a in fired] == [(1500, "sample-quality", "warning")]
    ev = fired[0].evidence
    assert ev["near_fraction"] < 0.1 and ev["real_level"] > 0.95 and ev["upper_bound"] < 0.25
    assert "99% upper bound" in fired[0].message


def test_measured_grid25_run_is_caught() -> None:
    """The issue's run: ``ganzoo train gan --data grid-25 --steps 4000`` (16 of 25 modes and
    3.9% high-quality samples on 2,500 samples). 8,000 samples of its final checkpoint, replayed
    as a finished model and as the 8 checks of a run, raise sample-quality. mode-collapse rightly
    stays silent: over independent draws its high-quality samples hit 24 of 25 modes (the "16
    modes" of 2,500 samples is the ~97 high-quality samples among them); a true 16-mode collapse
    with as few labelled samples is caught, with its confidence stated."""
    from ganzoo.diagnostics.report import diagnose_samples

    data = build("grid-25", size=5000)
    x = torch.load(FIXTURES / "gan-grid25-4000-steps.pt")
    alarms = diagnose_samples(x[:1000], data, step=4000)
    assert [a.source for a in alarms] == ["sample-quality"]
    assert alarms[0].evidence["near_fraction"] < 0.05
    mc, sq = build("mode-collapse"), build("sample-quality")
    out = []
    for i, step in enumerate(range(500, 4001, 500)):  # 8 checks of 1,000 samples, as training
        chunk = x[1000 * i : 1000 * (i + 1)]
        out += mc.on_samples(step, chunk, {"data": data}) + sq.on_samples(
            step, chunk, {"data": data}
        )
    assert [(a.source, a.step) for a in out] == [("sample-quality", 1500)]
    mc = build("mode-collapse")
    out = []
    for step in range(500, 4001, 500):  # 4% of the samples near 16 of the 25 modes
        out += mc.on_samples(step, _grid_points(1000, data.modes, step, 0.04, 16), {"data": data})
    assert [(a.source, a.severity) for a in out] == [("mode-collapse", "warning")]
    assert "judged on only" in out[0].message and out[0].evidence["p_bound"] < 1e-3
    assert out[0].evidence["modes_covered"] <= 20 and out[0].evidence["samples"] < 625


def test_missing_mode_bound_holds_for_uneven_generators() -> None:
    """The few-sample verdict's p-value bound holds for a generator that gives its weakest modes
    a quarter of their share (Monte Carlo), so healthy uneven histograms stay silent."""
    from ganzoo.diagnostics.mode_collapse import ModeCollapse, p_missing_modes

    g = torch.Generator().manual_seed(0)
    p = torch.tensor([0.25, 0.25] + [1.0] * 8)
    p = p / p.sum()
    n, trials = 60, 4000
    draws = torch.multinomial(p, n * trials, replacement=True, generator=g).view(trials, n)
    missed = torch.stack([(draws == c).any(1) for c in range(10)], 1).logical_not().sum(1)
    for j in (1, 2):
        assert float((missed >= j).double().mean()) <= p_missing_modes(n, 10, j, 0.25)
    det = ModeCollapse()
    for step in range(500, 2001, 500):  # 64-sample grids of that generator: no alarm
        labels = torch.multinomial(p, 64, replacement=True, generator=g)
        assert det.check(step, labels, 10, 64) == []


def test_sample_quality_mnist_features(mnist_root) -> None:
    """MNIST: improved precision (k=3) in the classifier's features. Real images sit at the
    real-vs-real level; noise is far below it."""
    from ganzoo.diagnostics.quality import quality_space

    torch.set_num_threads(1)
    data = build("mnist", root=str(mnist_root))
    space = quality_space({"data": data})
    assert space is not None and 0.8 < space.real_level < 0.95
    real = data.batch(torch.arange(20000, 20256))[0]
    assert float(space.near(real).float().mean()) > 0.75
    det = build("sample-quality")
    noise = torch.rand(256, 1, 28, 28) * 2 - 1
    out = [a for s in (1000, 1500) for a in det.on_samples(s, noise, {"data": data})]
    assert [a.step for a in out] == [1500] and out[0].evidence["near_fraction"] < 0.05


def test_sample_quality_registered_and_no_verdict_without_space() -> None:
    spec = next(s for s in list_entries("diagnostic") if s.name == "sample-quality")
    assert spec.enabled_by_default and "samples" in spec.signals
    det = build("sample-quality")
    assert det.on_samples(2000, torch.zeros(100, 4), {"data": None}) == []


@pytest.mark.parametrize("critic", [False, True])
def test_exploding_floor_follows_the_loss_kind(critic: bool) -> None:
    from ganzoo.diagnostics.exploding import ExplodingGradient

    det = ExplodingGradient()
    rec = _critic(50, scores="critic" if critic else "logits")
    c = det.config
    assert det.floor(rec) == (c.critic_absolute if critic else c.absolute)


def test_general_benchmark_table_and_matrix() -> None:
    """The general benchmark covers every registered architecture and scores a run as caught
    only when a detector meant for its scenario fires and its ground truth says it failed."""
    from benchmarks.diagnostics.general import FAILURES, healthy_setups, table, wilson

    archs = {s.name for s in list_entries("architecture")}
    assert set(healthy_setups()) == archs | {"dcgan+diffaugment", "dcgan+ada"}
    # an architecture whose default data is not MNIST trains on its own (pacgan: ring-8)
    for name, setup in healthy_setups().items():
        spec = next(s for s in list_entries("architecture") if s.name == setup["architecture"])
        assert setup.get("data", "mnist") == (spec.default_data or "mnist")
        assert setup.get("augment", "none") == (name.partition("+")[2] or "none")
    lo, hi = wilson(10, 10)
    assert hi == 1.0 and 0.69 < lo < 0.73  # 10 of 10: 95% CI 0.72-1.00
    rows = [
        {
            "kind": "failure",
            "scenario": "d-starved",
            "seed": 0,
            "steps": 1250,
            "failed": True,
            "alarms": [["sample-quality", 1250, "warning"]],
            "truth": {"near": 0.0},
        },
        {
            "kind": "failure",
            "scenario": "d-starved",
            "seed": 1,
            "steps": 1250,
            "failed": True,
            "alarms": [["d-overpowering", 500, "warning"]],
            "truth": {"near": 0.01},
        },
        {
            "kind": "failure",
            "scenario": "dcgan-no-bn",
            "seed": 0,
            "steps": 1250,
            "failed": False,
            "alarms": [],
            "truth": {"near": 0.6},
        },
        {
            "kind": "healthy",
            "scenario": "dcgan",
            "seed": 0,
            "steps": 1250,
            "failed": False,
            "alarms": [["exploding-gradient", 300, "warning"]],
            "truth": {"near": 0.5},
        },
    ]
    md = table(rows)  # rows written before the alarm-step snapshots: judged by the end truth
    assert "| d-starved | 2 | 2 | 1 | 0.50 (0.09-0.91) | 1250 | 0 (0) | 2 (0, 0) |" in md
    assert "| dcgan-no-bn | 1 | 0 | 0 | - | - | 0 (0) | 0 (0, 0) | none |" in md
    assert "| dcgan | 1 | 1,250 | 1 (8.0) | 0 (0.0) | 1 (8.0) | exploding-gradient: 1 |" in md
    assert "3 run(s) with alarms predate the alarm-step snapshots" in md
    # per detector: verdicts over all rows, precision, and who catches the listed scenarios
    assert (
        "| sample-quality | 1 | 0 | 0 | 0 | 1 | - | 1/2 = 0.50 (0.09-0.91) | 11 scenarios |" in md
    )
    assert "| exploding-gradient | 1 | 0 | 0 | 1 | 0 | 0/1 = 0.00 (0.00-0.79) | - | 3 scen" in md
    assert "Scale: 3 failure runs (1-2 per scenario, 2 scenarios), 1 healthy runs" in md
    assert "d-starved" in FAILURES and "wasserstein-unconstrained" in FAILURES


def _row(kind: str, scenario: str, failed: bool, alarms: list, at: dict | None, seed: int = 0):
    row = {
        "kind": kind,
        "scenario": scenario,
        "seed": seed,
        "steps": 1250,
        "failed": failed,
        "alarms": alarms,
        "truth": {"near": 0.1 if failed else 0.6},
        "seconds": 100.0 + seed,
    }
    if at is not None:  # new rows: the ground truth of G at each alarm's step
        row["at_alarm"] = {str(s): {"truth": {"near": 0.0}, "failed": f} for s, f in at.items()}
    return row


def test_general_benchmark_judges_alarms_at_their_step() -> None:
    """An alarm is confirmed when G at its step fails the ground truth, false only when G is
    healthy at its step and at the end; a run that failed at an alarm and recovered is its own
    column; old rows (no snapshots) are judged by the end truth alone."""
    from benchmarks.diagnostics.general import alarm_verdicts, recovered, table

    mc, eg = ["mode-collapse", 250, "critical"], ["exploding-gradient", 500, "warning"]
    # g-lr-x100 as measured: collapsed at step 250, healthy at the end
    back = _row("failure", "g-lr-x100", False, [mc], {250: True})
    assert alarm_verdicts(back) == ["confirmed"] and recovered(back)
    assert recovered(back, ("mode-collapse",)) and not recovered(back, ("exploding-gradient",))
    # healthy at the alarm and at the end: false; healthy at the alarm, failed at the end: ahead
    assert alarm_verdicts(_row("healthy", "dcgan", False, [eg], {500: False})) == ["false"]
    assert alarm_verdicts(_row("healthy", "gan", True, [eg], {500: False})) == ["ahead"]
    # an old row: the end truth alone
    assert alarm_verdicts(_row("healthy", "gan", True, [mc, eg], None)) == ["unmeasured"] * 2
    assert alarm_verdicts(_row("healthy", "dcgan", False, [eg], None)) == ["false"]
    # a run failed at the end is never "recovered", whatever G was at its alarms
    assert not recovered(_row("failure", "d-starved", True, [mc], {250: True}))

    rows = [
        back,
        _row("failure", "g-lr-x100", False, [eg], {500: False}, seed=1),  # a false alarm
        _row("failure", "g-lr-x100", True, [mc, eg], {250: True, 500: True}, seed=2),
        _row("healthy", "gan", False, [mc, ["sample-diversity", 250, "critical"]], {250: True}),
        _row("healthy", "gan", False, [eg], {500: False}, seed=1),
        _row("healthy", "gan", False, [], {}, seed=2),
    ]
    md = table(rows)
    # 3 runs, 1 failed at the end and caught at 250; 1 failed at its alarm and recovered (by a
    # meant detector); 4 alarms: 3 confirmed, 1 false
    assert "| g-lr-x100 | 3 | 1 | 1 | 1.00 (0.21-1.00) | 250 | 1 (1) | 4 (3, 1) |" in md
    # gan: 3 runs, 3,750 steps; 3 alarms (8.0 / 10k), 2 confirmed (5.3), 1 false (2.7)
    assert "| gan | 3 | 3,750 | 3 (8.0) | 2 (5.3) | 1 (2.7) |" in md
    assert "predate" not in md
    assert "Scale: 3 failure runs (3 per scenario, 1 scenario), 3 healthy runs (3 per" in md
    assert "1,250-1,250 steps a run" in md and "101 s median, 100-102 s" in md


def test_snapshots_copy_g_at_the_alarm_step_and_at_each_record() -> None:
    """The callback keeps one CPU copy of G's weights per alarm step, taken when the alarm is
    emitted, unchanged by later training; the EMA's when the run keeps one."""
    from types import SimpleNamespace

    from benchmarks.diagnostics.general import Snapshots
    from ganzoo.events import Alarm, Notice

    g, ema = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    run = SimpleNamespace(G=g, ema=None)
    snaps = Snapshots()
    alarm = Alarm("mode-collapse", 250, "critical", "m", "s", "mode-collapse")
    snaps.on_event(run, alarm)
    before = g.weight.detach().clone()
    with torch.no_grad():
        g.weight.add_(1.0)  # training goes on
    snaps.on_event(run, Alarm("mode-collapse", 250, "warning", "m", "s", "sample-diversity"))
    snaps.on_event(run, Notice("stopped", 300, "stopped"))
    assert list(snaps.states) == [250]
    assert torch.equal(snaps.states[250]["weight"], before)
    run.ema = ema
    snaps.on_event(run, Alarm("exploding-gradient", 500, "warning", "m", "s", "e"))
    assert torch.equal(snaps.states[500]["weight"], ema.weight.detach())
    # and at every step record, for the replay of record detectors
    snaps.on_step(run, StepRecord(550, 1.0, 1.0, 0.0, 0.0))
    assert list(snaps.checks) == [550]
    assert torch.equal(snaps.checks[550]["weight"], ema.weight.detach())
    only_alarms = Snapshots(every_record=False)  # failure runs judge G at alarms only
    only_alarms.on_step(run, StepRecord(550, 1.0, 1.0, 0.0, 0.0))
    assert only_alarms.checks == {}


def _d_wins(step: int) -> dict:
    """A metrics.jsonl step row in which D wins outright (non-saturating logits)."""
    return {
        "event": "step", "step": step, "loss_d": 0.01, "loss_g": 6.0, "d_real": 5.0,
        "d_fake": -5.0, "p_fake": 0.01, "d_accuracy": 1.0, "r_t": 1.0, "scores": "logits",
        "loss_name": "non-saturating",
    }  # fmt: skip


def test_replay_raises_a_record_detectors_alarms_again_and_judges_them_at_their_step() -> None:
    """``--replay``: a record detector with other settings is run again over a row's stored
    records; its alarms replace the ones it raised, the other detectors' alarms stay, and each
    replayed alarm is judged by the ground truth stored at its record's step."""
    from benchmarks.diagnostics.general import _detector_option, alarm_verdicts, replay

    steps = range(50, 801, 50)
    row = {
        "kind": "healthy", "scenario": "dcgan", "seed": 3, "steps": 800, "failed": False,
        "truth": {"near": 0.6},
        "alarms": [["d-overpowering", 450, "critical"], ["mode-collapse", 250, "warning"]],
        "at_alarm": {"450": {"truth": {}, "failed": False}, "250": {"truth": {}, "failed": True}},
        "records": [_d_wins(s) for s in steps],
        "at_record": {str(s): {"truth": {}, "failed": s in (250, 700)} for s in steps},
    }  # fmt: skip
    old = {k: v for k, v in row.items() if k != "records"}
    same = replay([row], {"d-overpowering": {}})[0]  # as run: D wins from step 250, 5 records
    assert [tuple(a[:2]) for a in same["alarms"]] == [
        ("mode-collapse", 250),
        ("d-overpowering", 450),
    ]
    assert alarm_verdicts(same) == ["confirmed", "false"]
    later = replay([row], dict([_detector_option("d-overpowering:warmup_steps=450")]))[0]
    assert [tuple(a[:2]) for a in later["alarms"]] == [
        ("mode-collapse", 250),
        ("d-overpowering", 700),
    ]
    assert alarm_verdicts(later) == ["confirmed", "confirmed"]  # G failed at step 700
    assert {k: v for k, v in row.items() if k != "records"} == old  # the row is not changed
    assert replay([{**row, "records": []}], {"d-overpowering": {}}) == []  # an old row: dropped
    with pytest.raises(SystemExit, match="only record detectors"):
        replay([row], {"mode-collapse": {}})
    with pytest.raises(SystemExit, match="is not KEY=VALUE"):
        _detector_option("d-overpowering:warmup_steps")
    with pytest.raises(SystemExit, match=r"^--replay: .*badkey"):  # one line, no traceback
        replay([row], dict([_detector_option("d-overpowering:badkey=1")]))


def test_truth_of_judges_each_kept_checkpoint(tmp_path: Path) -> None:
    """``--truth-of RUN`` gives the ground truth of every kept checkpoint in step order (what
    the known limit on ``gan``/MNIST was measured with); a run without checkpoints is refused
    with the fix."""
    import ganzoo
    from benchmarks.diagnostics.general import truth_of

    torch.set_num_threads(1)
    run = tmp_path / "run"
    ganzoo.train(
        "gan", data="ring-8", steps=40, batch_size=64, out=str(run), progress=False,
        data_options={"size": 2000}, checkpoint_every=20, keep_checkpoints=5, diagnostics=[],
    )  # fmt: skip
    rows = truth_of(str(run))
    assert [name for name, _, _ in rows] == ["step-0000020", "step-0000040"]
    for _, truth, failed in rows:
        assert set(truth) >= {"near", "real_level", "modes", "non_finite"}
        assert truth["real_level"] > 0.9 and truth["non_finite"] == 0.0
        assert failed == (truth["near"] < 0.25 * truth["real_level"] or truth["modes"] < 8)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((run / "config.json").read_text())
    with pytest.raises(SystemExit, match="keeps no checkpoint"):
        truth_of(str(empty))


def test_a_cut_short_run_and_its_rerun_count_once() -> None:
    from benchmarks.diagnostics.general import longest_runs

    rows = [
        {"kind": "healthy", "scenario": "cgan", "seed": 0, "steps": 51},
        {"kind": "healthy", "scenario": "cgan", "seed": 0, "steps": 1250},
        {"kind": "healthy", "scenario": "cgan", "seed": 1, "steps": 1250},
        {"kind": "failure", "scenario": "cgan", "seed": 0, "steps": 700},
        {
            "kind": "healthy",
            "scenario": "cgan",
            "seed": 2,
            "steps": 900,
            "raised": "RunInterrupted",
        },
        {"kind": "healthy", "scenario": "cgan", "seed": 1, "steps": 1250, "alarms": ["rerun"]},
    ]
    kept = longest_runs(rows)
    assert sorted((r["kind"], r["seed"], r["steps"]) for r in kept) == [
        ("failure", 0, 700),
        ("healthy", 0, 1250),
        ("healthy", 1, 1250),
    ]  # seed 2: cut by a signal and never rerun, no result
    assert "alarms" not in next(r for r in kept if r["seed"] == 1)  # a tie: the first row stays


def test_a_rerun_skips_done_rows_but_not_interrupted_ones(tmp_path: Path) -> None:
    from benchmarks.diagnostics.general import done_runs

    out = tmp_path / "rows.jsonl"
    assert done_runs(out) == set()
    rows = [
        {
            "kind": "healthy",
            "scenario": "cgan",
            "seed": 0,
            "steps": 51,
            "raised": "RunInterrupted: interrupted by SIGTERM at step 51 of 1250",
        },
        {"kind": "healthy", "scenario": "dcgan", "seed": 0, "steps": 1250},
        {
            "kind": "failure",
            "scenario": "g-lr-x100",
            "seed": 3,
            "steps": 400,
            "raised": "TrainingError: training diverged: non-finite loss",
        },
    ]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert done_runs(out) == {("healthy", "dcgan", 0), ("failure", "g-lr-x100", 3)}


def test_replayed_rows_are_written_for_the_docs_table(tmp_path: Path, capsys) -> None:
    """``--replay D --replayed F``: the replayed rows land in F, which renders like any rows."""
    from benchmarks.diagnostics.general import main

    steps = range(50, 801, 50)
    row = {
        "kind": "healthy", "scenario": "dcgan", "seed": 3, "steps": 800, "failed": False,
        "truth": {"near": 0.6}, "alarms": [], "at_alarm": {},
        "records": [_d_wins(s) for s in steps],
        "at_record": {str(s): {"truth": {}, "failed": False} for s in steps},
    }  # fmt: skip
    rows, replayed = tmp_path / "rows.jsonl", tmp_path / "replayed.jsonl"
    rows.write_text(json.dumps(row) + "\n")
    main(["--replay", "d-overpowering", "--replayed", str(replayed), "--out", str(rows)])
    [again] = [json.loads(line) for line in replayed.read_text().splitlines()]
    assert [tuple(a[:2]) for a in again["alarms"]] == [("d-overpowering", 450)]
    assert "| dcgan | 1 | 800 | 1 (12.5) | 0 (0.0) | 1 (12.5) |" in capsys.readouterr().out


def test_a_signal_stops_the_whole_matrix_after_writing_its_row(tmp_path: Path, monkeypatch) -> None:
    """SIGTERM or Ctrl-C in one run ends the matrix (its row marked interrupted), not only that
    run: the loop used to go on to the next seed."""
    from benchmarks.diagnostics import general

    calls = []

    def fake_train(name, setup, seed, steps, record_truths=True):
        calls.append((name, seed))
        return general.GeneralRun(name, seed, 10, raised="RunInterrupted: stopped by SIGTERM")

    monkeypatch.setattr(general, "train", fake_train)
    out = tmp_path / "rows.jsonl"
    with pytest.raises(SystemExit, match="run the same command again"):
        general.main(["--kind", "failure", "--seeds", "3", "--no-write", "--out", str(out)])
    assert calls == [("grid25-gan", 0)]
    [row] = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["scenario"] == "grid25-gan" and row["raised"].startswith("RunInterrupted")
