"""The ganzoo model folder format: one layout on disk and on the Hugging Face Hub.

``config.json`` (format, ganzoo version, architecture and the plugin that provides it, the
architecture config, the data set, metrics, the reproduce command and the weight file names),
``generator.safetensors``, ``discriminator.safetensors`` (optional), a ``README.md`` model card and
``samples.png`` (64 samples, seed 0). Weights are safetensors and load strictly; nothing is pickled.

This module knows the format only: writing a folder, reading and checking its ``config.json``,
and loading its weight files into a model already built. Turning a folder into a model (which
architecture, built how) is ``ganzoo.loading``'s job; ``ganzoo.hub`` re-exports the public names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo._version import __version__
from ganzoo.errors import WeightsError
from ganzoo.folder_config import MAX_CONFIG_BYTES, validate_folder_config
from ganzoo.registry import get_registry
from ganzoo.text import clean

if TYPE_CHECKING:
    from ganzoo.gan import GANModel
    from ganzoo.specs import ModelSpec

FORMAT = "ganzoo"
CONFIG_FILE = "config.json"
CARD_FILE = "README.md"
SAMPLES_FILE = "samples.png"
WEIGHT_FILES = {"generator": "generator.safetensors", "discriminator": "discriminator.safetensors"}
"""Weight file of each role in a model folder."""


def card_fields(spec: ModelSpec) -> dict[str, Any]:
    """What a pretrained entry's card adds to ``config.json``: licence, seed spread, checkpoint."""
    out: dict[str, Any] = {}
    if spec.license:
        out["license"] = spec.license
    if spec.spread is not None:
        sp = spec.spread
        out["spread"] = {
            "seeds": list(sp.seeds),
            "mean": dict(sp.mean),
            "std": dict(sp.std),
            "band": {k: list(v) for k, v in sp.band.items()},
        }
    if spec.selection is not None:
        sel = spec.selection
        out["checkpoint"] = clean(
            f"step {sel.chosen_step}, {sel.rule()} of "
            f"{len(sel.steps)} checkpoints, each scored on {sel.n} samples against "
            f"{sel.reference}; not the test split",
            2000,
        )
    return out


def folder_config(
    model: GANModel,
    metrics: dict[str, float] | None,
    reproduce: str | None,
    card: dict[str, Any] | None = None,
) -> dict:
    """The ``config.json`` content describing ``model``.

    Args:
        model: The model to describe.
        metrics: Its metrics, or None.
        reproduce: The command that reproduces its weights, or None.
        card: Further card fields (`card_fields`: licence, seed spread, checkpoint choice).

    Returns:
        A JSON-able dict; the architecture's plugin comes from the registry.
    """
    registry = get_registry()
    plugin_name = registry.get(model.arch.name).plugin if model.arch.name in registry else None
    info = next((p for p in registry.plugins if p.name == plugin_name), None)
    files = (
        dict(WEIGHT_FILES)
        if model.discriminator is not None
        else {"generator": WEIGHT_FILES["generator"]}
    )
    return {
        "format": FORMAT,
        "ganzoo_version": __version__,
        "architecture": model.arch.name,
        "architecture_plugin": {
            "name": plugin_name,
            "distribution": info.distribution if info else None,
            "version": info.version if info else None,
        },
        "config": model.config_dict(),
        "dataset": model.data.name,
        # the data's own spec (its real shape and classes): a model trained on an image folder,
        # an array file or a tensor loads without the data, and without its name registered
        "dataset_spec": model.data.model_dump(mode="json"),
        "metrics": dict(metrics or {}),
        "reproduce": reproduce,
        "files": files,
        **(card or {}),
    }


