"""Metrics and feature extractors as a registry kind: their specs, hooks and built-in entries."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from support import plugin_dists as pd

from ganzoo import hookspecs
from ganzoo.specs import KINDS, SPEC_TYPES, ExtractorSpec, MetricSpec, normalize_kind

BUILTIN_METRICS = {
    *("fid", "score", "modes", "mixture", "prd", "dc", "ndb"),
    *("fid-inception", "kid-inception", "is-inception", "prd-inception", "dc-inception"),
}


def _metric(**fields) -> MetricSpec:
    return MetricSpec(
        **{"name": "m", "summary": "s", "builder": "a.b:C", "outputs": ("v",), **fields}
    )


def test_metric_and_extractor_are_kinds_with_hooks() -> None:
    assert {"metric", "extractor"} <= set(KINDS)
    assert SPEC_TYPES["metric"] is MetricSpec and SPEC_TYPES["extractor"] is ExtractorSpec
    assert hookspecs.HOOKS["metric"] == "register_metrics"
    assert hookspecs.HOOKS["extractor"] == "register_extractors"
    for hook in ("register_metrics", "register_extractors"):
        assert "builder(config, spec)" in getattr(hookspecs, hook).__doc__
    assert normalize_kind("Metrics") == "metric"
    assert normalize_kind("extractors") == normalize_kind("features") == "extractor"


def test_metric_spec_is_frozen_closed_and_validated() -> None:
    spec = _metric(params={"k": 3}, default_on=("mnist", "points"))
    with pytest.raises(ValidationError):
        spec.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        _metric(keys=("v",))
    with pytest.raises(ValidationError, match="outputs"):
        _metric(outputs=())
    with pytest.raises(ValidationError, match="import string"):
        _metric(builder="not an import string")
    with pytest.raises(ValidationError, match="modalities"):
        _metric(modalities=())
    with pytest.raises(ValidationError, match="modalities"):
        _metric(modalities=("audio",))
    with pytest.raises(ValidationError, match="extractor"):
        _metric(extractor="Not A Name")
    with pytest.raises(ValidationError, match="needs"):
        _metric(needs=("labels",))
    with pytest.raises(ValidationError, match="min_samples"):
        _metric(min_samples=0)


def test_extractor_spec_pins_a_sha256() -> None:
    ok = ExtractorSpec(name="e", summary="s", builder="a:B", sha256="0" * 64)
    assert ok.outputs == ("features",) and ok.protocol_name is None
    with pytest.raises(ValidationError, match="sha256"):
        ExtractorSpec(name="e", summary="s", builder="a:B", sha256="abc")


def test_builtin_plugin_registers_metrics_and_extractor(fresh_registry) -> None:
    from ganzoo.building import build_entry
    from ganzoo.interfaces import FeatureExtractor, Metric

    reg = fresh_registry()
    metrics = {e.name: e for e in reg.list("metrics") if e.plugin == "builtin"}
    assert set(metrics) == BUILTIN_METRICS
    assert {e.name for e in reg.list("extractor")} >= {"mnist-classifier", "inception-v3"}
    for name, entry in metrics.items():
        if entry.spec.extractor is not None:
            assert reg.get(entry.spec.extractor, "extractor").plugin == "builtin"
        metric = build_entry(name)  # builder(config, spec): the metric holds its own entry
        assert isinstance(metric, Metric) and metric.spec is entry.spec
        assert metric.params == entry.spec.params
    extractor = build_entry("mnist-classifier")
    assert isinstance(extractor, FeatureExtractor) and extractor.spec.sha256 == extractor.sha256


WRONG_SPEC = """
from ganzoo import hookimpl
from ganzoo.specs import DatasetSpec

@hookimpl
def register_metrics(register):
    register(DatasetSpec(name="not-a-metric", summary="x", builder="m:f", shape=(2,)))
"""

MISSING_OUTPUTS = """
from ganzoo import hookimpl

@hookimpl
def register_metrics(register):
    register({"name": "no-outputs", "summary": "x", "builder": "m:f"})
"""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (WRONG_SPEC, "register_metrics was given a DatasetSpec; it takes MetricSpec specs"),
        (MISSING_OUTPUTS, "outputs"),
    ],
)
def test_bad_metric_registration_fails_only_that_plugin(
    tmp_path, monkeypatch, fresh_registry, source: str, message: str
) -> None:
    module = f"ganzoo_test_bad_metric_{abs(hash(source))}"  # one module per case
    pd.make_plugin(tmp_path, "ganzoo-bad-metric", "bad-metric", module, source)
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = fresh_registry()
    info = {p.name: p for p in reg.plugins}["bad-metric"]
    assert info.status == "failed" and message in info.error
    assert "fid" in reg and reg.get("fid").plugin == "builtin"
