"""The Inception metrics (fid/kid/is/prd/dc-inception) and the inception-v3 extractor.

Tests never download the Inception weights: the plumbing runs with a small stand-in network
passed in the extractor's place (``extractors={"inception-v3": ...}``), the same way any
extractor is swapped. It has the real network's call (uint8 RGB in, features and logits out)
and resizes to 299x299 with torch-fidelity's own filter, so everything but the weights is what
the real entry runs. FID and KID are checked against torch-fidelity's functions on the same
features.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open
from torch import nn

from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import ConfigError, WeightsError
from ganzoo.metrics import engine, evaluate
from ganzoo.metrics import inception as inc
from ganzoo.metrics.catalog import INCEPTION_SHA256
from ganzoo.metrics.configs import InceptionConfig
from ganzoo.metrics.fid import frechet_distance
from ganzoo.specs import DatasetSpec, ExtractorSpec

fidelity_fid = pytest.importorskip("torch_fidelity.metric_fid")
from torch_fidelity.interpolate_compat_tensorflow import (  # noqa: E402
    interpolate_bilinear_2d_like_tensorflow1x,
)
from torch_fidelity.metric_kid import kid_features_to_metric  # noqa: E402

ALL = "fid-inception,kid-inception,is-inception,prd-inception,dc-inception"
STANDIN = ExtractorSpec(
    name="standin-inception",
    summary="A small stand-in for the FID Inception (tests).",
    builder="tests.metrics.test_inception_metrics:StandIn",
    outputs=("features", "logits"),
    protocol_name="stand-in: 299 bilinear, 8x8 pool, fixed linear 192 -> 24 (tests)",
)


class TinyNet(nn.Module):
    """uint8 RGB -> torch-fidelity's 299 resize -> 8x8 average pool -> fixed projections."""

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.register_buffer("proj", torch.randn(192, 24, generator=gen) / 8)
        self.register_buffer("head", torch.randn(24, 10, generator=gen))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        assert x.dtype == torch.uint8 and x.shape[1] == 3  # what the real network accepts
        x = interpolate_bilinear_2d_like_tensorflow1x(
            x.float(), size=(299, 299), align_corners=False
        )
        f = F.adaptive_avg_pool2d((x - 128) / 128, 8).flatten(1) @ self.proj
        return f, f @ self.head


class StandIn(inc.InceptionFeatures):
    """The inception-v3 extractor with the stand-in network (counts its calls)."""

    def __init__(self) -> None:
        super().__init__(InceptionConfig(device="cpu", batch_size=64), STANDIN)
        self.calls: list[int] = []
        self.seen: list[tuple[torch.Tensor, dict[str, torch.Tensor]]] = []  # (input, outputs)

    def load_network(self) -> nn.Module:
        return TinyNet()

    def extract(self, x, data):
        self.calls.append(len(x))
        out = super().extract(x, data)
        self.seen.append((x, out))
        return out


def images(n: int, shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, *shape), generator=gen, dtype=torch.uint8)


def data_of(x: torch.Tensor, name: str) -> TensorData:
    spec = DatasetSpec(name=name, summary="test images", builder="m:f", shape=tuple(x.shape[1:]))
    return TensorData(x, None, spec)