def save_pretrained(
    model: GANModel,
    folder: str | Path,
    *,
    metrics: dict[str, float] | None = None,
    reproduce: str | None = None,
    repo_id: str | None = None,
) -> Path:
    """Write ``model`` to ``folder`` in the ganzoo layout and return the folder.

    ``metrics`` and ``reproduce`` default to those of the pretrained entry the model came from.
    ``repo_id`` (set by ``ganzoo.hub.push``) goes into the model card's title and load example. Every
    file is written atomically.
    """
    from ganzoo.images import save_samples
    from ganzoo.model_card import render
    from ganzoo.weights import atomic_write_bytes, save_module

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    card = None
    if model.pretrained is not None:
        metrics = metrics if metrics is not None else dict(model.pretrained.metrics)
        reproduce = reproduce if reproduce is not None else model.pretrained.reproduce
        card = card_fields(model.pretrained)
    config = folder_config(model, metrics, reproduce, card)
    # One metadata key only: safetensors writes metadata in hash order, and several keys would
    # make identical weights hash differently (sha256 pins need byte-identical files).
    meta = {"format": "pt"}
    save_module(model.generator, folder / WEIGHT_FILES["generator"], meta)
    if model.discriminator is not None:
        save_module(model.discriminator, folder / WEIGHT_FILES["discriminator"], meta)
    save_samples(model.sample(64, seed=0), folder / SAMPLES_FILE)
    atomic_write_bytes(folder / CONFIG_FILE, (json.dumps(config, indent=2) + "\n").encode())
    card = render(config, repo_id=repo_id, modality=model.data.modality)
    atomic_write_bytes(folder / CARD_FILE, card.encode())
    return folder


def read_folder_config(folder: Path) -> dict[str, Any]:
    """The ``config.json`` of a model folder, validated whole (`ganzoo.folder_config`).

    Raises:
        WeightsError: the file is missing, unreadable, over 1 MiB, or any field is missing, of
            the wrong type or out of bounds (one line naming each).
    """
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise WeightsError(
            f"{folder} is not a ganzoo model folder: it has no {CONFIG_FILE} "
            "(save one with ganzoo.hub.save_pretrained, or pass a training run directory)"
        )
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_CONFIG_BYTES:
            raise ValueError(f"over {MAX_CONFIG_BYTES // 1024} KiB")
        config = json.loads(raw.decode("utf-8"))
    except (ValueError, OSError) as err:
        raise WeightsError(f"{path} is not readable JSON ({clean(err, 200)})") from None
    validate_folder_config(config, str(path))  # the whole file, strictly, before any use
    return config


def load_weights(model: GANModel, config: dict[str, Any], folder: Path) -> GANModel:
    """Load the weight files ``config`` lists from ``folder`` into ``model``, strictly.

    Args:
        model: A model built from the folder's architecture, config and data set.
        config: The folder's ``config.json`` (see ``read_folder_config``).
        folder: Where the weight files are.

    Returns:
        ``model`` in eval mode; without a listed discriminator file, its discriminator is None
        (never an untrained one).

    Raises:
        WeightsError: a listed file is missing, or its keys or shapes do not fit the model
            (naming the file and every missing key, unexpected key and wrong shape).
    """
    from ganzoo.weights import load_module_file

    files: dict[str, str] = config["files"]
    gen = folder / files["generator"]
    if not gen.is_file():
        raise WeightsError(f"{folder} has no generator weights: {files['generator']} is missing")
    load_module_file(model.generator, gen)
    if "discriminator" in files:
        disc = folder / files["discriminator"]
        if not disc.is_file():
            raise WeightsError(f"{folder} lists {files['discriminator']} but the file is missing")
        if model.discriminator is None:
            raise WeightsError(
                f"{disc} holds discriminator weights but the model has no discriminator"
            )
        load_module_file(model.discriminator, disc)
    else:
        model.discriminator = None
    return model.eval()


def is_model_folder(folder: Path) -> bool:
    """Whether ``folder`` has a ganzoo ``config.json`` (as opposed to a run directory's)."""
    try:
        return json.loads((folder / CONFIG_FILE).read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False
