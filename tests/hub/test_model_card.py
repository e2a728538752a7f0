"""ganzoo.model_card on its own: the YAML front matter, the metrics table, reproduce and use sections."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ganzoo.model_card import SAMPLES_FILE, front_matter, render

REPO = Path(__file__).resolve().parents[2]


def folder_config(**changes: Any) -> dict[str, Any]:
    """A config.json as save_pretrained writes it."""
    config = {
        "format": "ganzoo",
        "ganzoo_version": "9.8.7",
        "architecture": "dcgan",
        "architecture_plugin": {"name": "builtin", "distribution": "torch-ganzoo", "version": "1"},
        "config": {"latent_dim": 100, "width": 64, "channels": 1},
        "dataset": "mnist",
        "metrics": {"fid": 12.345678, "score": 9.5},
        "reproduce": "ganzoo train dcgan --data mnist --epochs 5 --out runs/dcgan",
        "files": {"generator": "generator.safetensors"},
    }
    return {**config, **changes}


def split(card: str) -> tuple[dict[str, Any], str]:
    """The parsed front matter and the Markdown body of a card."""
    match = re.fullmatch(r"---\n(.*?)\n---\n(.*)", card, flags=re.DOTALL)
    assert match, card[:200]
    return yaml.safe_load(match.group(1)), match.group(2)


def section(body: str, title: str) -> str:
    """The text of one ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", body, flags=re.M | re.DOTALL)
    assert match, f"no section {title!r} in:\n{body}"
    return match.group(1).strip()


def test_front_matter_carries_library_tags_dataset_and_metrics() -> None:
    meta, _ = split(render(folder_config(), repo_id="you/dcgan-mnist"))
    assert meta["library_name"] == "ganzoo"
    assert meta["tags"] == ["gan", "ganzoo", "dcgan", "mnist"]
    assert meta["datasets"] == ["mnist"]
    assert meta["pipeline_tag"] == "unconditional-image-generation"
    assert meta["metrics"] == ["fid", "score"]
    (entry,) = meta["model-index"]
    assert entry["name"] == "you/dcgan-mnist"
    (result,) = entry["results"]
    assert result["task"]["type"] == "unconditional-image-generation"
    assert result["dataset"] == {"name": "mnist", "type": "mnist"}
    assert result["metrics"] == [
        {"type": "fid", "name": "fid", "value": 12.345678},
        {"type": "score", "name": "score", "value": 9.5},
    ]


def test_front_matter_is_the_same_block_render_starts_with() -> None:
    config = folder_config()
    assert render(config, "a/b").startswith(front_matter(config, "a/b") + "\n")


def test_tags_are_not_repeated_when_the_architecture_is_called_gan() -> None:
    meta, _ = split(render(folder_config(architecture="gan", dataset="ring-8"), modality="points"))
    assert meta["tags"] == ["gan", "ganzoo", "ring-8"]


def test_points_models_have_no_image_pipeline_tag() -> None:
    meta, _ = split(
        render(folder_config(dataset="ring-8", metrics={"modes": 8.0}), modality="points")
    )
    assert "pipeline_tag" not in meta
    assert meta["model-index"][0]["results"][0]["task"]["type"] == "other"
    assert meta["model-index"][0]["name"] == "dcgan-ring-8"  # no repo id: architecture-dataset


def test_without_metrics_there_is_no_model_index_and_the_body_says_so() -> None:
    for metrics in (None, {}):
        meta, body = split(render(folder_config(metrics=metrics)))
        assert "metrics" not in meta and "model-index" not in meta
        assert section(body, "Metrics") == "No metrics were recorded for these weights."


def test_awkward_names_survive_yaml() -> None:
    odd = 'my: data #1 "quoted" - [x]'
    config = folder_config(dataset=odd, metrics={"fid: val": 1.0, "yes": 2.0})
    meta, _ = split(render(config, repo_id="you/a: b"))
    assert meta["datasets"] == [odd] and meta["tags"][-1] == odd
    assert meta["metrics"] == ["fid: val", "yes"]  # "yes" stays a string, not YAML's true
    assert meta["model-index"][0]["name"] == "you/a: b"