def fake(n: int, shape: tuple[int, int, int], seed: int) -> torch.Tensor:
    """Samples in [-1, 1] that look unlike the uniform-noise data (darker, smoother)."""
    x = images(n, shape, seed).float().div(127.5).sub(1)
    return (F.avg_pool2d(x, 3, 1, 1) * 0.5 - 0.3).clamp(-1, 1)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private ganzoo cache and torch hub dir, no weights in the environment."""
    monkeypatch.setenv("GANZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(inc.WEIGHTS_ENV, raising=False)
    engine._reference.cache_clear()
    engine._unsplit.cache_clear()


def test_fid_and_kid_equal_torch_fidelity_on_the_same_features() -> None:
    data = data_of(images(300, (3, 64, 64), 1), "rgb64")
    samples = fake(200, (3, 64, 64), 2)
    standin = StandIn()
    res = evaluate(
        samples,
        data,
        metrics="fid-inception,kid-inception",
        floors=False,
        extractors={"inception-v3": standin},
    )
    ref = engine.real_sets(data, 200, False, None, {}).reference
    assert len(ref) == 150  # half of data without a test split
    # the features evaluate computed, after checking they are of these very images (a fresh
    # extraction of the same inputs would give the same features, at twice the cost)
    (seen_g, out_g), (seen_r, out_r) = sorted(standin.seen, key=lambda s: -len(s[0]))
    assert torch.equal(seen_g, samples) and torch.equal(seen_r, ref.x)
    g, r = out_g["features"], out_r["features"]
    stats = [fidelity_fid.fid_features_to_statistics(f) for f in (g, r)]
    expected_fid = fidelity_fid.fid_statistics_to_metric(*stats, verbose=False)
    assert res.metrics["fid_inception"] == pytest.approx(
        expected_fid["frechet_inception_distance"], abs=1e-6
    )
    kid = kid_features_to_metric(g, r, kid_subset_size=150, verbose=False)  # library defaults
    assert res.metrics["kid"] == pytest.approx(kid["kernel_inception_distance_mean"], abs=1e-6)
    assert res.metrics["kid_std"] == pytest.approx(kid["kernel_inception_distance_std"], abs=1e-6)
    # an independent check of torch-fidelity's FID: ganzoo's own float64 Frechet distance
    mine = frechet_distance(
        *(torch.from_numpy(s[k]) for s in stats[:1] for k in ("mu", "sigma")),
        *(torch.from_numpy(s[k]) for s in stats[1:] for k in ("mu", "sigma")),
    )
    assert mine == pytest.approx(res.metrics["fid_inception"], rel=1e-6)
    assert res.metrics["fid_inception"] > 1.0 and res.metrics["kid"] > 0.01
    assert res.protocol.params["kid_subset_size_used"] == 150


@pytest.mark.parametrize(
    ("shape", "name"), [((3, 64, 64), "rgb64"), ((1, 28, 28), "grey28")], ids=["rgb64", "grey28"]
)
def test_end_to_end_on_any_image_data(shape: tuple[int, int, int], name: str) -> None:
    data = data_of(images(260, shape, 3), name)
    standin = StandIn()
    res = evaluate(fake(100, shape, 4), data, metrics=ALL, extractors={"inception-v3": standin})
    assert set(res.metrics) == {
        "fid_inception",
        "kid",
        "kid_std",
        "is",
        "is_std",
        "precision_inception",
        "recall_inception",
        "density_inception",
        "coverage_inception",
    }
    m = res.metrics
    assert m["fid_inception"] > 0 and 1.0 <= m["is"] <= 10.0
    assert 0 <= m["precision_inception"] <= 1 and 0 <= m["coverage_inception"] <= 1
    p = res.protocol
    assert p.data == name and p.n == 100 and p.n_reference == 130
    assert p.reference_split == "the first 130 of 260 (permutation seed 0; no test split)"
    assert p.floor_split == "the next 100 of 260 (permutation seed 0; no test split)"
    assert set(res.floors) == set(m)  # real-vs-real: the same metrics on 100 held-out images
    assert res.floors["fid_inception"] < m["fid_inception"]
    assert res.floors["precision_inception"] > m["precision_inception"]
    assert p.extractor == STANDIN.protocol_name and p.extractor_sha256 is None
    assert p.params["inception_resize"] == inc.RESIZE and p.params["inception_input"] == inc.INPUT
    assert p.params["kid_subsets"] == 100 and p.params["kid_subset_size_used"] == 100
    assert p.params["is_splits"] == 10 and p.params["prd_k"] == 3 and p.params["dc_k"] == 5
    assert sorted(standin.calls) == [100, 100, 130]  # samples, floor set, reference: once each


def test_grey_images_are_the_rgb_images_with_equal_channels() -> None:
    grey = images(20, (1, 28, 28), 5)
    standin = StandIn()
    spec1 = data_of(grey, "g").spec
    spec3 = data_of(grey.expand(-1, 3, -1, -1), "c").spec
    as_float = grey.float().div(127.5).sub(1)
    one = standin.extract(as_float, spec1)["features"]
    three = standin.extract(grey.expand(-1, 3, -1, -1).contiguous(), spec3)["features"]
    assert torch.equal(one, three)  # [-1, 1] floats go back to the exact bytes
    assert torch.equal(inc.to_uint8_rgb(as_float)[:, 0], grey[:, 0])


def test_reference_features_are_cached_on_disk(tmp_path: Path) -> None:
    x = images(120, (3, 32, 32), 6)
    samples = fake(40, (3, 32, 32), 7)
    standin = StandIn()
    kw = {"metrics": "fid-inception,kid-inception", "extractors": {"inception-v3": standin}}
    first = evaluate(samples, data_of(x, "rgb32"), floors=False, **kw)
    assert standin.calls == [60, 40]  # reference (half of the 120 images), samples
    files = sorted((tmp_path / "cache" / "metrics" / "reference" / "standin-inception").iterdir())
    assert [f.name.rsplit("-", 1)[0] for f in files] == ["rgb32-3x32x32-n60"]
    again = evaluate(samples, data_of(x.clone(), "rgb32"), floors=False, **kw)
    assert standin.calls == [60, 40, 40]  # the reference came from the cache
    assert again.metrics == first.metrics
    edited = x.clone()
    edited[0, 0, 0, 0] ^= 1  # one changed pixel value is another reference set
    evaluate(samples, data_of(edited, "rgb32"), floors=False, **kw)
    assert standin.calls[-2:] == [60, 40]
    evaluate(samples, data_of(x[:100], "rgb32"), floors=False, **kw)  # another sample count
    assert standin.calls[-2:] == [50, 40]
    names = {f.name.rsplit("-", 1)[0] for f in files[0].parent.iterdir()}
    assert names == {"rgb32-3x32x32-n60", "rgb32-3x32x32-n50"}
    files[0].write_bytes(b"not safetensors")  # a damaged file is recomputed and replaced
    evaluate(samples, data_of(x, "rgb32"), floors=False, **kw)
    assert standin.calls[-2:] == [60, 40]
    count = len(standin.calls)
    evaluate(samples, data_of(x, "rgb32"), floors=False, **kw)
    assert standin.calls[count:] == [40]
    with safe_open(str(files[0]), "pt") as fh:
        meta = fh.metadata()
    assert meta["extractor"] == "standin-inception" and meta["data"] == "rgb32"


def test_offline_without_weights_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(url: str, path: Path) -> None:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(inc, "_download", offline)
    data = data_of(images(30, (3, 32, 32), 8), "rgb32")
    with pytest.raises(WeightsError) as err:
        evaluate(fake(20, (3, 32, 32), 9), data, metrics="fid-inception")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("no Inception weights and the download failed")
    assert "Temporary failure in name resolution" in msg
    for how in ("--inception-weights PATH", "GANZOO_INCEPTION_WEIGHTS=PATH", "6726825d.pth"):
        assert how in msg
    with pytest.raises(WeightsError, match=r"^no Inception weights and downloads are off; "):
        evaluate(
            fake(20, (3, 32, 32), 9),
            data,
            metrics="fid-inception",
            extractors={"inception-v3": {"download": False}},
        )


def test_weights_files_are_checked_before_loading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inc, "_download", lambda url, path: pytest.fail("no download"))
    with pytest.raises(WeightsError, match=r"/nope.pth \(--inception-weights\) do not exist; "):
        inc.resolve_weights(InceptionConfig(weights=str(tmp_path / "nope.pth")))
    bad = tmp_path / "weights.pth"
    bad.write_bytes(b"x" * 10)
    monkeypatch.setenv(inc.WEIGHTS_ENV, str(bad))
    with pytest.raises(WeightsError, match=r"hold 10 bytes, expected 95,628,359"):
        inc.resolve_weights(InceptionConfig())
    monkeypatch.setattr(inc, "INCEPTION_BYTES", 10)
    with pytest.raises(
        WeightsError, match=rf"have sha256 [0-9a-f]{{64}}, expected {INCEPTION_SHA256}"
    ):
        inc.resolve_weights(InceptionConfig())


def test_missing_library_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch_fidelity", None)  # import fails as if not installed
    with pytest.raises(
        ConfigError,
        match=r"torch-fidelity, which is not installed: pip install 'torch-ganzoo\[metrics\]'$",
    ):
        evaluate(
            fake(20, (3, 32, 32), 9),
            data_of(images(30, (3, 32, 32), 8), "rgb32"),
            metrics="fid-inception",
        )


def test_metric_names_do_not_collide_with_the_mnist_ones(mnist_root) -> None:
    from ganzoo.building import dataset_spec
    from ganzoo.metrics import default_metrics, resolve_metrics

    mnist = dataset_spec("mnist")
    names = "fid,prd,dc," + ALL
    assert [m.extractor.name for m in resolve_metrics(names, mnist)][3:] == ["inception-v3"] * 5
    assert "fid-inception" not in [s.name for s in default_metrics(mnist)]  # opt-in


def test_cli_offline_error_and_weights_option(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ganzoo evaluate RUN --metrics fid-inception` without weights: one line, no traceback.

    Runs ``ganzoo.cli.main`` in this process (a fresh interpreter per case cost ~7 s of imports;
    `ganzoo evaluate` runs as a subprocess in tests/cli/test_metric_listing.py) with the model
    loader and the download patched: an offline machine."""
    import ganzoo.api
    from ganzoo.building import dataset_spec
    from ganzoo.cli import main

    class M:
        name = "m"
        data = dataset_spec("mnist")

        def sample(self, n, seed=None):
            return torch.rand(n, 1, 28, 28) * 2 - 1

    def offline(url, path):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(ganzoo.api, "load", lambda name, device=None: M())
    monkeypatch.setattr(inc, "_download", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # no weights in the hub cache
    monkeypatch.delenv(inc.WEIGHTS_ENV, raising=False)

    def run(*a: str) -> tuple[int, str]:
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main(["evaluate", "runs/x", "--metrics", "fid-inception", "-n", "20", *a])
        return int(done.value.code or 0), capsys.readouterr().err

    code, err = run()
    assert code == 1 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and "no Inception weights and the download failed (<urlopen error no network>)" in lines[0]
    )
    code, err = run("--inception-weights", str(tmp_path / "w.pth"))
    assert code == 1 and "Traceback" not in err
    assert f"{tmp_path / 'w.pth'} (--inception-weights) do not exist" in err


