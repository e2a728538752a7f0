"""Metrics: the shipped classifier, each metric on synthetic cases with known answers, errors."""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.errors import ConfigError, DataError, UnknownNameError, WeightsError
from ganzoo.metrics import (
    CLASSIFIER_SHA256,
    class_histogram,
    classifier_score,
    density_coverage,
    evaluate,
    fid_from_features,
    frechet_distance,
    kl_to_uniform,
    kmeans,
    load_classifier,
    mixture_metrics,
    mode_metrics,
    ndb,
    precision_recall,
)
from ganzoo.metrics.classifier import WEIGHTS_PATH
from ganzoo.weights import sha256_file


def test_classifier_file_matches_pinned_sha256() -> None:
    assert WEIGHTS_PATH.stat().st_size < 2 * 1024 * 1024
    assert sha256_file(WEIGHTS_PATH) == CLASSIFIER_SHA256


def test_classifier_accuracy_on_first_2000_test_images(mnist_root) -> None:
    import ganzoo

    data = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=2000)
    x, y = data.batch(torch.arange(2000))
    model = load_classifier()
    assert load_classifier() is model  # cached per process
    with torch.no_grad():
        acc = (model.logits(x).argmax(1) == y).double().mean().item()
    assert model.features(x[:4]).shape == (4, 128)
    assert acc >= 0.99


def test_classifier_sha_mismatch_names_file_and_hashes(tmp_path) -> None:
    bad = tmp_path / "clf.safetensors"
    bad.write_bytes(WEIGHTS_PATH.read_bytes()[:-1] + b" ")
    with pytest.raises(WeightsError) as err:
        load_classifier(path=bad)
    msg = str(err.value)
    assert str(bad) in msg and CLASSIFIER_SHA256 in msg and sha256_file(bad) in msg


def test_fid_of_a_set_against_itself_is_zero() -> None:
    x = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    assert fid_from_features(x, x) == pytest.approx(0.0, abs=1e-6)


def test_fid_closed_form_for_gaussians() -> None:
    d = 8
    mu1, mu2 = torch.zeros(d), torch.full((d,), 0.5)
    a = torch.linspace(0.5, 2.0, d, dtype=torch.float64)
    b = torch.linspace(1.0, 3.0, d, dtype=torch.float64)
    exact = 0.25 * d + float(((a.sqrt() - b.sqrt()) ** 2).sum())
    assert frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b)) == pytest.approx(exact)
    # a rotated pair: same value (the sqrtm must not assume diagonal matrices)
    g1 = torch.Generator().manual_seed(1)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g1, dtype=torch.float64))
    s1, s2 = q @ torch.diag(a).double() @ q.T, q @ torch.diag(b).double() @ q.T
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(exact, rel=1e-9)
    # samples of shifted unit Gaussians: about |shift|^2
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(20000, 4, generator=g), torch.randn(20000, 4, generator=g) + 1.0
    assert fid_from_features(x, y) == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_mode_kl_of_collapse_to_k_classes(k: int) -> None:
    labels = torch.arange(1000) % k
    out = mode_metrics(labels, 10)
    assert out["modes"] == k
    assert out["kl"] == pytest.approx(math.log(10 / k))
    assert kl_to_uniform(class_histogram(labels, 10)) == pytest.approx(math.log(10 / k))


def test_score_bounds() -> None:
    eye = torch.eye(10).repeat(10, 1)
    assert classifier_score(eye) == pytest.approx(10.0)
    assert classifier_score(torch.full((50, 10), 0.1)) == pytest.approx(1.0)
    assert classifier_score(torch.eye(10)[[3] * 50]) == pytest.approx(1.0)


def test_precision_recall_density_coverage_synthetic() -> None:
    g = torch.Generator().manual_seed(0)
    real = torch.randn(300, 4, generator=g)
    same = precision_recall(real, real.clone())
    assert same["precision"] == pytest.approx(1.0) and same["recall"] == pytest.approx(1.0)
    dc = density_coverage(real, real.clone())
    assert dc["coverage"] == pytest.approx(1.0) and dc["density"] >= 1.0
    far = real + 100.0
    assert precision_recall(real, far) == {"precision": 0.0, "recall": 0.0}
    assert density_coverage(real, far) == {"density": 0.0, "coverage": 0.0}
    # half the support: precision stays high, recall drops
    half = real[real[:, 0] > 0]
    pr = precision_recall(real, half)
    assert pr["precision"] > 0.9 and pr["recall"] < 0.75


