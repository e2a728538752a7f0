"""`ganzoo list metrics`, `ganzoo info` of a metric or extractor, and `ganzoo evaluate`'s name
check, run as a user runs them (a subprocess each); none of the listing imports torch."""

from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, timeout=120
    )


BUILTIN_METRICS = {"fid", "score", "modes", "mixture", "prd", "dc", "ndb"} | {
    f"{m}-inception" for m in ("fid", "kid", "is", "prd", "dc")
}


def test_list_metrics() -> None:
    r = run("list", "metrics", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {row["kind"] for row in rows} == {"metric"}
    builtin = {row["name"]: row for row in rows if row["plugin"] == "builtin"}
    assert set(builtin) == BUILTIN_METRICS
    assert builtin["prd"]["params"] == {"prd_k": 3}
    assert builtin["prd"]["extractor"] == "mnist-classifier" and builtin["prd"]["raw_fallback"]
    table = run("list", "metric")
    assert table.returncode == 0
    assert "precision, recall: mnist-classifier (raw elsewhere)" in table.stdout


def test_list_extractors_and_wildcards() -> None:
    rows = json.loads(run("list", "features", "--json").stdout)
    assert [r["name"] for r in rows if r["plugin"] == "builtin"] == [
        "inception-v3",
        "mnist-classifier",
    ]
    assert {r["name"] for r in json.loads(run("list", "metric", "*d*", "--json").stdout)} >= {
        "fid",
        "dc",
        "ndb",
        "prd",
    }


def test_info_metric_and_extractor() -> None:
    fid = json.loads(run("info", "fid", "--json").stdout)
    assert fid["kind"] == "metric" and fid["plugin"] == "builtin"
    assert fid["outputs"] == ["fid"] and fid["extractor"] == "mnist-classifier"
    clf = json.loads(run("info", "mnist-classifier", "--json").stdout)
    assert clf["kind"] == "extractor" and clf["datasets"] == ["mnist", "stacked-mnist"]
    assert len(clf["sha256"]) == 64
    table = run("info", "ndb")
    assert table.returncode == 0 and "ndb_bins=100" in table.stdout


def test_evaluate_unknown_metric_suggests_before_loading() -> None:
    r = run("evaluate", "dcgan-mnist", "--metrics", "fid,precison")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "unknown metric name 'precison'" in r.stderr
    r = run("evaluate", "dcgan-mnist", "--metrics", "ring-8")
    assert r.returncode == 1 and "'ring-8' is a dataset" in r.stderr


def test_metric_listing_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "from ganzoo.cli import app\n"
        "for args in (['list', 'metrics'], ['list', 'extractor', '--json'], ['info', 'fid'],\n"
        "             ['info', 'mnist-classifier', '--json']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
        "import ganzoo.metrics, ganzoo.metrics.catalog, ganzoo.metrics.resolve\n"
        "from ganzoo.building import dataset_spec\n"
        "ganzoo.metrics.default_metrics(dataset_spec('mnist'))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("ok")