def test_catalog_and_configs_stay_torch_free() -> None:
    code = (
        "import sys\n"
        "from ganzoo.cli import app\n"
        "for args in (['list', 'metrics'], ['info', 'fid-inception'], ['info', 'inception-v3']):\n"
        "    try:\n"
        "        app(args)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules and 'torch_fidelity' not in sys.modules\n"
        "print('ok')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "fid-inception" in r.stdout and r.stdout.strip().endswith("ok")


def test_the_library_network_runs_through_the_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch-fidelity's own Inception (untrained: no weights here) behind the real entry's code."""
    from torch_fidelity import feature_extractor_inceptionv3 as fe

    from ganzoo.building import build_entry

    monkeypatch.setattr(inc, "resolve_weights", lambda options: Path("verified.pth"))
    monkeypatch.setattr(fe.torch, "load", lambda path, **kw: {"loaded": path})
    loaded: list[dict] = []
    monkeypatch.setattr(
        fe.FeatureExtractorInceptionV3, "load_state_dict", lambda s, d: loaded.append(d)
    )
    extractor = build_entry("inception-v3", device="cpu", batch_size=2)
    grey = data_of(images(3, (1, 28, 28), 10), "grey28")
    out = extractor.extract(grey.scale(grey.x), grey.spec)
    assert loaded == [{"loaded": "verified.pth"}]  # the file resolve_weights verified
    assert out["features"].shape == (3, 2048) and out["logits"].shape == (3, 1008)
    assert out["features"].dtype == torch.float64 and torch.isfinite(out["logits"]).all()
    assert extractor.spec.sha256 == INCEPTION_SHA256


def test_a_run_trained_on_a_jpeg_folder_evaluates(tmp_path: Path) -> None:
    """Train dcgan 2 steps on 64x64 RGB JPEGs, then evaluate the run dir against its folder."""
    import numpy as np
    from PIL import Image
    from typer.testing import CliRunner

    import ganzoo
    from ganzoo.cli import app
    from ganzoo.cli.evaluate_cmds import _run_data_options

    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(40):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(folder / f"{i}.jpg")
    run = tmp_path / "run"
    args = ["train", "dcgan", "--data", str(folder), "--resolution", "64", "--steps", "2"]
    result = CliRunner().invoke(app, [*args, "--batch-size", "8", "--out", str(run)])
    assert result.exit_code == 0, result.output
    options = _run_data_options(str(run))
    assert options["path"] == str(folder) and options["resolution"] == 64
    model = ganzoo.load(str(run))
    res = evaluate(
        model, metrics=ALL, n=20, data_options=options, extractors={"inception-v3": StandIn()}
    )
    p = res.protocol
    assert p.data == "image-folder" and p.data_options == options and p.n_reference == 20
    assert p.floor_split == "the next 20 of 40 (permutation seed 0; no test split)"
    assert set(res.floors) == set(res.metrics) and res.metrics["fid_inception"] > 0
