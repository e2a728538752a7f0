"""Metrics as registry entries: resolution, default sets from the specs, the engine's loop over
built metrics, features computed once per set, and metrics and extractors a third party adds."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import torch
from support import plugin_dists as pd

from ganzoo.building import build_entry, dataset_spec
from ganzoo.errors import ConfigError, UnknownNameError, WrongKindError
from ganzoo.interfaces import SampleSet
from ganzoo.metrics import default_metrics, evaluate, resolve_metrics
from ganzoo.metrics.catalog import MNIST_CLASSIFIER_SHA256
from ganzoo.specs import DatasetSpec

BUILTIN_DEFAULTS = {
    "mnist": ["fid", "score", "modes", "prd", "dc", "ndb"],
    "stacked-mnist": ["fid", "modes"],
    "ring-8": ["mixture", "prd", "dc"],
    "grid-25": ["mixture", "prd", "dc"],
}


@pytest.mark.parametrize(("data", "expected"), BUILTIN_DEFAULTS.items())
def test_default_sets_follow_from_the_specs(data: str, expected: list[str]) -> None:
    assert [s.name for s in default_metrics(dataset_spec(data))] == expected
    assert [m.name for m in resolve_metrics(None, dataset_spec(data))] == expected


def test_defaults_for_data_no_metric_names() -> None:
    """A plugin data set gets the metrics that fit it: raw-value metrics, NDB as the fallback."""
    faces = DatasetSpec(name="faces", summary="x", builder="m:f", shape=(3, 64, 64))
    cloud = DatasetSpec(name="cloud", summary="x", builder="m:f", modality="points", shape=(3,))
    assert [s.name for s in default_metrics(faces)] == ["ndb"]
    assert [s.name for s in default_metrics(cloud)] == ["prd", "dc"]
    prd = resolve_metrics("prd", faces)[0]
    assert prd.extractor is None  # the classifier does not fit: raw values
    assert resolve_metrics("prd", dataset_spec("mnist"))[0].extractor.name == "mnist-classifier"
    with pytest.raises(ConfigError, match=r"'fid' does not fit faces: it needs mnist-classifier"):
        resolve_metrics("fid", faces)


def test_names_resolve_through_the_registry() -> None:
    mnist = dataset_spec("mnist")
    assert [m.name for m in resolve_metrics(" PRD, fid,prd ", mnist)] == ["prd", "fid"]
    with pytest.raises(UnknownNameError, match=r"unknown metric name 'ndbb'; did you mean 'ndb'"):
        resolve_metrics("fid,ndbb", mnist)
    with pytest.raises(WrongKindError, match=r"'dcgan' is a architecture"):
        resolve_metrics(["dcgan"], mnist)
    with pytest.raises(ConfigError, match=r"no metric given"):
        resolve_metrics(" , ", mnist)
    with pytest.raises(ConfigError, match=r"'score' does not fit stacked-mnist: .* mnist only"):
        resolve_metrics("score", dataset_spec("stacked-mnist"))
    with pytest.raises(ConfigError, match=r"metrics that fit ring-8: dc, mixture, ndb, prd"):
        resolve_metrics("modes", dataset_spec("ring-8"))


def test_metrics_read_their_pinned_params() -> None:
    """What a spec pins is what runs: the same metric entry with other params gives other values."""
    real = torch.cat([torch.randn(300, 4) + 6 * i for i in range(4)])
    fake = torch.cat([torch.randn(300, 4) + 6 * i for i in range(3)])
    data = DatasetSpec(name="blobs", summary="x", builder="m:f", modality="points", shape=(4,))
    gen, ref = SampleSet(fake, data), SampleSet(real, data)
    spec = build_entry("ndb").spec
    k100 = build_entry("ndb").compute(gen, ref)
    narrow = spec.model_copy(update={"params": {**spec.params, "ndb_bins": 8}})
    k8 = build_entry("ndb").__class__(None, narrow).compute(gen, ref)
    assert k100["ndb_fraction"] == k100["ndb"] / 100 and k8["ndb_fraction"] == k8["ndb"] / 8
    assert ref.memo("ndb_centres_8", lambda: None).shape == (8, 4)  # bins fitted once, kept
    assert ref.memo("ndb_centres_100", lambda: None).shape == (100, 4)


def test_protocol_comes_from_the_entries(mnist_root) -> None:
    x, _ = build_entry("mnist", train=False, root=str(mnist_root), limit=300).batch(
        torch.arange(300)
    )
    res = evaluate(x, "mnist", metrics="modes,prd", floors=False)
    spec = build_entry("mnist-classifier").spec
    assert res.protocol.extractor == spec.protocol_name
    assert res.protocol.extractor_sha256 == spec.sha256 == MNIST_CLASSIFIER_SHA256
    assert res.protocol.params == {
        "modes_min_count": 1,
        "prd_k": 3,
        "prd_dc_reference": "first 300 reference samples (equal sizes)",
    }
    assert list(res.metrics) == ["modes", "kl", "precision", "recall"]


def test_extractor_runs_once_per_set(mnist_root, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """fid, score, modes, prd and dc share one classifier pass per sample set."""
    from ganzoo.metrics import engine
    from ganzoo.metrics.classifier import MNISTFeatures

    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path))  # an empty reference-feature cache

    calls: list[int] = []
    original = MNISTFeatures.extract

    def counting(self, x, data):
        calls.append(x.shape[0])
        return original(self, x, data)

    monkeypatch.setattr(MNISTFeatures, "extract", counting)
    engine._reference.cache_clear()
    x, _ = build_entry("mnist", train=False, root=str(mnist_root), limit=200).batch(
        torch.arange(200)
    )
    evaluate(x, "mnist", metrics="fid,score,modes,prd,dc", n=200)
    assert sorted(calls) == [200, 200, 10_000]  # samples, floor set, reference
    evaluate(x, "mnist", metrics="fid", n=200)
    assert len(calls) == 4  # the reference and floor sets are cached with their features
    engine._reference.cache_clear()  # as in a new process: the real sets' features are on disk
    evaluate(x, "mnist", metrics="fid", n=200)
    assert len(calls) == 5 and calls[-1] == 200  # only the samples were classified
    engine._reference.cache_clear()


TOY = """
from ganzoo import hookimpl
from ganzoo.interfaces import FeatureExtractor, Metric
from ganzoo.specs import ExtractorSpec, MetricSpec

