"""Smoke tests of the separate-process harness and the baselines it runs (tiny sizes), so the
headline benchmark cannot rot: every side is a real fresh process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import baselines, harness
from benchmarks.harness import Side, Spread

PY = sys.executable


def _printer(value: float) -> list[str]:
    return [PY, "-c", f"print('noise'); print('result {{\"rate\": {value}}}')"]


def test_one_pair_of_tiny_commands() -> None:
    metric = harness.tagged_json("result", "rate")
    c = harness.compare(
        Side("a", _printer(6.0), metric), Side("b", _printer(2.0), metric), pairs=1, warmup=False
    )
    assert c.a_values.values == (6.0,) and c.b_values.values == (2.0,)
    assert c.ratios.median == pytest.approx(3.0)
    assert [r["side"] for r in c.runs] == ["a", "b"]
    for run in c.runs:
        assert run["wall_s"] > 0 and run["cpu_s"] >= 0 and run["peak_rss_mib"] > 0
    for load in (c.load_before, c.load_during, c.load_after):
        assert len(load.loadavg) == 3 and 0 <= load.busy_percent <= 100 and load.cores >= 1
    assert "print" in c.commands["a"]
    assert "ratio a / b: 3.00x" in c.summary()


def test_pairs_alternate_and_files_are_read() -> None:
    write = [PY, "-c", "import json, sys; json.dump({'v': 4}, open(sys.argv[1], 'w'))", "{tmp}/x"]
    a = Side("a", write, harness.json_file("x", "v"))
    b = Side("b", [PY, "-c", "pass"])  # its wall seconds
    c = harness.compare(a, b, pairs=2, warmup=False, log=None)
    assert [r["side"] for r in c.runs] == ["a", "b", "b", "a"]
    assert c.a_values.values == (4.0, 4.0)
    assert all(v > 0 for v in c.b_values.values)


def test_a_failing_run_says_why() -> None:
    bad = Side("bad", [PY, "-c", "import sys; sys.exit('broken on purpose')"])
    with pytest.raises(RuntimeError, match="broken on purpose"):
        harness.run_once(bad)


def test_spread_and_metric_parsing() -> None:
    s = Spread.of([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (s.median, s.low, s.high, s.q1, s.q3) == (3.0, 1.0, 100.0, 2.0, 4.0)
    assert Spread.of([5.0]).text() == "5.0 (1 run)"
    assert harness.parse_metric("wall") is harness.wall_seconds
    with pytest.raises(ValueError):
        harness.parse_metric("tag:nokey")


_LINUX_PROC = sys.platform == "linux" and Path("/proc/self/status").is_file()
_TOUCH = "b = bytearray({mib} * 2**20); b[::4096] = b'\\1' * (len(b) // 4096)"  # resident pages


@pytest.fixture
def ballast() -> object:
    """300 MiB resident in this (the spawning) process while a test runs."""
    b = bytearray(300 * 2**20)
    b[::4096] = b"\1" * (len(b) // 4096)
    yield b
    del b


@pytest.mark.skipif(not _LINUX_PROC, reason="VmHWM is read from Linux's /proc")
def test_peak_rss_is_the_commands_own_not_the_spawning_processs(
    ballast: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small child spawned from a process holding 300 MiB: PeakRSS reports the child's own
    peak; wait4's ru_maxrss (the fallback without /proc) reports at least the parent's, since
    Linux keeps the peak of the memory the child's exec replaced. A child that touches 200 MiB
    is seen at 200 MiB and more."""
    sleep = "import time; time.sleep(0.3)"
    small = harness.run_once(Side("small", [PY, "-c", sleep]))
    big = harness.run_once(Side("big", [PY, "-c", f"{_TOUCH.format(mib=200)}; {sleep}"]))
    assert small.peak_rss_mib is not None and 1 < small.peak_rss_mib < 100
    assert big.peak_rss_mib is not None and 200 < big.peak_rss_mib < 280
    monkeypatch.setattr(harness, "PROC", Path("/nonexistent-proc"))
    fallback = harness.run_once(Side("small", [PY, "-c", sleep]))
    assert fallback.peak_rss_mib is not None and fallback.peak_rss_mib >= 300


@pytest.mark.skipif(not _LINUX_PROC, reason="VmHWM is read from Linux's /proc")
def test_cli_startup_measures_the_childs_own_peak(ballast: object) -> None:
    from benchmarks import cli_startup

    for tty in (False, True):
        touch = f"{_TOUCH.format(mib=60)}; import time; time.sleep(0.2)"
        wall, rss = cli_startup.measure([PY, "-c", touch], tty=tty)
        assert wall > 0 and 60 < rss < 140, (tty, rss)
    with pytest.raises(SystemExit, match="failed"):
        cli_startup.measure([PY, "-c", "raise SystemExit(3)"])


def test_textbook_script_reports_its_rate(
    mnist_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.reference import textbook_dcgan

    argv = ["--steps", "2", "-b", "16", "--width", "8", "--workers", "0"]
    result = textbook_dcgan.main([*argv, "--dataroot", str(mnist_root)])
    assert result["steps"] == 2 and result["images"] == 32 and result["images_per_second"] > 0
    out = capsys.readouterr().out
    assert harness.tagged_json(baselines.TEXTBOOK_TAG, "images")(
        harness.RunOutput(0, 0, 0, 0, out, "", Path("."))
    ) == pytest.approx(32)


def test_train_baseline_end_to_end(mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The headline comparison itself, one pair of 2-step runs of narrow models."""
    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    plan = baselines.train_plans(2, quick=True)[0]
    assert plan.name == "train-b64"
    c = harness.compare(plan.a, plan.b, pairs=1, warmup=False, log=None)
    assert c.a_values.median > 0 and c.b_values.median > 0
    row = baselines._row(plan, c)
    assert "`ganzoo train dcgan --data mnist -b 64 --steps 2" in row
    assert "`python benchmarks/reference/textbook_dcgan.py -b 64 --steps 2" in row