def _clusters(n: int, keep: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(10, 8, generator=torch.Generator().manual_seed(99)) * 10
    idx = torch.arange(n) % keep
    return centres[idx] + torch.randn(n, 8, generator=g)


def test_ndb_flags_a_missing_cluster() -> None:
    real = _clusters(2000, 10, 0)
    same = ndb(real, _clusters(2000, 10, 1), bins=20)
    centres = kmeans(real, 20)  # the bins ndb fits by default (seed 0), reused
    missing = ndb(real, _clusters(2000, 9, 2), bins=20, centres=centres)
    three = ndb(real, _clusters(2000, 7, 3), bins=20, centres=centres)
    assert same["ndb"] == 0
    assert missing["ndb"] >= 1
    assert three["ndb"] >= 3
    assert three["ndb_fraction"] == three["ndb"] / 20


def test_mixture_coverage_ring() -> None:
    from ganzoo.data.mixtures import ring_modes

    modes = ring_modes()
    exact = modes.repeat(10, 1)
    assert mixture_metrics(exact, modes, 0.01) == {"modes": 8.0, "hq_fraction": 1.0}
    one = modes[:1].repeat(80, 1)
    assert mixture_metrics(one, modes, 0.01) == {"modes": 1.0, "hq_fraction": 1.0}
    off = torch.zeros(5, 2)
    assert mixture_metrics(off, modes, 0.01) == {"modes": 0.0, "hq_fraction": 0.0}


def test_evaluate_ring_samples() -> None:
    from ganzoo.data.mixtures import ring_modes

    samples = ring_modes()[torch.arange(2500) % 8] + 0.001 * torch.randn(2500, 2)
    res = evaluate(samples, "ring-8", metrics="mixture")
    assert res.metrics == {"modes": 8.0, "hq_fraction": 1.0}
    assert res.floors["modes"] == 8.0 and res.floors["hq_fraction"] > 0.97
    assert res.protocol.n == 2500 and res.protocol.extractor_sha256 is None


def test_evaluate_mnist_pins_protocol(mnist_root) -> None:
    import ganzoo

    x, _ = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=200).batch(
        torch.arange(200)
    )
    res = evaluate(x, "mnist", metrics=["modes", "score"], floors=False)
    assert res.metrics["modes"] == 10 and res.metrics["score"] > 8
    assert res.protocol.extractor_sha256 == CLASSIFIER_SHA256
    assert res.protocol.n == 200 and res.protocol.reference_split == "test"


def test_stacked_labels(mnist_root) -> None:
    import ganzoo
    from ganzoo.metrics import stacked_labels

    x, y = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=300).batch(
        torch.arange(300)
    )
    stacked = torch.cat([x[:100], x[100:200], x[200:]], 1)
    truth = 100 * y[:100] + 10 * y[100:200] + y[200:]
    assert (stacked_labels(stacked) == truth).double().mean() >= 0.95


def test_too_few_samples_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"at least 200 generated samples"):
        evaluate(torch.zeros(150, 1, 28, 28), "mnist", metrics="ndb")
    with pytest.raises(ConfigError, match=r"2\*K = 40"):
        ndb(torch.randn(100, 2), torch.randn(30, 2), bins=20)
    with pytest.raises(ConfigError, match=r"k\+1 = 4"):
        precision_recall(torch.randn(10, 2), torch.randn(3, 2))
    with pytest.raises(ConfigError, match=r"k\+1 = 6"):
        density_coverage(torch.randn(5, 2), torch.randn(10, 2))


