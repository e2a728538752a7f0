"""The CLI as a user runs it: a subprocess per command, exit codes, one-line errors, no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import plugin_dists as pd


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_version() -> None:
    from ganzoo import __version__

    r = run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


def test_list_json_has_every_kind() -> None:
    r = run("list", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert {"architecture", "loss", "dataset"} <= {row["kind"] for row in rows}
    assert all(row["plugin"] for row in rows)


def test_list_kind_and_pattern() -> None:
    rows = json.loads(run("list", "datasets", "*mnist*", "--json").stdout)
    assert [row["name"] for row in rows] == ["fashion-mnist", "mnist", "stacked-mnist"]
    rows = json.loads(run("list", "*mnist*", "--json").stdout)  # a pattern alone
    assert {row["name"] for row in rows} >= {"mnist", "stacked-mnist"}


def test_list_table_for_people() -> None:
    r = run("list", "dataset")
    assert r.returncode == 0 and "ring-8" in r.stdout and "grid-25" in r.stdout
    for name in ("cifar10", "cifar100", "fashion-mnist", "svhn", "celeba", "lsun", "stl10"):
        assert f" {name} " in r.stdout, name


def test_info_json() -> None:
    data = json.loads(run("info", "ring-8", "--json").stdout)
    assert data["kind"] == "dataset" and data["shape"] == [2] and data["plugin"] == "builtin"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("info", "mnst"), "did you mean 'mnist'"),
        (("list", "lossez"), "unknown"),
        (("train", "dcgna", "--steps", "1"), "did you mean 'dcgan'"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args: tuple[str, ...], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 1
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0


def test_listing_never_imports_torch() -> None:
    code = (
        "import sys\n"
        "from ganzoo.cli import app\n"
        "for args in (['list'], ['list', 'loss', '--json'], ['info', 'mnist'], ['plugins', '--json']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "import ganzoo; ganzoo.list_entries(); ganzoo.info('dcgan')\n"
        "assert 'torch' not in sys.modules\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("ok")


def test_broken_plugin_reported_while_list_still_works(tmp_path: Path) -> None:
    root = pd.make_plugin(
        tmp_path, "ganzoo-broken", "broken", "ganzoo_test_broken", pd.BROKEN_IMPORT
    )
    env = {"PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    listing = run("list", "--json", env=env)
    assert listing.returncode == 0
    assert "broken" in listing.stderr  # a warning pointing at `ganzoo plugins`
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json", env=env).stdout)}
    assert plugins["broken"]["status"] == "failed"
    assert "broken on purpose" in plugins["broken"]["error"]
    assert plugins["builtin"]["status"] == "loaded"
    table = run("plugins", env=env)
    assert table.returncode == 0 and "failed" in table.stdout
    strict = run("list", env={**env, "GANZOO_STRICT_PLUGINS": "1"})
    assert strict.returncode == 1 and "broken" in strict.stderr and "Traceback" not in strict.stderr


def test_pacgan_plugin_listed_when_installed() -> None:
    pytest.importorskip("ganzoo_pacgan")
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json").stdout)}
    assert plugins["pacgan"]["distribution"] == "ganzoo-pacgan"
    assert "pacgan" in plugins["pacgan"]["entries"]
    assert json.loads(run("info", "pacgan", "--json").stdout)["plugin"] == "pacgan"
