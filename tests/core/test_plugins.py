"""The plugin loader: isolation of broken plugins, disable list, strict mode, hook validation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import plugin_dists as pd

from ganzoo.errors import PluginError


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Return a function that installs a throw-away plugin on sys.path for this test."""

    def install(name: str, source: str) -> None:
        root = tmp_path / name
        pd.make_plugin(
            root, f"ganzoo-{name}", name, f"ganzoo_test_{name.replace('-', '_')}", source
        )
        monkeypatch.syspath_prepend(str(root))

    return install


def plugins_by_name(registry) -> dict:
    return {p.name: p for p in registry.plugins}


def test_builtin_plugin_registers_every_kind(fresh_registry) -> None:
    reg = fresh_registry()
    builtin = plugins_by_name(reg)["builtin"]
    assert builtin.status == "loaded" and builtin.distribution == "torch-ganzoo"
    kinds = {e.kind for e in reg.list()}
    assert {"architecture", "loss", "dataset"} <= kinds
    assert set(builtin.entries) == {e.name for e in reg.list() if e.plugin == "builtin"}


def test_third_party_plugin_registers(plugin_path, fresh_registry) -> None:
    plugin_path("good", pd.GOOD)
    reg = fresh_registry()
    assert reg.get("toy-loss").plugin == "good"
    info = plugins_by_name(reg)["good"]
    assert info.distribution == "ganzoo-good" and info.entries == ["toy-loss"]


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("broken-import", pd.BROKEN_IMPORT, "broken on purpose"),
        ("broken-hook", pd.BROKEN_HOOK, "hook exploded"),
        ("malformed", pd.MALFORMED, "name"),
        ("duplicate", pd.DUPLICATE, "already registered"),
        ("wrong-hook", pd.WRONG_HOOK, "unknown hook 'register_loss'"),
    ],
)
def test_broken_plugin_is_isolated(plugin_path, fresh_registry, name, source, message) -> None:
    plugin_path("good", pd.GOOD)
    plugin_path(name, source)
    reg = fresh_registry()
    info = plugins_by_name(reg)[name]
    assert info.status == "failed" and message in info.error
    assert info.entries == []
    assert "toy-loss" in reg and "mnist" in reg  # the others are untouched
    if name == "duplicate":
        assert "other-loss" not in reg  # a failed plugin keeps none of its entries
        assert "'builtin'" in info.error and "'duplicate'" in info.error


def test_malformed_spec_names_plugin_field(plugin_path, fresh_registry) -> None:
    plugin_path("malformed", pd.MALFORMED)
    info = plugins_by_name(fresh_registry())["malformed"]
    assert "builder" in info.error and "name" in info.error


def test_strict_mode_raises(plugin_path, fresh_registry, monkeypatch) -> None:
    plugin_path("broken-import", pd.BROKEN_IMPORT)
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="broken-import"):
        fresh_registry()


def test_disabled_plugins_are_skipped(plugin_path, fresh_registry, monkeypatch) -> None:
    plugin_path("good", pd.GOOD)
    plugin_path("broken-import", pd.BROKEN_IMPORT)
    monkeypatch.setenv("GANZOO_DISABLE_PLUGINS", "good, broken-import")
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")  # a disabled plugin is never imported
    reg = fresh_registry()
    assert "toy-loss" not in reg
    assert plugins_by_name(reg)["good"].status == "disabled"
    assert "ganzoo_test_broken_import" not in sys.modules


def test_loading_is_lazy_and_once() -> None:
    from ganzoo import registry

    registry.reset_registry()
    assert registry._registry is None
    first = registry.get_registry()
    assert registry.get_registry() is first


RING_4 = """
from ganzoo import hookimpl
from ganzoo.specs import DatasetSpec

@hookimpl
def register_datasets(register):
    register(DatasetSpec(
        name="ring-4", summary="A ring of 4 through the built-in builder.", modality="points",
        shape=(2,), num_modes=4, builder="ganzoo.data.mixtures:build_ring",
        config="ganzoo.data.mixtures:RingConfig",
    ))
"""


def test_dataset_builder_is_given_its_own_spec(plugin_path, fresh_registry) -> None:
    """A data set builder gets the entry it builds: a third party can reuse a built-in builder."""
    from ganzoo.building import build_entry

    plugin_path("ring-four", RING_4)
    reg = fresh_registry()
    data = build_entry("ring-4", modes=4, size=64)
    assert data.spec is reg.get("ring-4").spec and data.spec.num_modes == 4
    assert data.modes.shape == (4, 2) and len(data) == 64
    assert build_entry("ring-8", size=16).spec is reg.get("ring-8").spec
