"""The registry: lookup, wildcards, natural sort, duplicates, suggestions, kinds."""

from __future__ import annotations

import pytest

from ganzoo.errors import DuplicateNameError, UnknownNameError, WrongKindError
from ganzoo.registry import Registry, natural_key
from ganzoo.specs import DatasetSpec, LossSpec


def loss(name: str) -> LossSpec:
    return LossSpec(name=name, summary=f"{name} loss", builder="m:f", scores="logits")


def data(name: str) -> DatasetSpec:
    return DatasetSpec(name=name, summary="d", builder="m:f", shape=(2,), modality="points")


@pytest.fixture
def reg() -> Registry:
    r = Registry()
    r.add([loss("gan10"), loss("gan2"), loss("gan1"), loss("hinge")], plugin="a")
    r.add([data("ring-8"), data("grid-25")], plugin="b")
    return r


def test_natural_sort(reg: Registry) -> None:
    assert reg.names("loss") == ["gan1", "gan2", "gan10", "hinge"]
    assert natural_key("x9") < natural_key("x10")


def test_list_all_kinds_in_kind_order(reg: Registry) -> None:
    assert [e.kind for e in reg.list()] == ["loss"] * 4 + ["dataset"] * 2


def test_wildcards(reg: Registry) -> None:
    assert reg.names(pattern="gan*") == ["gan1", "gan2", "gan10"]
    assert reg.names(pattern="gan?") == ["gan1", "gan2"]
    assert reg.names("dataset", "*-*") == ["grid-25", "ring-8"]
    assert reg.names("loss", "ring*") == []


def test_plural_kinds(reg: Registry) -> None:
    assert reg.names("losses") == reg.names("loss")
    assert reg.names("datasets") == ["grid-25", "ring-8"]


def test_unknown_kind_suggests(reg: Registry) -> None:
    with pytest.raises(UnknownNameError, match="architecture"):
        reg.list("architectur")


def test_get_and_owner(reg: Registry) -> None:
    entry = reg.get("hinge")
    assert entry.plugin == "a" and entry.kind == "loss"


def test_unknown_name_suggests_close_names(reg: Registry) -> None:
    with pytest.raises(UnknownNameError) as info:
        reg.get("hinj")
    assert "did you mean 'hinge'" in str(info.value)
    assert info.value.suggestions[0] == "hinge"


def test_unknown_name_without_match_still_helps(reg: Registry) -> None:
    with pytest.raises(UnknownNameError, match="ganzoo list"):
        reg.get("zzzzzz")


def test_wrong_kind(reg: Registry) -> None:
    with pytest.raises(WrongKindError, match="'ring-8' is a dataset"):
        reg.get("ring-8", "loss")


def test_duplicate_across_plugins_names_both(reg: Registry) -> None:
    with pytest.raises(DuplicateNameError) as info:
        reg.add([loss("new"), data("hinge")], plugin="c")
    assert "'c'" in str(info.value) and "'a'" in str(info.value)
    assert "new" not in reg  # all or nothing
    assert reg.get("hinge").kind == "loss"  # the first owner keeps it


def test_duplicate_within_plugin(reg: Registry) -> None:
    with pytest.raises(DuplicateNameError, match="twice"):
        reg.add([loss("x"), loss("x")], plugin="c")
