"""benchmarks.evaluate_speed: the baseline really is the old code, and the table it writes."""

from __future__ import annotations

import argparse

from benchmarks import evaluate_speed


def test_before_tree_is_the_commit_before_the_fast_evaluation(tmp_path) -> None:
    tree = evaluate_speed.extract(evaluate_speed.BEFORE, tmp_path)
    old = (tree / "ganzoo" / "metrics" / "manifold.py").read_text()
    assert "def knn_radii" in old and "cross_stats" not in old  # per-metric k-NN, no shared pass
    assert (tree / "ganzoo" / "metrics" / "weights" / "mnist_classifier.safetensors").is_file()


def _row(wall: float, cpu: float, fid: float) -> dict[str, object]:
    return {
        "wall": wall,
        "cpu": cpu,
        "load": (5.0, 6.0),
        "metrics": {"fid": fid, "modes": 10.0},
        "floors": {"fid": 0.2, "modes": 10.0},
    }


def test_table_reports_ratios_loads_and_values_side_by_side() -> None:
    args = argparse.Namespace(rounds=2, n=10_000, before="95f393f")
    runs = {
        "before": [_row(200.0, 100.0, 16.0), _row(180.0, 90.0, 16.0)],
        "after (cold cache)": [_row(190.0, 80.0, 16.0)],
        "after": [_row(40.0, 30.0, 16.0), _row(50.0, 30.0, 16.0)],
    }
    text = "\n".join(evaluate_speed._table(runs, args))
    assert "**4.2x wall, 3.2x CPU**" in text  # medians 190/45 and 95/30
    assert "| before #2 | 180.0 | 90.0 | 5.0 -> 6.0 |" in text
    assert "identical in all runs" in text and "| fid | 16.0 | 16.0 | 0.2 | 0.2 |" in text
    runs["after"][1] = _row(50.0, 30.0, 16.5)
    assert "**NOT identical**" in "\n".join(evaluate_speed._table(runs, args))