CALLS = []


class Radius(FeatureExtractor):
    def extract(self, x, data):
        CALLS.append(len(x))
        return {"features": x.double().norm(dim=1, keepdim=True)}


class MeanFeature(Metric):
    def compute(self, generated, reference):
        scale = float(self.params["toy_scale"])
        return {"toy_mean": scale * float(generated.features.mean())}


class MaxFeature(Metric):
    def compute(self, generated, reference):
        return {"toy_max": float(generated.features.max() - reference.features.max())}


class Modes(Metric):
    def compute(self, generated, reference):
        return {"modes": 0.0}


@hookimpl
def register_extractors(register):
    register(ExtractorSpec(
        name="toy-radius", summary="Distance from the origin.", builder="{module}:Radius",
        modalities=("points",), protocol_name="toy radius (1-d)",
    ))


@hookimpl
def register_metrics(register):
    register(MetricSpec(
        name="toy-mean", summary="Mean radius.", builder="{module}:MeanFeature",
        modalities=("points",), extractor="toy-radius", outputs=("toy_mean",),
        params={"toy_scale": 2}, default_on=("ring-8",), order=99,
    ))
    register(MetricSpec(
        name="toy-max", summary="Max radius gap.", builder="{module}:MaxFeature",
        modalities=("points",), extractor="toy-radius", outputs=("toy_max",),
    ))
    register(MetricSpec(
        name="toy-modes", summary="Clashes with mixture's key.", builder="{module}:Modes",
        modalities=("points",), outputs=("modes",),
    ))
