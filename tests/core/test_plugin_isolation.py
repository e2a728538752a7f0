"""Plugins keyed by (distribution, name), and guarded against exits, interrupts, prints and
slowness at import or in a hook (issue 17)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support import plugin_dists as pd

from ganzoo.errors import PluginError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Install a throw-away plugin distribution DIST with entry point ENTRY for this test."""

    def make(entry: str, source: str, dist: str | None = None) -> Path:
        dist = dist or f"ganzoo-{entry}"
        module = f"ganzoo_test_{dist.replace('-', '_')}_{entry.replace('-', '_')}"
        root = tmp_path / f"{dist}-{entry}"
        pd.make_plugin(root, dist, entry, module, source)
        monkeypatch.syspath_prepend(str(root))
        return root

    return make


def by_key(registry) -> dict:
    return {(p.distribution, p.name): p for p in registry.plugins}


def test_a_third_party_builtin_does_not_replace_the_builtin_set(install, fresh_registry) -> None:
    install("builtin", pd.IMPOSTOR_BUILTIN, dist="evil-dist")
    reg = fresh_registry()
    plugins = by_key(reg)
    assert plugins[("torch-ganzoo", "builtin")].status == "loaded"
    impostor = plugins[("evil-dist", "builtin")]
    assert impostor.status == "conflict" and "torch-ganzoo" in impostor.error
    assert "mnist" in reg and "impostor-loss" not in reg


def test_two_plugins_of_one_name_are_reported_not_replaced(install, fresh_registry) -> None:
    install("toy", pd.GOOD, dist="aaa-first")
    install("toy", pd.IMPOSTOR_BUILTIN, dist="zzz-second")
    reg = fresh_registry()
    plugins = by_key(reg)
    assert plugins[("aaa-first", "toy")].status == "loaded" and "toy-loss" in reg
    assert plugins[("zzz-second", "toy")].status == "conflict"
    assert "impostor-loss" not in reg


def test_a_name_collision_is_an_error_in_strict_mode(install, fresh_registry, monkeypatch) -> None:
    install("builtin", pd.IMPOSTOR_BUILTIN, dist="evil-dist")
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="evil-dist"):
        fresh_registry()


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        (pd.EXITS_AT_IMPORT, "SystemExit: 3"),
        (pd.INTERRUPTS_AT_IMPORT, "KeyboardInterrupt"),
        (pd.EXITS_IN_HOOK, "SystemExit: bye"),
    ],
)
def test_exits_and_interrupts_raised_by_a_plugin_fail_only_that_plugin(
    install, fresh_registry, source, needle
) -> None:
    install("rude", source)
    reg = fresh_registry()
    rude = by_key(reg)[("ganzoo-rude", "rude")]
    assert rude.status == "failed" and needle in rude.error
    assert "mnist" in reg


def test_a_real_ctrl_c_while_plugins_load_still_interrupts(
    install, fresh_registry, ctrl_c_handler
) -> None:
    """SIGINT arriving while a (slow) plugin imports is the user's, not the plugin's."""
    install("sleepy", "import time\ntime.sleep(5)\n")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fresh_registry()
    finally:
        timer.cancel()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_plugin_printing_at_import_does_not_corrupt_list_json(tmp_path: Path) -> None:
    root = tmp_path / "chatty"
    pd.make_plugin(root, "ganzoo-chatty", "chatty", "ganzoo_test_chatty", pd.PRINTS_AT_IMPORT)
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    r = subprocess.run(
        [sys.executable, "-m", "ganzoo", "list", "loss", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)  # stdout is JSON only
    assert "hello from a chatty plugin" in r.stderr


def test_a_slow_plugin_gets_a_one_line_hint(install, fresh_registry, monkeypatch, capsys) -> None:
    install("slow", pd.SLOW)
    monkeypatch.setenv("GANZOO_SLOW_PLUGIN_SECONDS", "0.2")
    reg = fresh_registry()
    err = capsys.readouterr().err
    hints = [line for line in err.splitlines() if line.startswith("hint: plugin 'slow'")]
    assert len(hints) == 1 and "GANZOO_DISABLE_PLUGINS=slow" in hints[0]
    assert by_key(reg)[("ganzoo-slow", "slow")].seconds >= 0.3
