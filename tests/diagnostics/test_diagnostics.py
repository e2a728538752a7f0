"""Diagnostics: each detector fires on its failure and stays silent on health; debouncing; the
Trainer integration; ``ganzoo diagnose``; a small slice of the detector benchmark."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganzoo.api import build, list_entries
from ganzoo.diagnostics.configs import ModeCollapseConfig
from ganzoo.events import StepRecord

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the benchmark package lives beside ganzoo, not inside it
    sys.path.insert(0, str(REPO))


def _rec(step: int, **kw: float | str) -> StepRecord:
    base: dict = {
        "loss_d": 1.38 + random.gauss(0, 0.02),
        "loss_g": 0.72 + random.gauss(0, 0.02),
        "d_real": 0.1,
        "d_fake": -0.05 + random.gauss(0, 0.02),
        "p_real": 0.52,
        "p_fake": 0.49,
        "grad_norm_d": 1.5 * math.exp(random.gauss(0, 0.1)),
        "grad_norm_g": 1.0 * math.exp(random.gauss(0, 0.1)),
        "d_accuracy": 0.52,
        "r_t": 0.05,
        "loss_name": "non-saturating",
    }
    base.update(kw)
    return StepRecord(step=step, **base)


def _feed(name: str, records: list[StepRecord]) -> list:
    det = build(name)
    out = []
    for r in records:
        out += det.on_step(r)
    return out


def _healthy(n: int = 200) -> list[StepRecord]:
    random.seed(0)
    return [_rec(50 * (i + 1)) for i in range(n)]


def test_catalog_is_torch_free_and_documented() -> None:
    code = "import sys, ganzoo.diagnostics.catalog; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    names = {s.name for s in list_entries("diagnostic")}
    assert {
        "mode-collapse",
        "sample-diversity",
        "vanishing-gradient",
        "exploding-gradient",
        "d-overpowering",
        "oscillation",
    } <= names
    for s in list_entries("diagnostic"):
        assert s.signals and s.description and s.paper


@pytest.mark.parametrize(
    "name", ["vanishing-gradient", "exploding-gradient", "d-overpowering", "oscillation"]
)
def test_record_detectors_silent_when_healthy(name: str) -> None:
    assert _feed(name, _healthy(400)) == []


def test_vanishing_gradient_fires_once_and_suggests_non_saturating() -> None:
    recs = _healthy(40)
    recs += [
        _rec(2050 + 50 * i, grad_norm_g=1e-4, p_fake=1e-3, loss_name="minimax", saturating=True)
        for i in range(30)
    ]
    alarms = _feed("vanishing-gradient", recs)
    assert len(alarms) == 1  # debounced: one per episode
    a = alarms[0]
    assert a.kind == "vanishing-gradient" and a.severity == "critical" and a.step == 2100
    assert "non-saturating" in a.suggestion and a.evidence["grad_norm_g"] < 1e-3


def test_vanishing_gradient_per_layer() -> None:
    layers = {"l1.weight": 1.0, "l2.weight": 0.5}
    recs = [_rec(50 * (i + 1), grad_norm_g=1.0, grad_norms_g=layers) for i in range(20)]
    recs += [
        _rec(1050 + 50 * i, grad_norm_g=1.0, grad_norms_g={"l1.weight": 1.0, "l2.weight": 1e-5})
        for i in range(5)
    ]
    alarms = _feed("vanishing-gradient", recs)
    assert len(alarms) == 1 and alarms[0].evidence["layers_collapsed"] == 1


def test_minimax_saturation_alone_warns_then_escalates() -> None:
    recs = [
        _rec(50 * (i + 1), p_fake=0.005, loss_name="minimax", saturating=True) for i in range(10)
    ]
    alarms = _feed("vanishing-gradient", recs)
    # warning after 2 records; critical once saturation has lasted 3x that
    assert [(a.severity, a.step) for a in alarms] == [("warning", 100), ("critical", 300)]
    assert "for 6 records" in alarms[1].message
    # under the non-saturating loss a low D(G(z)) is no vanishing gradient
    ns = [_rec(50 * (i + 1), p_fake=0.005) for i in range(10)]
    assert _feed("vanishing-gradient", ns) == []


def test_exploding_gradient() -> None:
    recs = _healthy(20) + [_rec(1050 + 50 * i, grad_norm_d=500.0) for i in range(10)]
    alarms = _feed("exploding-gradient", recs)
    assert len(alarms) == 1 and alarms[0].kind == "exploding-gradient"
    inf = [*_healthy(20), _rec(1050, grad_norm_g=float("inf"))]
    assert _feed("exploding-gradient", inf)[0].severity == "critical"


def test_d_overpowering_and_debounce_escalation() -> None:
    recs = _healthy(10) + [
        _rec(550 + 50 * i, d_accuracy=0.95, r_t=0.9, p_fake=0.05, loss_d=0.2) for i in range(40)
    ]
    alarms = _feed("d-overpowering", recs)
    assert [a.severity for a in alarms] == ["warning", "critical"]  # fires again only to escalate
    assert "learning rate" in alarms[0].suggestion
    # a healthy DCGAN keeps D(G(z)) at 0.2-0.4: high accuracy alone is not enough
    ok = [_rec(50 * (i + 1), d_accuracy=0.92, r_t=0.85, p_fake=0.3) for i in range(40)]
    assert _feed("d-overpowering", ok) == []


def test_d_overpowering_waits_while_g_catches_up_and_fires_when_d_pulls_away() -> None:
    def win(step: int, lead: float) -> StepRecord:  # D sorts 99% of images, D(G(z)) 0.03
        return _rec(step, d_accuracy=0.99, r_t=0.98, p_fake=0.03, d_real=lead / 2, d_fake=-lead / 2)

    # a healthy DCGAN's early lead: D ahead for 600 steps while the gap shrinks 8% a record
    catching_up = [win(250 + 50 * i, 10.0 * 0.92**i) for i in range(12)]
    assert _feed("d-overpowering", catching_up) == []
    # ring-d-boost: D boosted, its lead grows while G is beaten
    pulling_away = [win(250 + 50 * i, 2.0 + 3.0 * i) for i in range(12)]
    alarms = _feed("d-overpowering", pulling_away)
    assert alarms and alarms[0].step == 450  # the fifth record of the streak
    assert alarms[0].evidence["lead"] > alarms[0].evidence["lead_before"]
    assert "lead" in alarms[0].message
    # hold=0 turns the trend off: the shrinking lead alarms too
    det = build("d-overpowering", hold=0.0)
    assert next(a for r in catching_up for a in det.on_step(r)).step == 450


def test_debouncer_new_episode_after_cooldown() -> None:
    from ganzoo.diagnostics._base import Debouncer

    d = Debouncer(cooldown=1000, clear_after=2)
    fired = [d.update(s, "warning" if s < 500 or s >= 2000 else None) for s in range(0, 3000, 100)]
    assert fired.count(True) == 2


def test_oscillation_dirac_gan() -> None:
    from benchmarks.diagnostics.scenarios import dirac_records

    alarms = _feed("oscillation", dirac_records(0, 8000, gamma=0.0))
    assert len(alarms) == 1 and alarms[0].kind == "oscillation"
    # D(G(z)) of this Dirac-GAN has a period of about 730 steps: caught within two cycles
    assert alarms[0].step <= 1600
    assert 500 <= alarms[0].evidence["period_steps"] <= 1000
    assert alarms[0].evidence["explained"] >= 0.8
    assert _feed("oscillation", dirac_records(0, 8000, gamma=1.0)) == []


def test_oscillation_autocorrelation_is_the_biased_estimator() -> None:
    from ganzoo.diagnostics.oscillation import acf

    x = [math.sin(2 * math.pi * i / 10) for i in range(40)]
    assert acf(x, 10) == pytest.approx(30 / 40, abs=0.01)  # (n - lag) / n for a sinusoid
    rng = random.Random(3)
    noise = [rng.gauss(0, 1) for _ in range(20)]
    assert all(-1 <= acf(noise, k) <= 1 for k in range(1, 20))


@pytest.mark.parametrize("kind", ["white", "random-walk"])
def test_oscillation_silent_on_noise_and_drift(kind: str) -> None:
    """Large-amplitude noise and random walks (what a healthy run's D(G(z)) does) are no cycle."""
    rng = random.Random(7)
    fired = 0
    for _ in range(10):
        v, values = 0.0, []
        for _ in range(200):
            v = rng.gauss(0, 0.3) if kind == "white" else v + rng.gauss(0, 0.1)
            values.append(v)
        recs = [_rec(50 * (i + 1), d_fake=x) for i, x in enumerate(values)]
        fired += bool(_feed("oscillation", recs))
    assert fired <= (0 if kind == "white" else 2)


def _ring(k: int, n: int = 1000, seed: int = 0) -> tuple[torch.Tensor, object]:
    data = build("ring-8", size=5000)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, k, (n,), generator=g)
    return data.modes[idx] + 0.01 * torch.randn(n, 2, generator=g), data