def test_wrong_shapes_are_clear_errors() -> None:
    from ganzoo.metrics import classify

    with pytest.raises(DataError, match=r"\(N, 1, 28, 28\)"):
        classify(torch.zeros(4, 3, 32, 32))
    with pytest.raises(DataError, match=r"do not fit mnist, whose samples are \(1, 28, 28\)$"):
        evaluate(torch.zeros(20, 3, 28, 28), "mnist", metrics="modes")
    # 32-px samples of a model trained on padded MNIST: the message names the option
    with pytest.raises(DataError, match=r"pass data_options=\{'resolution': 32\}$"):
        evaluate(torch.zeros(20, 1, 32, 32), "mnist", metrics="modes")
    with pytest.raises(ConfigError, match=r"'fid' does not fit ring-8: it is for image data"):
        evaluate(torch.zeros(20, 2), "ring-8", metrics="fid")
    with pytest.raises(UnknownNameError, match=r"unknown metric name 'fidd'; did you mean 'fid'"):
        evaluate(torch.zeros(20, 2), "ring-8", metrics="fidd")


def test_cli_evaluate_json(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    import ganzoo.api
    from ganzoo.building import dataset_spec
    from ganzoo.cli import app
    from ganzoo.data.mixtures import ring_modes

    class OneMode:
        name = "one-mode"
        data = dataset_spec("ring-8")

        def sample(self, n: int, seed: int | None = None) -> torch.Tensor:
            return ring_modes()[:1].repeat(n, 1)

    monkeypatch.setattr(ganzoo.api, "load", lambda name, device=None: OneMode())
    result = CliRunner().invoke(app, ["evaluate", "whatever", "--metrics", "mixture", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metrics"] == {"modes": 1.0, "hq_fraction": 1.0}
    assert data["protocol"]["n"] == 2500 and data["model"] == "one-mode"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_samples_are_refused_not_scored(value: float) -> None:
    """NaN samples once scored 0 on every metric (issue 17); now one line says why not."""
    samples = torch.randn(500, 2)
    samples[7, 1] = value
    samples[300] = value
    with pytest.raises(DataError, match=r"^2 of 500 samples hold NaN or infinite values"):
        evaluate(samples, "ring-8", metrics="mixture", floors=False)


def test_mnist_padded_to_32_px_is_read_through_its_central_28(mnist_root) -> None:
    """Samples of a 32-px MNIST model (``--resolution 32`` pads 2 px) are judged on the digits."""
    import ganzoo
    from ganzoo.metrics import classify
    from ganzoo.metrics.classifier import MNISTFeatures, reads
    from ganzoo.specs import DatasetSpec

    x28, _ = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=300).batch(
        torch.arange(300)
    )
    data32 = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=300, resolution=32)
    x32, _ = data32.batch(torch.arange(300))
    assert x32.shape[-2:] == (32, 32)
    assert torch.equal(classify(x32)[0], classify(x28)[0])
    res28 = evaluate(x28, "mnist", metrics=["modes", "score"], floors=False)
    res32 = evaluate(
        x32, "mnist", metrics=["modes", "score"], floors=False, data_options={"resolution": 32}
    )
    assert res32.metrics == res28.metrics
    # Only MNIST's 32-px form is the padding: CIFAR-10-shaped data stays refused.
    cifar = data32.spec.model_copy(update={"name": "cifar10", "shape": (3, 32, 32)})
    assert reads(data32.spec) and not reads(DatasetSpec.model_validate(cifar.model_dump()))
    with pytest.raises(DataError, match=r"\(N, 3, 28, 28\)"):
        MNISTFeatures().check(torch.zeros(4, 3, 32, 32), cifar)


def test_a_32px_mnist_model_is_compared_with_mnist_at_32px(mnist_root) -> None:
    """A model sized for MNIST at 32 px gets a 32-px reference: pixel metrics (NDB) fit too."""
    import ganzoo
    from ganzoo.building import architecture_spec, build_architecture

    data32 = ganzoo.build("mnist", train=False, root=str(mnist_root), limit=10, resolution=32)
    model = build_architecture(architecture_spec("dcgan"), data=data32.spec, width=4).eval()
    res = evaluate(model, metrics=["ndb", "modes"], n=200, floors=False, data_root=str(mnist_root))
    assert res.protocol.data_options["resolution"] == 32
    assert set(res.metrics) >= {"ndb", "modes"}