"""


@pytest.fixture
def toy_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry):
    module = "ganzoo_test_toy_metrics"
    pd.make_plugin(tmp_path, "ganzoo-toy-metrics", "toy", module, TOY.replace("{module}", module))
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = fresh_registry()
    assert registry.get("toy-mean").plugin == "toy"
    from ganzoo.metrics import engine

    engine._reference.cache_clear()
    yield sys.modules[module]
    engine._reference.cache_clear()
    sys.modules.pop(module, None)


def test_third_party_metric_and_extractor(toy_plugin) -> None:
    from ganzoo.data.mixtures import ring_modes

    ring = dataset_spec("ring-8")
    assert [s.name for s in default_metrics(ring)] == ["mixture", "prd", "dc", "toy-mean"]
    samples = ring_modes()[torch.arange(2500) % 8] * 0.5
    res = evaluate(samples, "ring-8", metrics="toy-mean,toy-max")
    assert res.metrics["toy_mean"] == pytest.approx(1.0)  # scale 2 x radius 0.5
    assert res.metrics["toy_max"] < 0 and res.floors["toy_mean"] == pytest.approx(2.0, abs=0.05)
    assert sorted(toy_plugin.CALLS) == [2500, 2500, 2500]  # once per set, shared by both metrics
    assert res.protocol.extractor == "toy radius (1-d)" and res.protocol.extractor_sha256 is None
    assert res.protocol.params == {"toy_scale": 2}
    with pytest.raises(ConfigError, match=r"'mixture' and 'toy-modes' both report 'modes'"):
        evaluate(samples, "ring-8", metrics="mixture,toy-modes")
    with pytest.raises(ConfigError, match=r"'toy-mean' does not fit mnist"):
        resolve_metrics("toy-mean", dataset_spec("mnist"))


def test_pacgan_reverse_kl_function() -> None:
    metric = pytest.importorskip("ganzoo_pacgan.metric")  # the example plugin (make install-dev)
    from ganzoo.data.mixtures import ring_modes

    centres = ring_modes()
    assert metric.reverse_kl(centres.repeat(10, 1), centres) == pytest.approx(0.0)
    for k in (1, 2, 4):
        even = centres[torch.arange(800) % k] + 0.05  # off-centre, still nearest to its mode
        assert metric.reverse_kl(even, centres) == pytest.approx(math.log(8 / k))
    lopsided = centres[torch.tensor([0] * 93 + list(range(1, 8)))]
    assert metric.reverse_kl(lopsided, centres) > 1.5  # all 8 modes hit, far from even


def test_pacgan_metric_runs_through_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ganzoo_pacgan")
    import json

    from typer.testing import CliRunner

    import ganzoo.api
    from ganzoo.cli import app
    from ganzoo.data.mixtures import ring_modes
    from ganzoo.registry import get_registry

    entry = get_registry().get("reverse-kl", "metric")
    assert entry.plugin == "pacgan" and entry.spec.builder == "ganzoo_pacgan.metric:ReverseKL"
    assert "reverse-kl" not in [s.name for s in default_metrics(dataset_spec("ring-8"))]

    class TwoModes:
        name = "two-modes"
        data = dataset_spec("ring-8")

        def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
            return ring_modes()[torch.arange(n) % 2]

    monkeypatch.setattr(ganzoo.api, "load", lambda name, device=None: TwoModes())
    args = ["evaluate", "whatever", "--metrics", "reverse-kl,mixture", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metrics"] == {
        "reverse_kl": pytest.approx(math.log(4)),
        "modes": 2.0,
        "hq_fraction": 1.0,
    }
    assert data["floors"]["reverse_kl"] < 0.01  # 2,500 real draws spread evenly
    assert data["protocol"]["params"]["reverse_kl_assignment"].startswith("nearest mode")
    with pytest.raises(ConfigError, match=r"'reverse-kl' does not fit mnist: it is for points"):
        resolve_metrics("reverse-kl", dataset_spec("mnist"))


def test_evaluation_docs_list_the_registered_metrics() -> None:
    """docs/evaluation.md's table and `ganzoo list metrics` block show the registry's entries."""
    from ganzoo.registry import get_registry

    doc = (Path(__file__).resolve().parents[2] / "docs" / "evaluation.md").read_text()
    table = doc.split("## The built-in metrics")[1].split("\n\n")[1]
    names = {row.split("`")[1] for row in table.splitlines()[2:]}
    builtin = [e.spec for e in get_registry().list("metric") if e.plugin == "builtin"]
    assert names == {s.name for s in builtin}
    listing = doc.split("$ ganzoo list metrics")[1].split("```")[0]
    for spec in builtin:
        assert f"metric  {spec.name} " in listing and spec.summary in listing, spec.name