@pytest.mark.parametrize("name", ["mode-collapse", "sample-diversity"])
def test_sample_detectors(name: str) -> None:
    healthy, data = _ring(8)
    det = build(name)
    assert det.on_samples(500, healthy, {"data": data}) == []
    full, _ = _ring(1, seed=1)
    alarms = det.on_samples(1000, full, {"data": data})
    assert (
        len(alarms) == 1 and alarms[0].kind == "mode-collapse" and alarms[0].severity == "critical"
    )
    assert det.on_samples(1500, full, {"data": data}) == []  # debounced
    partial, _ = _ring(5, seed=2)
    fresh = build(name)
    alarms = fresh.on_samples(500, partial, {"data": data})
    assert [a.severity for a in alarms] == ["warning"]


def test_mode_collapse_needs_enough_samples_for_partial() -> None:
    """One 64-sample grid cannot tell a missing mode from chance; four can."""
    from ganzoo.diagnostics.mode_collapse import ModeCollapse

    det = ModeCollapse()
    g = torch.Generator().manual_seed(0)
    nine = lambda: torch.randint(0, 9, (64,), generator=g)  # noqa: E731  class 9 missing
    assert [det.check(500 * i, nine(), 10, 64) for i in (1, 2, 3)] == [[], [], []]
    alarms = det.check(2000, nine(), 10, 64)  # 256 samples in the window
    assert [a.severity for a in alarms] == ["warning"]
    assert alarms[0].evidence["modes_covered"] == 9 and alarms[0].evidence["samples"] == 256
    # a present but weak class (a quarter of its share, like a 1-epoch DCGAN's) is not missing
    p = torch.tensor([0.25] + [1.0] * 9)
    weak = torch.multinomial(p / p.sum(), 1000, replacement=True, generator=g)
    assert ModeCollapse().check(500, weak, 10, 1000) == []


