"""Which diagnostics a run attaches: defaults, edits of them (+NAME/-NAME), GANZOO_DIAGNOSTICS."""

from __future__ import annotations

import pytest

import ganzoo
from ganzoo.errors import PluginError, UnknownNameError
from ganzoo.interfaces import Diagnostic
from ganzoo.training.watch import build_diagnostics, default_diagnostics, select_diagnostics

ON = [s.name for s in ganzoo.list_entries("diagnostic") if s.enabled_by_default]


def test_defaults_are_the_specs_that_say_so(monkeypatch) -> None:
    monkeypatch.delenv("GANZOO_DIAGNOSTICS", raising=False)
    assert default_diagnostics() == ON and "oscillation" not in ON
    assert select_diagnostics(None) == ON


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["-mode-collapse"], [n for n in ON if n != "mode-collapse"]),
        (["+oscillation"], [*ON, "oscillation"]),
        (["oscillation"], ["oscillation"]),
        (["oscillation", "exploding-gradient"], ["oscillation", "exploding-gradient"]),
        (["none"], []),
        ([], []),
        (["none", "+oscillation"], ["oscillation"]),
        (["all", "-oscillation"], [n for n in ON]),
        (
            ["default", "+oscillation", "-vanishing-gradient"],
            [n for n in ON if n != "vanishing-gradient"] + ["oscillation"],
        ),
    ],
)
def test_selection(selection, expected) -> None:
    assert sorted(select_diagnostics(selection)) == sorted(expected)


def test_environment_sets_the_selection_of_a_run_that_gives_none(monkeypatch) -> None:
    monkeypatch.setenv("GANZOO_DIAGNOSTICS", "-mode-collapse, -sample-diversity")
    chosen = select_diagnostics(None)
    assert "mode-collapse" not in chosen and "sample-diversity" not in chosen
    assert "exploding-gradient" in chosen
    assert select_diagnostics(["oscillation"]) == ["oscillation"]  # a run's own choice wins


def test_unknown_name_suggests(monkeypatch) -> None:
    with pytest.raises(UnknownNameError, match="mode-collapse"):
        select_diagnostics(["-mode-colapse"])
    monkeypatch.setenv("GANZOO_DIAGNOSTICS", "+nope")
    with pytest.raises(UnknownNameError):
        select_diagnostics(None)


def test_builder_returning_the_bare_base_class_is_refused(monkeypatch) -> None:
    import ganzoo.training.watch as watch

    monkeypatch.setattr(watch, "build_entry", lambda name, **o: Diagnostic())
    with pytest.raises(PluginError, match=r"not a subclass of ganzoo\.interfaces\.Diagnostic"):
        build_diagnostics(["exploding-gradient"])


def test_cli_turns_a_default_one_off(tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from ganzoo.cli import app

    monkeypatch.setenv("GANZOO_DIAGNOSTICS", "-exploding-gradient")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app,
        ["train", "gan", "--data", "ring-8", "--steps", "2", "--batch-size", "8", "--out", str(out),
         "--diagnostics=-mode-collapse,+oscillation", "--set", "architecture_options.g_hidden=[8]",
         "--set", "architecture_options.d_hidden=[8]", "-q"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    import json

    saved = json.loads((out / "config.json").read_text())
    assert saved["diagnostics"] == ["-mode-collapse", "+oscillation"]
