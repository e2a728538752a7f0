"""Save/load, push/pull and pretrained loading, against a loopback Hub emulator (tests/support/hub_server.py).

``huggingface_hub`` reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE when it is imported, so the
``hub`` fixture sets the environment and then makes the next import fresh: it takes every
``huggingface_hub`` module out of ``sys.modules`` (ganzoo imports it inside its functions) and puts
the originals back afterwards. Offline mode and the CLI's output run in subprocesses.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from support.hub_server import HubServer, purge_hf_modules, start_hub

import ganzoo
from ganzoo import hub
from ganzoo.errors import HubError, PluginError, WeightsError
from ganzoo.loading import pretrained
from ganzoo.specs import ModelSpec, WeightFile

TOKEN = "hf_TestSecretToken0123456789abcdef"
REPO_ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT = 60


def _tiny(seed: int = 0) -> ganzoo.gan.GANModel:
    torch.manual_seed(seed)
    return ganzoo.build("gan", data="ring-8")


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@dataclass
class Hub:
    server: HubServer
    env: dict[str, str]
    home: Path

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def state(self):
        return self.server.state


_HF_VARS = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_XET_CACHE",
    "HF_TOKEN_PATH",
    "HF_ENDPOINT",
)


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The emulator, with the environment pointing ``huggingface_hub`` at it (fresh HF_HOME)."""
    server = start_hub(token=TOKEN)
    home = tmp_path / "hf-home"
    env = {
        "HF_ENDPOINT": server.url,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": "5",
        "HF_HUB_DOWNLOAD_TIMEOUT": "5",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for var in _HF_VARS:
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    saved = purge_hf_modules()
    try:
        yield Hub(server, env, home)
        assert not server.state.errors, server.state.errors
    finally:
        purge_hf_modules()
        sys.modules.update(saved)  # type: ignore[arg-type]
        server.stop()


def _push(model, repo: str, monkeypatch: pytest.MonkeyPatch, **kw) -> str:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    try:
        return hub.push(model, repo, **kw)
    finally:
        monkeypatch.delenv("HF_TOKEN")


def _run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in _HF_VARS} | env
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        env=full,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


# --------------------------------------------------------------------------- on disk
def test_save_pretrained_layout_and_round_trip(tmp_path: Path) -> None:
    model = _tiny()
    folder = hub.save_pretrained(
        model, tmp_path / "m", metrics={"modes": 8.0}, reproduce="ganzoo train gan --data ring-8"
    )
    names = {p.name for p in folder.iterdir()}
    assert {"config.json", "generator.safetensors", "discriminator.safetensors"} <= names
    assert {"README.md", "samples.png"} <= names
    config = json.loads((folder / "config.json").read_text())
    assert config["format"] == "ganzoo" and config["ganzoo_version"] == ganzoo.__version__
    assert config["architecture"] == "gan" and config["dataset"] == "ring-8"
    assert config["architecture_plugin"]["name"] == "builtin"
    assert config["architecture_plugin"]["distribution"]
    assert config["config"] == model.config_dict()
    assert config["metrics"] == {"modes": 8.0}
    assert config["reproduce"] == "ganzoo train gan --data ring-8"
    assert config["files"] == {
        "generator": "generator.safetensors",
        "discriminator": "discriminator.safetensors",
    }

    loaded = hub.load_local_dir(folder)
    assert _same(loaded.generator, model.generator)
    assert _same(loaded.discriminator, model.discriminator)
    assert torch.equal(loaded.sample(16, seed=3), model.sample(16, seed=3))
    via_api = ganzoo.load(f"local-dir:{folder}")
    assert _same(via_api.generator, model.generator)


def test_model_card_front_matter_parses(tmp_path: Path) -> None:
    import yaml

    folder = hub.save_pretrained(_tiny(), tmp_path / "m", metrics={"modes": 7.0, "hq": 0.9})
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["library_name"] == "ganzoo"
    assert meta["tags"] == ["gan", "ganzoo", "gan", "ring-8"] or set(meta["tags"]) == {
        "gan",
        "ganzoo",
        "ring-8",
    }
    assert meta["datasets"] == ["ring-8"]
    results = meta["model-index"][0]["results"][0]
    assert {m["type"]: m["value"] for m in results["metrics"]} == {"modes": 7.0, "hq": 0.9}
    assert "![64 samples, seed 0](samples.png)" in text
    assert "| modes | 7 |" in text


def test_local_dir_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="does not exist"):
        hub.load_local_dir(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WeightsError, match=r"empty.*config\.json"):
        hub.load_local_dir(empty)
    folder = hub.save_pretrained(_tiny(), tmp_path / "m")
    (folder / "generator.safetensors").unlink()
    with pytest.raises(WeightsError, match=r"generator\.safetensors is missing"):
        hub.load_local_dir(folder)