class _RingG:
    """A stand-in generator on ring-8 whose ``sample`` covers the first ``k`` modes."""

    def __init__(self, data: object, k: int) -> None:
        self.data, self.k, self.seeds = data, k, []

    def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
        self.seeds.append(seed)
        g = torch.Generator().manual_seed(seed)
        idx = torch.randint(0, self.k, (n,), generator=g)
        return self.data.modes[idx] + 0.01 * torch.randn(n, 2, generator=g)


def test_mode_collapse_judges_fresh_samples_of_the_current_generator() -> None:
    """With the run's G in the context, 1,000 samples of fresh latents (seeded by the step) join
    each 64-sample grid, so a verdict rests on G as it is now: a missing mode is a warning at
    the first check, and a grid that misses a mode by chance is outvoted by G's own samples."""
    from ganzoo.diagnostics.mode_collapse import ModeCollapse

    data = build("ring-8", size=5000)
    grid = lambda k, seed: _ring(k, n=64, seed=seed)[0]  # noqa: E731
    seven = _RingG(data, 7)
    alarms = ModeCollapse().on_samples(250, grid(7, 0), {"data": data, "generator": seven})
    assert [a.severity for a in alarms] == ["warning"]
    assert alarms[0].evidence["samples"] > 250 and alarms[0].evidence["modes_covered"] == 7
    assert seven.seeds == [250]
    healthy = _RingG(data, 8)
    det = ModeCollapse()
    assert det.on_samples(250, grid(7, 1), {"data": data, "generator": healthy}) == []
    assert det.window[-1].sum() > 1000 and int((det.window[-1] > 0).sum()) == 8
    # without a generator, the same grid alone is no verdict (64 samples, one grid)
    assert ModeCollapse().on_samples(250, grid(7, 0), {"data": data}) == []
    assert (
        ModeCollapse(ModeCollapseConfig(fresh=0)).on_samples(
            250, grid(7, 0), {"data": data, "generator": seven}
        )
        == []
    )