def test_metrics_table_lists_every_metric_with_six_significant_digits() -> None:
    _, body = split(render(folder_config(metrics={"fid": 12.345678, "modes": 10.0, "kl": 1.5e-7})))
    table = section(body, "Metrics").splitlines()
    assert table == [
        "| metric | value |",
        "| --- | --- |",
        "| fid | 12.3457 |",
        "| modes | 10 |",
        "| kl | 1.5e-07 |",
    ]


def test_reproduce_command_is_a_bash_block() -> None:
    command = "ganzoo train ganzoo/pretrained/recipes/dcgan-mnist.yaml --out runs/zoo/dcgan-mnist"
    _, body = split(render(folder_config(reproduce=command)))
    assert section(body, "Reproduce") == f"```bash\n{command}\n```"
    for missing in (None, ""):
        _, body = split(render(folder_config(reproduce=missing)))
        assert section(body, "Reproduce") == "No reproduce command was recorded."


def test_title_samples_and_load_example_follow_the_repo_id() -> None:
    _, body = split(render(folder_config(), repo_id="you/dcgan-mnist"))
    assert body.startswith("\n# you/dcgan-mnist\n")
    assert "saved by ganzoo 9.8.7" in body
    assert section(body, "Samples") == f"![64 samples, seed 0]({SAMPLES_FILE})"
    assert 'model = ganzoo.load("hf-hub:you/dcgan-mnist")' in section(body, "Use")
    _, local = split(render(folder_config()))
    assert local.startswith("\n# dcgan on mnist\n")
    assert 'ganzoo.load("local-dir:PATH/TO/THIS/FOLDER")' in section(local, "Use")


def test_architecture_config_block_is_the_saved_config() -> None:
    config = folder_config(config={"width": 8, "latent_dim": 4, "nested": {"b": 1, "a": [1, 2]}})
    use = section(split(render(config))[1], "Use")
    block = re.search(r"```json\n(.*?)\n```", use, flags=re.DOTALL)
    assert block and json.loads(block.group(1)) == config["config"]


def test_third_party_architecture_says_which_package_to_install() -> None:
    plugin = {"name": "pacgan", "distribution": "ganzoo-pacgan", "version": "0.3"}
    _, body = split(render(folder_config(architecture="pacgan", architecture_plugin=plugin)))
    assert "The architecture comes from the plugin `pacgan`: `pip install ganzoo-pacgan`" in body
    assert "(version 0.3 saved it)" in body
    for builtin in ({"name": "builtin", "distribution": "torch-ganzoo"}, None):
        _, body = split(render(folder_config(architecture_plugin=builtin)))
        assert "pip install" not in body


def test_rendering_never_imports_torch() -> None:
    code = (
        "import sys; from ganzoo.model_card import render; "
        "render({'architecture': 'gan', 'dataset': 'ring-8', 'metrics': {'modes': 8.0}}); "
        "print('torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["dcgan-mnist", "gan-mnist"])
def test_card_of_a_pretrained_model_carries_its_entry(tmp_path: Path, name: str) -> None:
    import ganzoo
    from ganzoo.hub import save_pretrained

    (spec,) = [s for s in ganzoo.list_entries("model") if s.name == name]
    folder = save_pretrained(ganzoo.load(name, device="cpu"), tmp_path / name)
    meta, body = split((folder / "README.md").read_text())
    values = {m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]}
    assert values == pytest.approx(dict(spec.metrics))
    assert meta["datasets"] == [spec.dataset] and spec.architecture in meta["tags"]
    assert section(body, "Reproduce") == f"```bash\n{spec.reproduce}\n```"
    # the reproduce command trains a recipe that is in the repository: `ganzoo reproduce NAME`
    # runs the card's recipe file, older cards name it with `ganzoo train RECIPE`
    words = spec.reproduce.split()
    if words[1] == "reproduce":
        assert words[2] == name and (REPO / "ganzoo" / spec.recipe).is_file(), spec.recipe
    else:
        assert words[1] == "train" and (REPO / words[2]).is_file(), words[2]