def test_strict_loading_names_missing_key_and_wrong_shape(tmp_path: Path) -> None:
    folder = hub.save_pretrained(_tiny(), tmp_path / "m")
    path = folder / "generator.safetensors"
    tensors = load_file(path)
    key = sorted(tensors)[0]
    save_file({k: v for k, v in tensors.items() if k != key}, path)
    with pytest.raises(WeightsError, match=rf"missing keys {key}") as err:
        hub.load_local_dir(folder)
    assert str(path) in str(err.value)
    save_file({**tensors, key: torch.zeros(3, 3)}, path)
    with pytest.raises(WeightsError, match=rf"wrong shapes {key}: file \(3, 3\)"):
        hub.load_local_dir(folder)


def test_unregistered_architecture_repeats_the_distribution_unverified(tmp_path: Path) -> None:
    folder = hub.save_pretrained(_tiny(), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["architecture"] = "stylegan9"
    config["architecture_plugin"] = {
        "name": "sg9",
        "distribution": "ganzoo-stylegan9",
        "version": "1.2",
    }
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(PluginError, match=r"'stylegan9'.*distribution 'ganzoo-stylegan9'") as err:
        hub.load_local_dir(folder)
    assert "pip install" not in str(err.value)  # never a command built from a repo's text


# --------------------------------------------------------------------------- the Hub
def test_push_pull_load_round_trip(hub_server: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _tiny()
    url = _push(model, "tester/ring", monkeypatch, metrics={"modes": 8.0})
    assert url.startswith(f"{hub_server.url}/tester/ring/commit/")
    repo = hub_server.state.repos["tester/ring"]
    assert not repo.private
    head = repo.commits[repo.branches["main"]]
    assert {"config.json", "generator.safetensors", "discriminator.safetensors"} <= set(head.files)
    assert {"README.md", "samples.png"} <= set(head.files)
    assert head.files["generator.safetensors"].lfs

    folder = hub.pull("tester/ring")
    assert folder.name == head.oid and (folder / "samples.png").is_file()
    loaded = hub.load_from_hub("tester/ring")
    assert _same(loaded.generator, model.generator)
    assert _same(loaded.discriminator, model.discriminator)
    assert torch.equal(loaded.sample(64, seed=0), model.sample(64, seed=0))
    via_api = ganzoo.load("hf-hub:tester/ring")
    assert _same(via_api.generator, model.generator) and not via_api.training


def test_revisions_each_push_is_a_commit(hub_server: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second, third = _tiny(1), _tiny(2), _tiny(3)
    url1 = _push(first, "tester/rev", monkeypatch)
    url2 = _push(second, "tester/rev", monkeypatch)
    oid1, oid2 = url1.oid, url2.oid  # type: ignore[attr-defined]
    assert oid1 != oid2 and len(oid1) == 40
    repo = hub_server.state.repos["tester/rev"]
    assert repo.commits[oid2].parent == oid1  # one commit per push, on top of the last

    assert _same(hub.load_from_hub("tester/rev", revision=oid1).generator, first.generator)
    assert _same(hub.load_from_hub("tester/rev").generator, second.generator)
    assert _same(ganzoo.load("hf-hub:tester/rev", revision=oid1).generator, first.generator)

    url3 = _push(third, "tester/rev", monkeypatch, revision="experiment")
    assert repo.branches["experiment"] == url3.oid  # type: ignore[attr-defined]
    assert repo.branches["main"] == oid2
    assert _same(hub.load_from_hub("tester/rev", revision="experiment").generator, third.generator)


def test_missing_repo_file_and_revision_are_named(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Anonymous callers get 401 for a missing repo (the Hub does not reveal private ones).
    with pytest.raises(HubError, match=r"'tester/nope'.*private or does not exist: check the name"):
        hub.load_from_hub("tester/nope")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(HubError, match=r"'tester/nope'.*repository not found. Check the name"):
        hub.load_from_hub("tester/nope")
    with pytest.raises(HubError, match=r"'tester/nope'.*not found"):
        hub.pull("tester/nope")
    from huggingface_hub import HfApi

    HfApi().create_repo("tester/empty")
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match=r"'tester/empty'.*file 'config\.json'.*not found"):
        hub.load_from_hub("tester/empty")
    _push(_tiny(), "tester/ok", monkeypatch)
    with pytest.raises(HubError, match=r"revision 'v9'.*not found"):
        hub.load_from_hub("tester/ok", revision="v9")
    with pytest.raises(HubError, match="owner/name"):
        hub.load_from_hub("not-a-repo-id")


def test_hub_repo_with_unregistered_architecture(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = hub.save_pretrained(_tiny(), tmp_path / "m")
    config = json.loads((folder / "config.json").read_text())
    config["architecture"] = "biggan-x"
    config["architecture_plugin"] = {
        "name": "bx",
        "distribution": "ganzoo-biggan",
        "version": "0.3",
    }
    (folder / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo("tester/foreign")
    api.upload_folder(repo_id="tester/foreign", folder_path=folder)
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(PluginError, match=r"hf-hub:tester/foreign.*distribution .ganzoo-biggan."):
        hub.load_from_hub("tester/foreign")


def test_private_repo_needs_a_token(hub_server: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _tiny()
    _push(model, "tester/secret", monkeypatch, private=True)
    assert hub_server.state.repos["tester/secret"].private
    with pytest.raises(HubError, match=r"'tester/secret'.*credentials.*private.*HF_TOKEN"):
        hub.load_from_hub("tester/secret")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert _same(hub.load_from_hub("tester/secret").generator, model.generator)


def test_push_without_token_is_a_clear_error(hub_server: Hub) -> None:
    with pytest.raises(HubError, match=r"'tester/anon'.*HF_TOKEN"):
        hub.push(_tiny(), "tester/anon")


def _weight_spec(path: Path, *, bundled: str | None, repo: str = "tester/weights") -> ModelSpec:
    from ganzoo.weights import sha256_file

    return ModelSpec(
        name="gan-ring8-test",
        summary="test entry",
        architecture="gan",
        dataset="ring-8",
        reproduce="ganzoo train gan --data ring-8",
        weights=(
            WeightFile(
                role="generator",
                repo_id=repo,
                filename="generator.safetensors",
                sha256=sha256_file(path),
                size=path.stat().st_size,
                bundled=bundled,
            ),
        ),
    )


def test_pretrained_bundled_fp16_no_network(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = _tiny()
    package = tmp_path / "pkg"
    weights = package / "pretrained" / "weights" / "gan-ring8.generator.safetensors"
    weights.parent.mkdir(parents=True)
    save_file({k: v.half() for k, v in _state(model.generator).items()}, weights)
    spec = _weight_spec(weights, bundled="pretrained/weights/gan-ring8.generator.safetensors")
    monkeypatch.setattr(pretrained, "package_dir", lambda: package)

    loaded = hub.load_pretrained(spec)
    assert hub_server.state.requests == []  # the bundled copy needs no network
    assert loaded.pretrained is spec and loaded.name == "gan-ring8-test"
    assert next(loaded.generator.parameters()).dtype == torch.float32
    for k, v in loaded.generator.state_dict().items():
        assert torch.equal(v, model.generator.state_dict()[k].half().float())

    save_file({k: v.half() + 1 for k, v in _state(model.generator).items()}, weights)
    with pytest.raises(WeightsError, match=rf"expected sha256 {spec.weights[0].sha256}.*delete"):
        hub.load_pretrained(spec)


def test_pretrained_from_hub_and_tampered_cache(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = _tiny()
    _push(model, "tester/weights", monkeypatch)
    local = hub.save_pretrained(model, tmp_path / "m") / "generator.safetensors"
    spec = _weight_spec(local, bundled="pretrained/weights/not-shipped.safetensors")
    loaded = hub.load_pretrained(spec)
    assert _same(loaded.generator, model.generator) and loaded.pretrained is spec
    assert ganzoo.load  # the registry path is covered by api; here the spec is test-local

    cached = next(hub_server.home.rglob("snapshots/*/generator.safetensors"))
    blob = cached.resolve()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(WeightsError) as err:
        hub.load_pretrained(spec)
    message = str(err.value)
    assert spec.weights[0].sha256 in message and "delete the cached file" in message
    from ganzoo.weights import sha256_file

    assert sha256_file(blob) in message and str(blob) in message


# --------------------------------------------------------------------------- subprocesses
def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run ``ganzoo ARGS`` in this process the way the console script does; its exit code."""
    from ganzoo.cli import main

    monkeypatch.setattr(sys, "argv", ["ganzoo", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return int(done.value.code or 0)


def test_push_cli_never_shows_the_token(
    hub_server: Hub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The most the client ever logs: HF_HUB_VERBOSITY is read when huggingface_hub is imported
    # (afresh in this test); caplog puts the logger's level back afterwards.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="huggingface_hub")
    monkeypatch.setenv("HF_HUB_VERBOSITY", "debug")
    folder = hub.save_pretrained(_tiny(), tmp_path / "m")
    args = ("push", str(folder), "--repo", "tester/cli", "--private")

    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert _cli(monkeypatch, *args) == 0
    out, err = capfd.readouterr()
    assert "pushed" in out and "tester/cli" in out and "commit " in out
    assert hub_server.state.repos["tester/cli"].private
    assert hub_server.state.requests  # the client did talk (and log) at debug level

    bad = "hf_WrongTokenXYZ987654321"
    monkeypatch.setenv("HF_TOKEN", bad)
    assert _cli(monkeypatch, *args) == 1
    out2, err2 = capfd.readouterr()
    assert err2.strip().splitlines()[-1].startswith("error: repo 'tester/cli'")
    assert "HF_TOKEN" in err2.strip().splitlines()[-1]
    seen = out + err + out2 + err2 + caplog.text
    assert "(authenticated: True)" in caplog.text  # the client's request log was captured
    assert TOKEN not in seen and bad not in seen


OFFLINE_SCRIPT = """
import json, sys
import ganzoo
from ganzoo.errors import HubError
model = ganzoo.load("hf-hub:tester/off")
print(json.dumps({"sum": float(model.sample(64, seed=0).double().sum())}))
try:
    ganzoo.load("hf-hub:tester/never-downloaded")
except HubError as err:
    print("HubError:", err)
sys.argv = ["ganzoo", "pull", "tester/off"]
from ganzoo.cli import main
main()
"""


def test_offline_mode_uses_the_cache(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = _tiny()
    _push(model, "tester/off", monkeypatch)
    hub.pull("tester/off")  # fills the cache (every file of the repo)
    expected = float(model.sample(64, seed=0).double().sum())
    hub_server.state.requests.clear()

    done = _run(OFFLINE_SCRIPT, {**hub_server.env, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0])["sum"] == pytest.approx(expected, abs=1e-9)
    assert "tester/never-downloaded" in lines[1] and "HF_HUB_OFFLINE" in lines[1]
    assert any(
        line.endswith(hub_server.state.repos["tester/off"].branches["main"]) for line in lines
    )
    assert "gan (" in done.stdout and "ring-8" in done.stdout
    assert hub_server.state.requests == []  # nothing reached the server


# --------------------------------------------------------------------------- run dirs, registry
def test_run_directory_loads_and_pushes(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ganzoo.loading import load_run_model
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    run = tmp_path / "run"
    config = TrainConfig(
        architecture="gan",
        data="ring-8",
        data_options={"size": 256},
        steps=1,
        batch_size=32,
        diagnostics=[],
        out=str(run),
    )
    Trainer.create(config).run()
    expected = load_run_model(run)
    assert _same(hub.load_local_dir(run).generator, expected.generator)
    assert _same(ganzoo.load(f"local-dir:{run}").generator, expected.generator)

    _push(str(run), "tester/from-run", monkeypatch, reproduce="ganzoo train gan --data ring-8")
    loaded = hub.load_from_hub("tester/from-run")
    assert _same(loaded.generator, expected.generator)


def _bundled_models() -> list[ModelSpec]:
    specs = [entry.spec for entry in ganzoo.list_entries("model")]
    return [
        s
        for s in specs
        if any(
            wf.role in ("generator", "ema_generator")
            and wf.bundled
            and (hub.package_dir() / wf.bundled).is_file()
            for wf in s.weights
        )
    ]


@pytest.mark.parametrize("spec", _bundled_models(), ids=lambda s: s.name)
def test_registered_bundled_models_load_offline(hub_server: Hub, spec: ModelSpec) -> None:
    model = ganzoo.load(spec.name)
    assert model.pretrained == spec
    assert hub_server.state.requests == []  # bundled copies need no network
    assert model.sample(2, seed=0).shape == (2, *model.data.shape)


def test_push_of_a_registered_model_uploads_the_pinned_bytes(
    hub_server: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ganzoo push dcgan-mnist` must publish the very file the registry pins, not a re-save."""
    specs = _bundled_models()
    if not specs:
        pytest.fail("no registered pretrained model with a bundled file")
    spec = specs[0]
    _push(spec.name, f"tester/{spec.name}", monkeypatch)
    head = hub_server.state.repos[f"tester/{spec.name}"]
    files = head.commits[head.branches["main"]].files
    assert files["generator.safetensors"].sha256 == spec.weights[0].sha256
    assert "discriminator.safetensors" not in files  # no untrained D published with it
    loaded = ganzoo.load(f"hf-hub:tester/{spec.name}")
    assert torch.equal(loaded.sample(8, seed=0), ganzoo.load(spec.name).sample(8, seed=0))