@pytest.mark.parametrize("name", ["dcgan-mnist", "sngan-mnist"])
def test_sample_detectors_silent_on_healthy_pretrained_models(name: str, mnist_root) -> None:
    """Real, healthy generators raise no sample alarm. Their pixel-space coverage on 1,000
    samples (0.90 for both today's weights, 0.67 for an earlier sngan-mnist) varies with
    sharpness, not collapse, so the detectors do not judge it."""
    from ganzoo.api import load
    from ganzoo.diagnostics.report import diagnose_samples

    model = load(name)  # dcgan-mnist was trained on MNIST padded to 32 px: compare at its side
    data = build("mnist", root=str(mnist_root), resolution=model.data.shape[-1])
    with torch.no_grad():
        x = model.sample(1000, seed=2).float()
    assert diagnose_samples(x, data) == []


def test_mode_collapse_mnist_labels(mnist_root) -> None:
    data = build("mnist", root=str(mnist_root))
    det = build("mode-collapse")
    idx = torch.nonzero(data.y < 3).flatten()[:300]
    alarms = det.on_samples(500, data.batch(idx)[0], {"data": data})
    assert alarms and alarms[0].evidence["modes_covered"] <= 4


def _train(tmp_path, name: str, **kw):
    from ganzoo.training.callbacks import MetricsLogger
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    torch.set_num_threads(1)
    policy = kw.pop("policy", "warn")
    diags = kw.pop("diags", None)
    cfg = TrainConfig(
        architecture="gan",
        data="ring-8",
        out=str(tmp_path / name),
        data_options={"size": 5000},
        log_every=50,
        sample_every=500,
        checkpoint_every=10**6,
        **kw,
    )
    t = Trainer.create(cfg)
    t.callbacks += [
        MetricsLogger(t.run_dir / "metrics.jsonl"),
        DiagnosticsCallback(diags or build_diagnostics(cfg.diagnostics), policy),
    ]
    t.run()
    return t


def test_trainer_integration_d_boost_alarms_and_stop(tmp_path) -> None:
    """D boosted under minimax: the config's default detectors raise d-overpowering, and under
    the stop policy its critical alarm ends the run. One run does both (it used to be a warn run
    of 600 steps, then a stop run with a quicker detector); the warn policy's not stopping is
    test_warn_policy_emits_critical_alarms_without_stopping."""
    boosted = dict(
        loss="minimax",
        optimizer={"lr_d": 2e-3, "n_critic": 5},
        diagnostics=["d-overpowering", "vanishing-gradient"],
    )
    stopped = _train(tmp_path, "boost", steps=2000, policy="stop", **boosted)
    rows = [
        json.loads(line) for line in (stopped.run_dir / "metrics.jsonl").read_text().splitlines()
    ]
    alarms = [r for r in rows if r["event"] == "alarm"]
    assert "d-overpowering" in {r["kind"] for r in alarms}
    assert stopped.status == "stopped" and stopped.step < 2000
    assert alarms[-1]["severity"] == "critical" and alarms[-1]["step"] == stopped.step
    assert [r["event"] for r in rows].count("stopped") == 1


def test_warn_policy_emits_critical_alarms_without_stopping() -> None:
    """The callback emits every alarm; only the stop policy turns a critical one into a stop."""
    from ganzoo.events import Alarm
    from ganzoo.training.watch import DiagnosticsCallback

    critical = Alarm("d-overpowering", 300, "critical", "D wins", "lower D's lr", "d-overpowering")

    class Always:
        wants_samples = False
        wants_layer_grad_norms = False

        def on_step(self, record: StepRecord) -> list[Alarm]:
            return [critical]

    class Run:
        def __init__(self) -> None:
            self.emitted: list[Alarm] = []
            self.stops: list[str] = []

        def emit(self, alarm: Alarm) -> None:
            self.emitted.append(alarm)

        def request_stop(self, why: str) -> None:
            self.stops.append(why)

    for policy, stops in (("warn", 0), ("stop", 1)):
        run = Run()
        DiagnosticsCallback([Always()], policy).on_step(run, _rec(300))  # type: ignore[list-item]
        assert run.emitted == [critical] and len(run.stops) == stops, policy


