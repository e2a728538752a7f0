"""Full checkpoints: ``ganzoo.load(name, parts=...)`` and fine-tuning from a loaded G and D.

A registered model whose generator is bundled and whose discriminator lives only in its Hub repo
(the loopback emulator of tests/support/hub_server.py), as the zoo publishes them.
``huggingface_hub`` reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE when imported, so the fixture
takes its modules out of ``sys.modules`` (as tests/hub/test_hub.py does) and a test that goes
offline purges them again after setting HF_HUB_OFFLINE.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from support.hub_server import HubServer, purge_hf_modules, start_hub

import ganzoo
from ganzoo.errors import ConfigError, HubError, WeightsError
from ganzoo.hub import save_pretrained
from ganzoo.hub_client import upload_folder
from ganzoo.loading import pretrained
from ganzoo.specs import ModelSpec, WeightFile
from ganzoo.weights import save_module, sha256_file

TOKEN = "hf_PartsTestToken0123456789abcdef"
REPO = "tester/gan-ring8-parts"
NAME = "gan-ring8-parts"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_HF_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE", "HF_ENDPOINT")


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The emulator, ``huggingface_hub`` pointed at it with a fresh cache."""
    server = start_hub(token=TOKEN)
    for var in _HF_VARS:
        monkeypatch.delenv(var, raising=False)
    env = {
        "HF_ENDPOINT": server.url,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": "5",
        "HF_HUB_DOWNLOAD_TIMEOUT": "5",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    saved = purge_hf_modules()
    try:
        yield server
        assert not server.state.errors, server.state.errors
    finally:
        purge_hf_modules()
        sys.modules.update(saved)  # type: ignore[arg-type]
        server.stop()


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def _pin(path: Path, role: str, filename: str, bundled: str | None) -> WeightFile:
    return WeightFile(
        role=role,  # type: ignore[arg-type]
        repo_id=REPO,
        filename=filename,
        sha256=sha256_file(path),
        size=path.stat().st_size,
        bundled=bundled,
    )


@pytest.fixture
def zoo_model(hub: HubServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_registry):
    """A trained gan/ring-8 published as the zoo does: G bundled, D on the Hub only, registered."""
    torch.manual_seed(0)
    trained = ganzoo.build("gan", data="ring-8")
    package = tmp_path / "pkg"
    g_file = package / "pretrained" / "weights" / f"{NAME}.generator.safetensors"
    save_module(trained.generator, g_file)
    staged = tmp_path / "hub-folder"
    d_file = staged / "checkpoint" / "discriminator.safetensors"
    save_module(trained.discriminator, d_file)
    upload_folder(staged, REPO, message="parts", token=TOKEN)
    spec = ModelSpec(
        name=NAME,
        summary="test entry: bundled G, Hub-only D",
        architecture="gan",
        dataset="ring-8",
        reproduce="ganzoo train gan --data ring-8",
        weights=(
            _pin(g_file, "generator", "generator.safetensors", str(g_file.relative_to(package))),
            _pin(d_file, "discriminator", "checkpoint/discriminator.safetensors", None),
        ),
    )
    monkeypatch.setattr(pretrained, "package_dir", lambda: package)
    fresh_registry().add([spec], "test")
    hub.state.requests.clear()
    return trained, spec


def _go_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    purge_hf_modules()  # read again at the next import


def test_bundled_generator_and_hub_only_discriminator_load_with_parts(
    hub: HubServer, zoo_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained, spec = zoo_model
    plain = ganzoo.load(NAME)
    assert plain.discriminator is None and plain.ema_generator is None
    assert hub.state.requests == []  # the default load reads the bundled generator only
    assert _same(plain.generator, trained.generator)

    full = ganzoo.load(NAME, parts=["generator", "discriminator"])
    assert _same(full.generator, trained.generator)
    assert _same(full.discriminator, trained.discriminator)
    assert not full.discriminator.training and full.pretrained is spec
    assert any("checkpoint/discriminator.safetensors" in r for r in map(str, hub.state.requests))
    assert _same(ganzoo.load(NAME, parts="all").discriminator, trained.discriminator)

    _go_offline(monkeypatch)  # once downloaded, the part comes from the cache
    hub.state.requests.clear()
    again = ganzoo.load(NAME, parts="discriminator")
    assert _same(again.discriminator, trained.discriminator) and hub.state.requests == []


def test_a_tampered_discriminator_is_refused_naming_the_file_and_digests(
    hub: HubServer, zoo_model
) -> None:
    _, spec = zoo_model
    ganzoo.load(NAME, parts="discriminator")  # fills the cache
    home = Path(os.environ["HF_HOME"])
    cached = next(home.rglob("snapshots/*/checkpoint/discriminator.safetensors"))
    blob = cached.resolve()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(WeightsError) as err:
        ganzoo.load(NAME, parts=["discriminator"])
    message = str(err.value)
    pin = spec.weights[1]
    assert message.startswith(f"discriminator weights of model '{NAME}'")
    assert f"{REPO}/checkpoint/discriminator.safetensors" in message and str(blob) in message
    assert f"sha256 {sha256_file(blob)}" in message and f"expected sha256 {pin.sha256}" in message
    assert "\n" not in message


def test_a_part_the_model_does_not_publish_is_one_clear_error(zoo_model) -> None:
    with pytest.raises(WeightsError) as err:
        ganzoo.load(NAME, parts=["ema_generator"])
    assert str(err.value) == (
        f"model '{NAME}' publishes no ema_generator weights; the parts it has: generator, "
        "discriminator (ask for those, or parts='all')"
    )
    with pytest.raises(ConfigError, match=r"'disc' is not a part: parts are generator, ema_gen"):
        ganzoo.load(NAME, parts=["disc"])
    with pytest.raises(ConfigError, match=r"names no parts"):
        ganzoo.load(NAME, parts=[])
    with pytest.raises(ConfigError, match=r"pretrained=False is untrained"):
        ganzoo.load("gan", pretrained=False, parts="discriminator")


def test_offline_without_the_part_cached_names_file_repo_and_the_way_to_get_it(
    hub: HubServer, zoo_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    _go_offline(monkeypatch)
    assert ganzoo.load(NAME).discriminator is None  # the bundled generator needs no network
    with pytest.raises(HubError) as err:
        ganzoo.load(NAME, parts="discriminator")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(
        f"the discriminator weights of model '{NAME}' are not bundled with ganzoo"
    )
    assert f"repo '{REPO}'" in message and "checkpoint/discriminator.safetensors" in message
    assert "HF_HUB_OFFLINE" in message and "Download it once while online" in message
    assert hub.state.requests == []


def test_fine_tuning_from_a_loaded_g_and_d_runs_two_steps(zoo_model, tmp_path: Path) -> None:
    from ganzoo.loading import start_model
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    trained, _ = zoo_model
    config = TrainConfig(
        architecture="gan",
        data="ring-8",
        data_options={"size": 256},
        steps=2,
        batch_size=32,
        diagnostics=[],
        ema=0.9,
        init=NAME,
        out=str(tmp_path / "ft"),
    )
    trainer = Trainer.create(config, init=start_model(NAME))
    assert _same(trainer.G, trained.generator) and _same(trainer.D, trained.discriminator)
    assert _same(trainer.updates._ema.module, trained.generator)  # no EMA published: G's
    trainer.run()
    trainer.close()
    assert trainer.step == 2
    assert not _same(trainer.G, trained.generator) and not _same(trainer.D, trained.discriminator)
    assert json.loads((tmp_path / "ft" / "config.json").read_text())["init"] == NAME
    ckpt = tmp_path / "ft" / "checkpoints" / "step-0000002"
    assert set(load_file(ckpt / "discriminator.safetensors")) == set(
        trained.discriminator.state_dict()
    )

    with pytest.raises(ConfigError, match=r"config.init names 'gan-ring8-parts': pass its weights"):
        Trainer.create(config.model_copy(update={"out": str(tmp_path / "ft2")}))


def test_train_cli_init_takes_the_models_architecture_and_data(
    zoo_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ganzoo.cli import main

    out = tmp_path / "cli-ft"
    argv = ["ganzoo", "train", "--init", NAME, "--steps", "2", "-b", "32", "-q",
            "--diagnostics", "none", "--set", "data_options.size=256", "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code in (0, None), capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert (config["architecture"], config["data"], config["init"]) == ("gan", "ring-8", NAME)
    assert "finished: 2 steps" in capsys.readouterr().out


def test_fine_tuning_checks_the_architecture_and_a_discriminator(zoo_model, tmp_path: Path) -> None:
    options = {"data": "ring-8", "data_options": {"size": 256}, "steps": 1, "batch_size": 32}
    with pytest.raises(ConfigError, match=r"other gan options: latent_dim=100 \(run: 8\)"):
        ganzoo.train("gan", **options, architecture_options={"latent_dim": 8}, init=NAME,
                     out=str(tmp_path / "a"), progress=False, diagnostics=[])  # fmt: skip
    folder = save_pretrained(ganzoo.load(NAME), tmp_path / "g-only")
    with pytest.raises(WeightsError, match=r"publishes no discriminator weights \(the parts it"):
        ganzoo.train("gan", **options, init=str(folder), out=str(tmp_path / "b"), progress=False)


def test_run_directory_parts_and_the_zoo_tool(tmp_path: Path, monkeypatch) -> None:
    """A run that kept an EMA: parts='all' gives G as trained, its EMA and D; the zoo tool pins
    them with the bundled EMA generator relabelled ``ema_generator``."""
    from tools.zoo_parts import checkpoint_parts

    run = shutil.copytree(FIXTURES / "run-0.1-dcgan", tmp_path / "run")
    ckpt = run / "checkpoints" / "step-0000006"
    full = ganzoo.load(str(run), parts="all")
    for module, file in ((full.generator, "generator"), (full.ema_generator, "ema_generator"),
                         (full.discriminator, "discriminator")):  # fmt: skip
        state = load_file(ckpt / f"{file}.safetensors")
        assert all(torch.equal(module.state_dict()[k], state[k]) for k in state)
    assert ganzoo.load(str(run), parts="ema_generator").discriminator is None
    via_prefix = ganzoo.load(f"local-dir:{run}", parts="all")
    assert _same(via_prefix.ema_generator, full.ema_generator)
    assert _same(via_prefix.generator, full.generator)

    package = tmp_path / "pkg"
    bundled = package / "pretrained" / "weights" / "m.generator.safetensors"
    bundled.parent.mkdir(parents=True)
    save_file({k: v.half() for k, v in load_file(ckpt / "ema_generator.safetensors").items()},
              bundled)  # fmt: skip
    pin = {"role": "generator", "repo_id": "ganzoo/m", "revision": "main",
           "filename": "generator.safetensors", "sha256": sha256_file(bundled),
           "size": bundled.stat().st_size, "bundled": "pretrained/weights/m.generator.safetensors"}  # fmt: skip
    pins = checkpoint_parts(ckpt, [pin], tmp_path / "hub", package)
    assert [p["role"] for p in pins] == ["ema_generator", "generator", "discriminator"]
    assert pins[0] == {**pin, "role": "ema_generator"}
    for p in pins[1:]:
        file = tmp_path / "hub" / p["filename"]
        assert p["bundled"] is None and p["filename"].startswith("checkpoint/")
        assert file.read_bytes() == (ckpt / f"{p['role']}.safetensors").read_bytes()
        assert WeightFile(**p).sha256 == sha256_file(file)


def test_export_of_a_registered_discriminator_loads_the_part(
    zoo_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ganzoo.cli import main

    trained, _ = zoo_model
    out = tmp_path / "d.pt"
    argv = ["ganzoo", "export", NAME, "--part", "discriminator", "--format", "torchscript",
            "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code in (0, None), capsys.readouterr().err
    x = trained.sample(8, seed=1)
    scripted = torch.jit.load(str(out))
    with torch.no_grad():
        assert torch.allclose(scripted(x), trained.discriminator.eval()(x), atol=1e-5)


def test_fine_tuning_dcgan_on_mnist_starts_g_d_and_the_ema_from_a_run(
    tmp_path: Path, mnist_root: Path
) -> None:
    """The realistic case: BatchNorm, an EMA published and kept, MNIST; 2 steps from a run."""
    from ganzoo.loading import start_model
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer

    run = shutil.copytree(FIXTURES / "run-0.1-dcgan", tmp_path / "run")
    ckpt = run / "checkpoints" / "step-0000006"
    start = start_model(str(run))
    config = TrainConfig(
        architecture="dcgan",
        architecture_options=start.config_dict(),
        data="mnist",
        data_options={"limit": 64},
        steps=2,
        batch_size=16,
        ema=0.9,
        diagnostics=[],
        init=str(run),
        out=str(tmp_path / "ft"),
    )
    trainer = Trainer.create(config, init=start)
    for module, file in ((trainer.G, "generator"), (trainer.D, "discriminator"),
                         (trainer.updates._ema.module, "ema_generator")):  # fmt: skip
        state = load_file(ckpt / f"{file}.safetensors")
        own = module.state_dict()
        assert all(torch.equal(own[k], state[k].to(own[k].dtype)) for k in state), file
    trainer.run()
    trainer.close()
    assert trainer.step == 2
    tuned = ganzoo.load(str(tmp_path / "ft"))
    assert torch.isfinite(tuned.sample(4, seed=0)).all()
