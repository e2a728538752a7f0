"""`ganzoo.zoo.jobs`: seeds mapped in this process or in worker processes, in seed order."""

from __future__ import annotations

import contextlib
import io
import pickle
import sys
from functools import partial
from pathlib import Path

import pytest
from support.unpicklable import LockedError, fail_on_odd

from ganzoo.errors import ConfigError
from ganzoo.hardware import set_threads
from ganzoo.zoo import jobs

TESTS = Path(__file__).resolve().parents[1]

# Worker processes: here, and in tests/zoo/test_reproduce_cli.py (ganzoo reproduce --jobs).


def test_one_job_runs_here_in_order() -> None:
    assert jobs.run_seeds(partial(pow, exp=2), [3, 1, 2]) == [9, 1, 4]


def test_fewer_than_one_job_is_refused() -> None:
    with pytest.raises(ConfigError, match="jobs must be at least 1, got 0"):
        jobs.run_seeds(set_threads, [1], jobs=0)


def test_prefixed_stream_tags_each_line_once() -> None:
    out = io.StringIO()
    stream = jobs._Prefixed(out, "[seed 4] ")
    stream.write("step 1 ")
    stream.write("D 0.5\nstep 2\nalarm")
    stream.write("\n")
    assert out.getvalue() == "[seed 4] step 1 D 0.5\n[seed 4] step 2\n[seed 4] alarm\n"
    assert not stream.isatty()


def test_threads_are_shared_by_the_jobs() -> None:
    assert jobs.threads_per_job(3, threads=8) == 2
    assert jobs.threads_per_job(4, threads=2) == 1  # never below one


def test_a_seed_error_crosses_processes_with_its_exit_code() -> None:
    err = jobs.SeedRunError("seed 1: interrupted by SIGINT at step 36 of 3000", 130)
    back = pickle.loads(pickle.dumps(err))  # how a worker's error reaches the parent
    assert str(back) == "seed 1: interrupted by SIGINT at step 36 of 3000"
    assert back.exit_code == 130


def test_an_error_that_cannot_be_pickled_comes_back_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", sys.stderr)  # _in_worker prefixes it, as in a worker
    with pytest.raises(RuntimeError) as caught:
        jobs._in_worker(fail_on_odd, 3)
    back = pickle.loads(pickle.dumps(caught.value))  # what the pool sends to the parent
    assert str(back).startswith("seed 3: ")
    assert "LockedError: the cache is locked" in str(back)
    assert isinstance(caught.value.__cause__, LockedError)  # its traceback goes with it


def test_a_picklable_error_comes_back_as_it_came(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    with pytest.raises(ZeroDivisionError):
        jobs._in_worker(partial(divmod, 1), 0)


@pytest.mark.slow
def test_worker_processes_return_an_unpicklable_error_not_a_broken_pool() -> None:
    with pytest.raises(RuntimeError, match=r"seed 1: .*LockedError: the cache is locked"):
        jobs.run_seeds(fail_on_odd, [0, 1], jobs=2)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "to_group"),
    [("SIGTERM", False), ("SIGINT", True)],  # `kill PID`; a terminal's Ctrl-C (its whole group)
)
def test_a_stop_signal_reaches_each_worker_once(tmp_path: Path, name: str, to_group: bool) -> None:
    import os
    import signal
    import subprocess
    import time

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "support.stoppable_seed", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started = [tmp_path / f"started-{seed}" for seed in (0, 1)]
    try:
        deadline = time.monotonic() + 120
        while not all(p.is_file() for p in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(p.is_file() for p in started), proc.communicate(timeout=60)
        sig = getattr(signal, name)
        os.killpg(proc.pid, sig) if to_group else proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        left = [pid for pid in (int(p.read_text()) for p in started) if _alive(pid)]
    finally:  # on a failure, nothing of it is left running
        proc.kill()
        for pid in (int(p.read_text()) for p in started if p.is_file()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == {"SIGINT": 130, "SIGTERM": 143}[name], err
    # each running seed stopped once, as a run does (a second signal would stop it unsaved)
    assert f"seed 0: interrupted by {name}; checkpoint saved" in out
    assert f"seed 1: interrupted by {name}; checkpoint saved" in out
    assert f"seed 2: not started: stopped by {name}" in out
    assert {(tmp_path / f"saved-{s}").read_text() for s in (0, 1)} == {name}
    assert not (tmp_path / "started-2").exists()
    assert not left  # no worker is left running on its own


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, ended but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