def test_default_run_is_silent(tmp_path) -> None:
    t = _train(
        tmp_path,
        "ok",
        steps=400,
        diagnostics=["vanishing-gradient", "exploding-gradient", "d-overpowering", "oscillation"],
    )
    rows = [json.loads(line) for line in (t.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r for r in rows if r["event"] == "alarm"] == []
    from typer.testing import CliRunner

    from ganzoo.cli import app

    res = CliRunner().invoke(app, ["diagnose", str(t.run_dir)])
    assert res.exit_code == 0, res.output
    assert "alarms logged during training: 0" in res.output
    png = t.run_dir / "diagnostics.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG"
    assert "sample-based detectors on 1000 samples" in res.output


def test_diagnose_without_metrics_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "ganzoo", "diagnose", str(tmp_path / "empty")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "no metrics.jsonl" in proc.stderr
    from ganzoo.diagnostics.report import diagnose_samples
    from ganzoo.errors import ConfigError

    with pytest.raises(ConfigError, match="too few"):
        diagnose_samples(torch.zeros(10, 2), None)


def test_vanishing_gradient_scenario_minimax_vs_non_saturating(mnist_root) -> None:
    """The benchmark's small DCGAN with D's lr x10 from S: under minimax D(G(z)) -> 0 and G's
    gradient vanishes (alarm within 300 steps); under the non-saturating loss it does not."""
    from benchmarks.diagnostics.scenarios import train_run

    torch.set_num_threads(1)
    bad = train_run("mnist-minimax-d-ahead", 0)
    assert bad.onset is not None and bad.alarms
    src, step = bad.alarms[0]
    assert src == "vanishing-gradient" and bad.onset <= step <= bad.onset + 300
    assert train_run("mnist-ns-d-ahead", 0).alarms == []


def test_benchmark_small_subset() -> None:
    from benchmarks.diagnostics.scenarios import dirac_run, samples_run
    from benchmarks.diagnostics.score import score

    ring = build("ring-8", size=5000)
    runs = [
        samples_run(ring, "ring", None, 0, 5000),
        samples_run(ring, "ring", 1, 0, 4000),
        dirac_run(0, 6000, r1=False),
        dirac_run(0, 6000, r1=True),
    ]
    s = score(runs)
    assert s["mode-collapse"].recall == 1.0 and s["mode-collapse"].fp == 0
    assert s["oscillation"].recall == 1.0 and s["oscillation"].fp == 0


def test_diagnose_prints_logged_alarms_with_format_alarm(tmp_path) -> None:
    """``ganzoo diagnose`` reads the alarm rows back as typed alarms and prints each with the one
    alarm formatter, its severity first."""
    from typer.testing import CliRunner

    from ganzoo.cli import app
    from ganzoo.events import Alarm, RunEnded, format_alarm

    alarm = Alarm(
        "d-overpowering", 300, "critical", "D wins", "lower D's learning rate", "d-overpowering"
    )
    rows = [r.as_dict() for r in _healthy(12)] + [
        alarm.as_dict(),
        RunEnded(600, "stopped").as_dict(),
    ]
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = CliRunner().invoke(app, ["diagnose", str(run), "--records-only"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].endswith("12 records, steps 50-600, status stopped")
    assert lines[1:3] == [
        "alarms logged during training: 1",
        "  " + format_alarm(alarm, prefix="critical"),
    ]
    assert lines[2] == "  critical step 300: d-overpowering: D wins -> lower D's learning rate"


def test_the_per_data_set_cache_is_not_fooled_by_a_reused_id() -> None:
    """A freed data set's address can go to a new one: the cache must not hand the new data set
    the old one's values (mixture sigma, real-data features)."""
    import weakref

    from ganzoo.diagnostics import _samples

    class Data:  # a stand-in data set
        pass

    old, new = Data(), Data()
    _samples._CACHE[(id(new), "sigma")] = (weakref.ref(old), "old's sigma")  # as after a reuse
    assert _samples.cached(new, "sigma", lambda: "new's sigma") == "new's sigma"
    assert _samples.cached(new, "sigma", lambda: "recomputed") == "new's sigma"  # cached now
    plain = (1, 2)  # not weakly referable: kept alive while cached
    assert _samples.cached(plain, "k", lambda: "v") == "v"
    assert _samples.cached(plain, "k", lambda: "again") == "v"
