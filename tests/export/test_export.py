"""ganzoo export: every registered architecture's G and D as ONNX and TorchScript, run at batch
sizes other than the traced one and compared with PyTorch (onnxruntime, torch.jit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.cli import main
from ganzoo.errors import ConfigError
from ganzoo.export import CHECK_BATCHES, export
from ganzoo.registry import get_registry

ATOL = 1e-4
"""The tolerance the docs state: float32 graphs, max |exported - PyTorch|."""


NOT_EXPORTABLE = {
    # StyleGAN2's D: the minibatch standard deviation's grouping keeps the traced batch size
    # (its G exports: the modulated conv is the non-fused form, no batch-sized conv groups).
    ("stylegan2", "discriminator", "onnx"): "batch-dependent graph (minibatch std)",
    ("stylegan2", "discriminator", "torchscript"): "batch-dependent graph (minibatch std)",
    # torch.onnx's TorchScript exporter loses the channel count of BigGAN's conditional
    # BatchNorm input, and its projection D's ONNX scores differ from PyTorch's by ~1e4
    ("biggan", "generator", "onnx"): "batch_norm for unknown channel size",
    ("biggan", "discriminator", "onnx"): "scores differ from PyTorch",
}
"""(architecture, part, format) that export refuses (one ConfigError line, or a difference
above --atol that the command refuses): measured, see docs/export.md."""


def architectures() -> list[str]:
    return get_registry().names("architecture")


@pytest.fixture(scope="module")
def models() -> dict[str, object]:
    return {}


def built(name: str, cache: dict) -> object:
    if name not in cache:
        torch.manual_seed(0)
        cache[name] = ganzoo.build(name).eval()
    return cache[name]


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
@pytest.mark.parametrize("part", ["generator", "discriminator"])
@pytest.mark.parametrize("arch", architectures())
def test_every_architecture_exports_with_a_dynamic_batch(
    arch: str, part: str, fmt: str, models: dict, tmp_path: Path
) -> None:
    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
    model = built(arch, models)
    if (arch, part, fmt) in NOT_EXPORTABLE:  # refused, never a silently wrong file
        try:
            result = export(model, tmp_path / f"{arch}.{fmt}", format=fmt, part=part)
        except ConfigError as err:
            assert arch in str(err) and "\n" not in str(err)
            return
        assert result.max_abs_diff is not None and result.max_abs_diff > ATOL  # CLI: --atol
        return
    result = export(model, tmp_path / f"{arch}.{fmt}", format=fmt, part=part)
    pack = getattr(model.discriminator, "pack", 1) if part == "discriminator" else 1
    assert result.path.is_file()
    assert result.checked_batches == tuple(b * pack for b in CHECK_BATCHES)
    assert result.max_abs_diff is not None and result.max_abs_diff <= ATOL, result.summary()
    g = model.generator
    if part == "generator":
        assert result.inputs["z"] == ["N", g.latent_dim]
        assert result.output == ("samples", ["N", *g.output_shape])
    else:
        assert result.inputs["x"] == ["N", *g.output_shape]
        assert result.output == ("scores", ["N" if pack == 1 else f"N/{pack}"])
    net = g if part == "generator" else model.discriminator
    if fmt == "torchscript":  # ONNX drops an input the graph does not use
        assert ("y" in result.inputs) == (net.num_classes is not None)


def test_onnx_file_serves_with_onnxruntime_alone(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    model = ganzoo.load("dcgan-mnist")
    export(model, tmp_path / "g.onnx")
    session = ort.InferenceSession(str(tmp_path / "g.onnx"), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["ganzoo.model"] == "dcgan-mnist" and meta["ganzoo.latent_dim"] == "100"
    assert json.loads(meta["ganzoo.sample_shape"]) == [1, 32, 32]  # MNIST padded to 32 px
    z = np.random.default_rng(0).standard_normal((16, 100)).astype(np.float32)
    (samples,) = session.run(None, {"z": z})
    assert samples.shape == (16, 1, 32, 32)
    assert samples.min() >= -1 - 1e-6 and samples.max() <= 1 + 1e-6  # tanh, float32 rounding
    expected = model.generator(torch.from_numpy(z)).detach().numpy()
    assert np.abs(samples - expected).max() <= ATOL


def test_cli_reports_the_difference_and_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        out, err = capsys.readouterr()
        err = "".join(ln for ln in err.splitlines(keepends=True) if not ln.startswith("hint: "))
        return code, out, err

    code, out, _ = run("export", "acgan-mnist")
    assert code == 0 and (tmp_path / "acgan-mnist-generator.onnx").is_file()
    assert out.startswith(
        "wrote generator as onnx to acgan-mnist-generator.onnx (z (N, 100), y (N) -> samples "
        "(N, 1, 32, 32)); max abs difference from PyTorch "
    )
    assert out.rstrip().endswith(
        f"at batch 1, 3, 8 (onnxruntime {pytest.importorskip('onnxruntime').__version__})"
    )
    code, out, _ = run("export", "dcgan-mnist", "--format", "torchscript", "--out", "g.pt")
    assert code == 0 and "max abs difference from PyTorch 0 at batch 1, 3, 8 (torch.jit)" in out
    loaded = torch.jit.load("g.pt")
    assert loaded(torch.zeros(5, 100)).shape == (5, 1, 32, 32)
    for args, needle in [
        (("export", "dcgan-mnist", "--format", "tflite"), "--format is onnx or torchscript"),
        (("export", "dcgan-mnist", "--part", "critic"), "--part is generator or discriminator"),
        (("export", "dcgan-mnist", "--part", "discriminator"), "without a discriminator"),
    ]:
        code, _, err = run(*args)
        assert code != 0 and err.startswith("error: ") and err.count("\n") == 1 and needle in err


def test_a_difference_above_atol_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["export", "dcgan-mnist", "--format", "torchscript", "--atol", "1e-30", "--out",
              "g.pt"])  # fmt: skip
    err = capsys.readouterr().err
    # TorchScript reproduces PyTorch exactly here (difference 0): the check passes at any atol
    assert exit_.value.code in (0, None), err


def test_missing_onnxruntime_writes_the_file_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ganzoo.export as ex

    real = ex.__dict__.get("find_spec")
    import importlib.util

    original = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda m, *a: None if m == "onnxruntime" else original(m, *a)
    )
    del real
    result = export(ganzoo.load("dcgan-mnist"), tmp_path / "g.onnx")
    assert result.path.is_file() and result.max_abs_diff is None
    assert result.summary().endswith(
        "not checked: onnxruntime is not installed (pip install 'torch-ganzoo[export]')"
    )
