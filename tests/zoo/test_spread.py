"""Cards' seed spread and tolerance band; old cards without them still load."""

from __future__ import annotations

import json

import pytest

from ganzoo.errors import ConfigError
from ganzoo.metric_keys import higher_is_better
from ganzoo.pretrained.catalog import ZOO_FILE
from ganzoo.specs import CheckpointSelection, ModelSpec, SeedSpread
from ganzoo.zoo.spread import band, mean_std, outside_band, seed_spread


def test_mean_std_and_band() -> None:
    mean, std = mean_std([4.0, 5.0, 6.0])
    assert (mean, std) == (5.0, 1.0)
    assert band(mean, std) == (2.0, 8.0)  # 3 std
    assert band(10.0, 0.0) == pytest.approx((9.8, 10.2))  # at least 2% of the mean
    assert mean_std([3.0]) == (3.0, 0.0)


def test_seed_spread_keeps_common_keys_and_the_band() -> None:
    sp = seed_spread([0, 1, 2], [{"fid": 4, "score": 9}, {"fid": 5, "score": 9}, {"fid": 6}], 0)
    assert set(sp.values) == {"fid"} and sp.values["fid"] == (4.0, 5.0, 6.0)
    assert sp.mean["fid"] == 5.0 and sp.std["fid"] == 1.0 and sp.band["fid"] == (2.0, 8.0)
    assert sp.shipped_seed == 0 and "3 x std" in sp.band_rule


def test_outside_band_names_metric_side_and_distance() -> None:
    bands = {"fid": (3.0, 5.0), "score": (9.0, 10.0), "kl": (0.0, 0.03)}
    lines = outside_band(bands, {"fid": 5.5, "score": 8.5})
    assert lines == [
        "fid 5.5 is above its band [3, 5] by 0.5",
        "score 8.5 is below its band [9, 10] by 0.5",
        "kl was not measured (its band is [0, 0.03])",
    ]
    assert outside_band(bands, {"fid": 4, "score": 9.5, "kl": 0.01}) == []


def test_metric_directions() -> None:
    assert higher_is_better("score") and not higher_is_better("fid")
    with pytest.raises(ConfigError, match="no known direction"):
        higher_is_better("mystery")


def test_spread_must_be_consistent() -> None:
    with pytest.raises(ValueError, match="shipped_seed"):
        SeedSpread(seeds=(0, 1), shipped_seed=5)
    with pytest.raises(ValueError, match=r"values\.fid"):
        SeedSpread(seeds=(0, 1), shipped_seed=0, values={"fid": (1.0,)})
    with pytest.raises(ValueError, match="chosen_step"):
        CheckpointSelection(
            metric="score", higher_is_better=True, steps=(1, 2), values=(1.0, 2.0),
            chosen_step=3, n=10, seed=1, reference="x",
        )  # fmt: skip


def test_old_cards_load_and_new_ones_round_trip() -> None:
    entries = json.loads(ZOO_FILE.read_text())["models"]
    new_fields = ("recipe", "selection", "spread", "license")
    # a card as written before these fields existed: a shipped one, with them taken out
    old = {k: v for k, v in entries[0].items() if k not in new_fields}
    spec = ModelSpec(**old)
    assert spec.spread is None and spec.selection is None and spec.license is None
    new = {
        **old,
        "license": "Apache-2.0",
        "spread": seed_spread([0, 1, 2], [{"fid": 4}, {"fid": 5}, {"fid": 6}], 0).model_dump(
            mode="json"
        ),
    }
    again = ModelSpec(**json.loads(json.dumps(new)))
    assert again.spread is not None and again.spread.band["fid"] == (2.0, 8.0)
    assert again.license == "Apache-2.0"
