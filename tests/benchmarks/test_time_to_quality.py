"""benchmarks.time_to_quality: the CPU clock counts worker processes, snapshots land at their
marks, the report's verdict, and a tiny end-to-end run (both sides, real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the benchmarks package

from benchmarks import time_to_quality as ttq
from benchmarks.reference.cpu_marks import CpuMarks, ProcessTreeClock, parse_marks, read_log


def test_the_clock_counts_a_live_child(tmp_path: Path) -> None:
    done = tmp_path / "done"
    burn = (
        "import time, pathlib\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 1.0: pass\n"
        f"pathlib.Path({str(done)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    clock = ProcessTreeClock(rescan_s=0.0)
    mine, before = os.times(), clock()
    child = subprocess.Popen([sys.executable, "-c", burn])
    try:
        while not done.exists():
            time.sleep(0.05)
        during = clock()  # the child still runs: only /proc can see its CPU time
    finally:
        child.kill()
        child.wait()
    after = os.times()
    own = (after.user + after.system) - (mine.user + mine.system)
    assert during - before - own >= 0.9  # the child's second (and its start-up), not ours


def test_snapshots_at_marks_with_saving_off_the_clock(tmp_path: Path) -> None:
    # clock reads: step 1's first, then per step a check, and a read after each save; the save
    # at mark 2 costs 0.5 s, which later readings do not count (5.4 reads as 4.9: no mark yet)
    ticks = iter([0.5, 0.5, 1.2, 1.2, 1.3, 2.1, 2.6, 2.7, 5.4, 5.6, 5.6])
    saved: list[tuple[float, int]] = []
    log = tmp_path / "marks.jsonl"
    marks = CpuMarks(
        [1, 2, 5], lambda m, _c, step: saved.append((m, step)), clock=lambda: next(ticks), log=log
    )
    assert [marks.after_step(s) for s in (1, 2, 3, 4, 5)] == [False, False, False, False, True]
    assert saved == [(1, 2), (2, 3), (5, 5)]
    assert [r["cpu_seconds"] for r in marks.saved] == [1.2, 2.1, 5.1]
    assert marks.overhead == pytest.approx(0.5) and marks.first_step == 0.5
    assert marks.report()["first_step_cpu_seconds"] == 0.5
    assert read_log(log) == marks.report()  # written as each snapshot was taken
    with log.open("a") as fh:
        fh.write('{"mark": 9')  # a line being written is not read
    assert read_log(log) == marks.report()
    with pytest.raises(ValueError, match="increasing positive"):
        parse_marks("60,30")


def _run(side: str, seed: int, fids: list[float]) -> dict[str, object]:
    snaps = [
        {"mark": m, "cpu_seconds": m + 0.01, "step": int(m * 5), "fid": f, "score": 10 - f}
        for m, f in zip((30, 60, 120, 240, 480), fids, strict=True)
    ]
    return {"side": side, "seed": seed, "snapshots": snaps, "first_step_cpu_seconds": 6.0,
            "process_cpu_s": 490.0, "wall_s": 900.0, "loadavg_end": 4.0, "ended": "finished"}  # fmt: skip


def test_the_report_says_when_ganzoo_reaches_the_textbooks_last_quality() -> None:
    runs = [
        _run("ganzoo", 0, [8, 6, 4.5, 3, 2]),
        _run("ganzoo", 1, [8, 6, 5.5, 3, 2]),  # mean at 120: 5.0, the textbook's 480 level
        _run("ganzoo-bf16", 0, [9, 8, 7, 6, 5.5]),
        _run("ganzoo-bf16", 1, [9, 8, 7, 6, 5.5]),
        _run("textbook", 0, [9, 8, 7, 6, 5]),
        _run("textbook", 1, [9, 8, 7, 6, 5]),
    ]
    result = {"runs": runs, "load_before": "b", "load_during": "d", "load_after": "a",
              "training_wall_s": 1000}  # fmt: skip
    opts = ttq.Options((30, 60, 120, 240, 480), (0, 1), ttq.SIDES, 1000)
    text = "\n".join(ttq.table(result, opts, "CMD"))
    assert "| ganzoo | 8.00 (8.00, 8.00) | 6.00 (6.00, 6.00) | 5.00 (4.50, 5.50) |" in text
    assert "The textbook loop at 480 CPU-s: FID 5.00, score 5.00" in text
    assert "* ganzoo: FID as good at 120 CPU-s (not yet at 60), 0.25x the time" in text
    verdicts = {ln.split(":")[0]: ln for ln in text.splitlines() if "as good" in ln}
    assert "**goal met**" in verdicts["* ganzoo"]  # FID and score both by 120 = 480 / 4
    assert "FID as good not by 480 CPU-s" in verdicts["* ganzoo-bf16"]
    assert "**goal not met**" in verdicts["* ganzoo-bf16"]
    assert (
        "`ganzoo train dcgan --data mnist --seed S --steps 1000000 --out RUN --set amp=bf16`"
        in text
    )


def test_the_verdict_interpolates_between_the_marks_in_log_time() -> None:
    runs = [
        _run("ganzoo", 0, [8, 6, 5.5, 4, 3]),  # FID 5 is crossed a third of the way 120 -> 240
        _run("textbook", 0, [9, 8, 7, 6, 5]),
    ]
    result = {"runs": runs, "load_before": "b", "load_during": "d", "load_after": "a",
              "training_wall_s": 1000}  # fmt: skip
    opts = ttq.Options((30, 60, 120, 240, 480), (0,), ("ganzoo", "textbook"), 1000)
    verdict = next(ln for ln in "\n".join(ttq.table(result, opts, "CMD")).splitlines()
                   if ln.startswith("* ganzoo: FID"))  # fmt: skip
    # 120 * 2 ** (1/3) = 151.2 CPU-s: 0.315x of the textbook's 480
    assert (
        "FID as good at 240 CPU-s (not yet at 120), 0.50x the time "
        "(interpolated in log time: about 151 CPU-s, 0.31x)" in verdict
    )
    assert "**goal not met**" in verdict  # the verdict itself stays with the marks measured


def test_a_run_stopped_early_is_compared_at_the_last_mark_every_seed_reached() -> None:
    runs = [_run("ganzoo", 0, [6, 5, 4, 3, 2]), _run("textbook", 0, [9, 8, 6, 5, 4])]
    runs[0]["snapshots"] = runs[0]["snapshots"][:4]  # type: ignore[index]
    runs[1]["snapshots"] = runs[1]["snapshots"][:3]  # type: ignore[index]
    runs[1].update(ended="timed out after 100 s")
    result = {"runs": runs, "load_before": "b", "load_during": "d", "load_after": "a",
              "training_wall_s": 100, "max_wall": 100}  # fmt: skip
    opts = ttq.Options((30, 60, 120, 240, 480), (0,), ("ganzoo", "textbook"), 1000)
    text = "\n".join(ttq.table(result, opts, "CMD"))
    assert "| textbook | 9.00 | 8.00 | 6.00 | not reached | not reached |" in text
    assert "textbook loop at 120 CPU-s (its last mark reached by every seed; not 480)" in text
    verdict = next(ln for ln in text.splitlines() if ln.startswith("* ganzoo: FID"))
    assert "FID as good at 30 CPU-s, 0.25x the time" in verdict and "**goal met**" in verdict
    assert "ended early (timed out after 100 s)" in text and "stopped there" in text


def test_a_saved_run_is_rewritten_from_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = [_run("ganzoo", 0, [6, 5, 4, 3, 2]), _run("textbook", 0, [9, 8, 6, 5, 4])]
    opts = {"marks": [30, 60, 120, 240, 480], "seeds": [0], "sides": ["ganzoo", "textbook"],
            "n": 2000, "width": 64, "parallel": 6}  # fmt: skip
    saved = {"options": opts, "runs": runs, "load_before": "b", "load_during": "d",
             "load_after": "a", "training_wall_s": 100, "max_wall": 4300}  # fmt: skip
    (tmp_path / "run.json").write_text(json.dumps(saved))
    ttq.main(["--from-json", str(tmp_path / "run.json"), "--no-write"])
    out = capsys.readouterr().out
    assert (
        "python -m benchmarks.time_to_quality --seeds 0 -n 2000 --parallel 6 --max-wall 4300 --sides ganzoo,textbook`"
        in out
    )
    assert "| textbook | 9.00 | 8.00 | 6.00 | 5.00 | 4.00 |" in out


def test_tiny_end_to_end_run(mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sides for real: one seed each, tiny models, 500-sample evaluations."""
    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    result = ttq.main(["--quick", "--no-write", "--sides", "ganzoo,textbook", "--parallel", "2"])
    by_side = {run["side"]: run for run in result["runs"]}
    assert set(by_side) == {"ganzoo", "textbook"}
    for run in by_side.values():
        assert [s["mark"] for s in run["snapshots"]] == [4.0, 8.0]
        for snap in run["snapshots"]:
            assert snap["cpu_seconds"] >= snap["mark"] and snap["step"] >= 1
            assert snap["fid"] > 0 and 1.0 <= snap["score"] <= 10.0
        assert run["ended"] == "finished" and run["first_step_cpu_seconds"] > 0
        assert run["process_cpu_s"] >= run["snapshots"][-1]["cpu_seconds"] - 0.5
        assert "folder" not in run  # removed


def test_each_ganzoo_side_is_the_cli_with_its_own_flags_only() -> None:
    opts = ttq.Options((30,), (0,), ttq.SIDES, 100)
    base = "ganzoo train dcgan --data mnist --seed S --steps 1000000 --out RUN"
    assert ttq.user_command("ganzoo", opts) == base
    assert ttq.user_command("ganzoo-fast", opts) == (
        base + " --set amp=auto --set batch_size=32 --set optimizer.lr_g=4e-4"
        " --set optimizer.lr_d=4e-4"
    )
    argv = ttq.side_argv("ganzoo-fast", 3, opts, "/x")
    assert argv[argv.index("--seed") + 1] == "3" and argv[-8:] == list(
        ttq.GANZOO_SIDES["ganzoo-fast"]
    )
