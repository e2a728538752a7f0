"""One source of truth for defaults: what `ganzoo info` shows is what gets built.

Every registered entry that is built from options (architectures on their default data, losses,
diagnostics, data sets; third-party ones too) is built with no overrides, except a size limit
on data sets that would otherwise load tens of thousands of samples, and the config the builder
received must equal the defaults `ganzoo info` shows (updated with that limit). A default written
twice that drifted (sngan's latent_dim was 128 in its spec and 100 in SNGANConfig) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from ganzoo import api, building
from ganzoo.registry import get_registry
from ganzoo.specs import ArchitectureSpec, LossSpec

BUILT_KINDS = ("architecture", "loss", "diagnostic", "dataset")
SMALL = {"mnist": {"limit": 64}, "stacked-mnist": {"limit": 64}}
"""Overrides that keep a data set small; every other entry is built exactly as it is listed."""


def _buildable() -> list[str]:
    return [
        e.name
        for e in get_registry().list()
        if e.kind in BUILT_KINDS or isinstance(getattr(e.spec, "config", None), str)
    ]


def _own_files(name: str, folder: Path) -> dict[str, Any]:
    """The ``path`` (or ``root``) option of a data set that reads files, pointing at tiny ones."""
    import numpy as np

    if name == "array-file":
        np.save(folder / "x.npy", np.zeros((10, 1, 8, 8), dtype=np.uint8))
        return {"path": str(folder / "x.npy")}
    if name == "image-folder":
        from PIL import Image

        for i in range(10):
            Image.new("L", (16, 16), color=i * 20).save(folder / f"{i}.png")
        return {"path": str(folder)}
    from support.standard_files import WRITERS

    if name in WRITERS:  # a standard data set: 10 images in its published format
        WRITERS[name](folder, 10)
        return {"root": str(folder)}
    return {}


@pytest.mark.parametrize("name", _buildable())
def test_info_shows_the_defaults_that_are_built(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received: list[BaseModel | None] = []
    make_config = building.make_config

    def spy(spec: Any, overrides: dict[str, Any]) -> BaseModel | None:
        config = make_config(spec, overrides)
        received.append(config)
        return config

    monkeypatch.setattr(building, "make_config", spy)
    overrides = {**SMALL.get(name, {}), **_own_files(name, tmp_path)}
    built = building.build_entry(name, **overrides)

    shown = api.info(name)
    assert len(received) == 1
    config = received[0]
    if config is None:  # an entry without options shows none
        assert shown.get("config") is None and "defaults" not in shown
        return
    assert {**shown["defaults"], **overrides} == config.model_dump(mode="json")
    # and the object keeps the config it was built from
    if hasattr(built, "config"):
        assert built.config is config
    else:  # a data set: as many samples as its options ask for (or its files hold)
        size = overrides.get("limit") or getattr(config, "size", None) or 10
        assert len(built) == size  # type: ignore[arg-type]


def test_sngan_builds_with_the_latent_size_its_listing_shows() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "ganzoo", "info", "sngan", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)["defaults"]
    model = building.build_entry("sngan")
    assert shown["latent_dim"] == 128 == model.generator.latent_dim
    # the pretrained sngan-mnist stores only width, so it loads with this latent size too
    assert get_registry().get("sngan-mnist").spec.config == {"width": 32}


def test_a_spec_cannot_repeat_defaults() -> None:
    for spec_cls in (ArchitectureSpec, LossSpec):
        with pytest.raises(ValidationError, match="live in its config model"):
            spec_cls(name="x", summary="s", builder="a.b:c", config="a.b:C", defaults={"k": 1})


def test_listings_read_defaults_from_the_config_model() -> None:
    from ganzoo.models.configs import WGANConfig

    assert api.info("wgan")["defaults"] == WGANConfig().model_dump(mode="json")
    assert api.info("minimax").get("defaults") is None  # no options, nothing to show
    assert "defaults" not in api.info("dcgan-mnist")  # a pretrained model has its own config
    r = subprocess.run(
        [sys.executable, "-m", "ganzoo", "list", "loss", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["r1"]["defaults"] == {"gamma": 10.0, "interval": 1}
    assert rows["dragan"]["defaults"] == {"weight": 10.0, "scale": 0.5}
