"""A model folder or Hub repo is untrusted: validated whole, bounded, and checked against its
weight files before anything is allocated; its text never reaches a terminal or card raw."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo import hub
from ganzoo.errors import WeightsError
from ganzoo.model_card import render

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    model = ganzoo.build("gan", data="ring-8")
    return hub.save_pretrained(model, tmp_path_factory.mktemp("saved") / "m", reproduce="ok")


def _tampered(saved: Path, tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "m"
    folder.mkdir()
    for f in saved.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    config = json.loads((saved / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"config": "not a mapping"}, "config"),
        ({"config": {"latent_dim": -5}}, "latent_dim"),
        ({"config": {"g_hidden": [0, -3]}}, "g_hidden"),
        ({"metrics": {"fid": "1e400"}}, "metrics.fid"),
        ({"metrics": {"fid\x1b[2J": 1.0}}, "metrics"),
        ({"reproduce": "ganzoo train gan\x1b[2J\x1b]0;owned\x07"}, "reproduce"),
        ({"reproduce": ["a list"]}, "reproduce"),
        ({"files": {"generator": "C:\\Windows\\x"}}, "files.generator"),
        ({"files": {"generator": "../../etc/passwd.safetensors"}}, "files.generator"),
        ({"files": {}}, "files.generator"),
        ({"architecture": 7}, "architecture"),
        ({"architecture_plugin": {"distribution": "x; rm -rf /"}}, "distribution"),
        ({"dataset_spec": {"shape": [1, 100000, 100000]}}, "shape"),
        ({"unknown_field": 1}, "unknown_field"),
        ({"config": {"g_hidden": [[[[[[[[[1]]]]]]]]]}}, "nested"),
    ],
)
def test_bad_config_json_is_one_weights_error(saved, tmp_path, changes, needle) -> None:
    folder = _tampered(saved, tmp_path, **changes)
    with pytest.raises(ganzoo.errors.GanzooError) as info:
        ganzoo.load(str(folder))
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message and len(message) < 1500
    if needle:
        assert needle in message, message


def test_config_that_asks_for_huge_networks_is_refused_before_allocating(saved, tmp_path) -> None:
    """A few bytes of config asking for an 8.6e9-parameter G (every width within its bound):
    refused on the meta device, in a process whose peak memory stays far below the 34 GB that
    building it would take."""
    folder = _tampered(saved, tmp_path, config={"g_hidden": [16384] * 32})
    code = (
        "import ganzoo\n"
        "try:\n"
        f"    ganzoo.load({str(folder)!r})\n"
        "except ganzoo.errors.GanzooError as e:\n"
        "    print(type(e).__name__, e)\n"
        # VmHWM, this process's own peak: ru_maxrss also keeps the high-water mark of the
        # address space replaced by exec, i.e. the forking pytest's size (2 GB late in a suite)
        "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
        "print('peak_mib', int(hwm.split()[1]) // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    ).stdout
    assert out.startswith("WeightsError") and "refusing to build" in out, out
    assert int(out.rsplit("peak_mib", 1)[1]) < 1500, out


def test_config_that_does_not_match_the_weight_headers_is_refused_unbuilt(
    saved, tmp_path, monkeypatch
) -> None:
    folder = _tampered(saved, tmp_path, config={"g_hidden": [4096, 4096]})

    def no_real_build(*args, **kwargs):  # pragma: no cover - the failure this test looks for
        raise AssertionError("the networks were built before the weights were checked")

    monkeypatch.setattr("ganzoo.loading.folder.build_architecture", no_real_build)
    with pytest.raises(WeightsError, match=r"describes a generator of [\d,]+ values, but"):
        ganzoo.load(str(folder))


def test_malformed_safetensors_header_is_one_line(saved, tmp_path) -> None:
    folder = _tampered(saved, tmp_path)
    (folder / "generator.safetensors").write_bytes(b"\xff" * 8 + b"{}")
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        ganzoo.load(str(folder))


def test_model_card_fences_cannot_be_closed_by_repo_text() -> None:
    config = {
        "architecture": "gan",
        "dataset": "ring-8",
        "config": {"note": "```\n# injected"},
        "metrics": {"fid": 1.0},
        "reproduce": "ganzoo train gan ``` then [click](http://evil)",
    }
    card = render(config)
    lines = card.splitlines()
    start = lines.index("## Reproduce") + 2
    opening = lines[start]
    assert opening.startswith("````") and lines[start + 2] == opening.split("bash")[0]
    assert "# injected" not in [line.strip() for line in lines]  # stayed inside its fence
