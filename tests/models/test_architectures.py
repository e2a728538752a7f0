"""Every registered architecture on every data set it supports, plus per-paper specifics.

Parametrised over the registry: a new architecture (built-in or plugin) is tested the moment it
registers. Networks are built from data specs only (no MNIST is read); batches are tiny.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import ganzoo
import ganzoo.building
from ganzoo.errors import ConfigError, DataError, UnknownNameError
from ganzoo.specs import DatasetSpec


def _cases() -> list[tuple[str, str]]:
    cases = []
    datasets = ganzoo.list_entries("dataset")
    for arch in ganzoo.list_entries("architecture"):
        for ds in datasets:
            if ds.modality not in arch.modalities:
                continue
            if arch.conditional and ds.num_classes is None:
                continue
            if (
                ds.shape is None
            ):  # its shape comes from its files (tests/models/test_resolutions.py)
                continue
            cases.append((arch.name, ds.name))
    return cases


CASES = _cases()


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _labels(g: ganzoo.interfaces.Generator, n: int) -> torch.Tensor | None:
    return torch.arange(n) % g.num_classes if g.num_classes else None


def test_every_builtin_architecture_is_registered() -> None:
    names = {a.name for a in ganzoo.list_entries("architecture")}
    builtin = {"gan", "cgan", "dcgan", "wgan", "wgan-gp", "lsgan", "sngan", "acgan", "infogan"}
    assert builtin <= names
    losses = {loss.name for loss in ganzoo.list_entries("loss")}
    for arch in ganzoo.list_entries("architecture"):
        if losses:  # the loss catalog may be filled by another module
            assert arch.default_loss in losses, arch.name


@pytest.mark.parametrize(("arch", "data"), CASES)
def test_shapes_range_and_gradients(arch: str, data: str) -> None:
    model = ganzoo.build(arch, data=data)
    spec = ganzoo.building.dataset_spec(data)
    g, d = model.generator, model.discriminator
    m = getattr(model.config, "pack", 1)  # pacgan's D scores packs of m samples
    n = 4
    z = g.sample_latent(n)
    y = _labels(g, n)
    assert z.shape == (n, g.latent_dim)
    assert g.output_shape == spec.shape
    assert (g.num_classes is not None) == model.arch.conditional
    x = g(z, y)
    assert x.shape == (n, *spec.shape)
    if spec.modality == "image":
        assert x.min() >= -1 and x.max() <= 1
    out = d.forward_all(x, y)
    assert out.scores.shape == (n // m,)
    assert out.features is not None and out.features.dim() == 2
    assert out.features.shape[0] == n // m
    total = out.scores.sum() + out.features.sum() + sum(a.sum() for a in out.aux.values())
    total.backward()
    for net in (g, d):
        missing = [k for k, p in net.named_parameters() if p.grad is None]
        assert not missing, f"no gradient reaches {missing}"
    d.eval()
    with torch.no_grad():
        assert torch.equal(d(x.detach(), y), d.forward_all(x.detach(), y).scores)


@pytest.mark.parametrize(("arch", "data"), CASES)
def test_sample_is_reproducible(arch: str, data: str) -> None:
    model = ganzoo.build(arch, data=data)
    n = 4  # as many as the shapes test; 128x128 models take seconds per 8 samples on a CPU
    a, b = model.sample(n, seed=0), model.sample(n, seed=0)
    assert a.shape == (n, *model.data.shape)
    assert torch.equal(a, b)
    assert not torch.equal(a, model.sample(n, seed=1))


def test_building_does_not_read_mnist(monkeypatch: pytest.MonkeyPatch) -> None:
    import ganzoo.data.mnist as mnist

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("building an architecture must not load the data")

    monkeypatch.setattr(mnist, "build_mnist", boom)
    monkeypatch.setattr(mnist, "build_stacked_mnist", boom)
    ganzoo.build("dcgan", data="mnist")
    ganzoo.build("acgan", data="stacked-mnist")


def test_acgan_class_logits_and_auxiliary_loss() -> None:
    model = ganzoo.build("acgan", data="mnist")
    g, d = model.generator, model.discriminator
    y = torch.tensor([0, 3, 7, 9])
    x = g(g.sample_latent(4), y)
    out = d.forward_all(x)
    assert out.aux["class_logits"].shape == (4, 10)
    for real in (True, False):
        loss = d.auxiliary_loss(out, y, None, real)
        assert loss is not None and loss.dim() == 0 and torch.isfinite(loss)
    with pytest.raises(DataError, match="label"):
        d.auxiliary_loss(out, None, None, True)


def test_infogan_structured_latent_and_codes() -> None:
    model = ganzoo.build("infogan", data="mnist")
    g, d = model.generator, model.discriminator
    z = g.sample_latent(6, generator=torch.Generator().manual_seed(0))
    assert g.latent_dim == 62 + 10 + 2 and z.shape == (6, 74)
    cat, cont = z[:, 62:72], z[:, 72:]
    assert torch.equal(cat.sum(1), torch.ones(6)) and set(cat.unique().tolist()) == {0.0, 1.0}
    assert cont.min() >= -1 and cont.max() <= 1
    assert g.num_classes is None
    out = d.forward_all(g(z))
    assert out.aux["codes"].shape == (6, 12)
    assert d.auxiliary_loss(out, None, None, real=True) is None
    loss = d.auxiliary_loss(out, None, z, real=False)
    assert loss is not None and torch.isfinite(loss)
    loss.backward()  # the mutual-information term trains G as well as Q
    assert all(p.grad is not None for p in g.parameters())


def test_wgan_constrain_clips_to_c() -> None:
    d = ganzoo.build("wgan", data="mnist").discriminator
    with torch.no_grad():
        for p in d.parameters():
            p.normal_(0, 1)
    d.constrain()
    assert max(p.abs().max().item() for p in d.parameters()) <= 0.01
    assert ganzoo.build("wgan", data="mnist", clip=0.05).discriminator.clip == 0.05


def test_dcgan_init_statistics() -> None:
    model = ganzoo.build("dcgan", data="mnist")
    for net in (model.generator, model.discriminator):
        for mod in net.modules():
            if isinstance(mod, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
                w = mod.weight.detach()
                assert abs(w.mean().item()) < 0.005 and abs(w.std().item() - 0.02) < 0.004
                if mod.bias is not None:
                    assert torch.all(mod.bias == 0)
            elif isinstance(mod, nn.BatchNorm2d):
                assert abs(mod.weight.mean().item() - 1) < 0.01
                assert torch.all(mod.bias == 0)
    # no BatchNorm on D's input layer, none on G's output layer
    d_layers = list(model.discriminator.trunk.net)
    assert isinstance(d_layers[0], nn.Conv2d) and isinstance(d_layers[1], nn.LeakyReLU)
    g_layers = list(model.generator.net)
    assert isinstance(g_layers[-2], nn.ConvTranspose2d) and isinstance(g_layers[-1], nn.Tanh)


def test_critics_without_batchnorm() -> None:
    for arch in ("wgan-gp", "sngan"):
        d = ganzoo.build(arch, data="mnist").discriminator
        assert not any(isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) for m in d.modules())


def test_sngan_spectral_norm_on_every_d_layer() -> None:
    from torch.nn.utils import parametrize

    d = ganzoo.build("sngan", data="mnist").discriminator
    layers = [m for m in d.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)


@pytest.mark.parametrize("size", [(1, 32, 32), (3, 64, 64), (3, 32, 48)])
def test_conv_sizes_follow_the_data(size: tuple[int, int, int]) -> None:
    from ganzoo.models import dcgan
    from ganzoo.models.configs import ConvConfig

    data = DatasetSpec(name="x", summary="x", builder="a.b:c", shape=size)
    g, d = dcgan.build(ConvConfig(width=8), data)
    x = g(g.sample_latent(2))
    assert x.shape == (2, *size) and d(x).shape == (2,)


def test_unsupported_image_shape_is_a_clear_error() -> None:
    from ganzoo.models import dcgan
    from ganzoo.models.configs import ConvConfig

    data = DatasetSpec(name="odd", summary="x", builder="a.b:c", shape=(1, 17, 13))
    with pytest.raises(DataError, match=r"dcgan.*17x13"):
        dcgan.build(ConvConfig(), data)


def test_points_are_rejected_by_conv_architectures() -> None:
    with pytest.raises(DataError, match="image"):
        ganzoo.build("dcgan", data="ring-8")


@pytest.mark.parametrize("arch", ["cgan", "acgan"])
def test_conditional_without_labels_is_a_clear_error(arch: str) -> None:
    model = ganzoo.build(arch, data="mnist")
    g = model.generator
    with pytest.raises(DataError, match="label"):
        g(g.sample_latent(2))
    if arch == "cgan":
        with pytest.raises(DataError, match="label"):
            model.discriminator(torch.zeros(2, 1, 28, 28))


def test_wrong_override_names_the_field() -> None:
    with pytest.raises(ConfigError, match="width"):
        ganzoo.build("dcgan", data="mnist", width="x")
    with pytest.raises(ConfigError, match="widht"):
        ganzoo.build("dcgan", data="mnist", widht=32)


def test_unknown_data_set_suggests_close_names() -> None:
    with pytest.raises(UnknownNameError, match="mnist"):
        ganzoo.build("dcgan", data="mnsit")


def test_listing_modules_do_not_import_torch() -> None:
    code = (
        "import sys, ganzoo.models.catalog, ganzoo.models.configs\n"
        "try:\n    import ganzoo_pacgan.plugin, ganzoo_pacgan.config\nexcept ImportError:\n    pass\n"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the PacGAN plugin (installed separately: pip install -e plugins/ganzoo-pacgan) ---------


def test_pacgan_registered_by_its_plugin() -> None:
    pytest.importorskip("ganzoo_pacgan")
    assert ganzoo.info("pacgan")["plugin"] == "pacgan"


def test_pacgan_packs_consecutive_samples() -> None:
    pytest.importorskip("ganzoo_pacgan")
    from ganzoo_pacgan.model import pack

    x = torch.randn(6, 3, 4, 4)
    assert torch.equal(pack(x, 2)[1], torch.cat([x[2], x[3]], dim=0))
    p = torch.randn(6, 2)
    assert torch.equal(pack(p, 3)[0], torch.cat([p[0], p[1], p[2]]))


@pytest.mark.parametrize(("data", "m"), [("ring-8", 2), ("mnist", 3)])
def test_pacgan_scores_packs_and_rejects_ragged_batches(data: str, m: int) -> None:
    pytest.importorskip("ganzoo_pacgan")
    model = ganzoo.build("pacgan", data=data, pack=m)
    g, d = model.generator, model.discriminator
    x = g(g.sample_latent(2 * m))
    assert d(x).shape == (2,)
    with pytest.raises(DataError, match=f"multiples of {m}"):
        d(x[: 2 * m - 1])


def test_gan_defaults_follow_the_modality() -> None:
    """On points G has BatchNorm and D no dropout (PacGAN's GAN baseline: without G's BatchNorm
    the vanilla GAN collapses onto one mode of ring-8); on images the paper's MNIST nets."""

    def layers(module: torch.nn.Module) -> set[type]:
        return {type(m) for m in module.modules()}

    points = ganzoo.build("gan", data="ring-8")
    assert torch.nn.BatchNorm1d in layers(points.generator)
    assert torch.nn.Dropout not in layers(points.discriminator)
    images = ganzoo.build("gan", data="mnist")
    assert torch.nn.BatchNorm1d not in layers(images.generator)
    assert torch.nn.Dropout in layers(images.discriminator)
    forced = ganzoo.build("gan", data="ring-8", g_batchnorm=False, dropout=0.5)
    assert torch.nn.BatchNorm1d not in layers(forced.generator)
    assert torch.nn.Dropout in layers(forced.discriminator)


def test_channels_last_models_keep_gradient_layouts_matched() -> None:
    """A channels_last dcgan gives the same values as NCHW, and every activation's gradient has
    its activation's layout (mixed layouts make CPU elementwise backwards ~30x slower)."""
    import copy

    torch.manual_seed(0)
    plain = ganzoo.build("dcgan", data="mnist", width=8)
    fast = copy.deepcopy(plain)
    fast.generator.to(memory_format=torch.channels_last)
    fast.discriminator.to(memory_format=torch.channels_last)
    mismatched: list[str] = []

    def watch(module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        cl = out.is_contiguous(memory_format=torch.channels_last)

        def check(grad: torch.Tensor) -> None:
            if grad.is_contiguous(memory_format=torch.channels_last) != cl:
                mismatched.append(f"{type(module).__name__}{tuple(out.shape)}")

        out.register_hook(check)

    for m in [*fast.generator.modules(), *fast.discriminator.modules()]:
        if isinstance(m, nn.LeakyReLU | nn.ReLU):
            m.register_forward_hook(watch)
    z = torch.randn(16, plain.generator.latent_dim)
    scores = [
        d(g(z))
        for g, d in ((plain.generator, plain.discriminator), (fast.generator, fast.discriminator))
    ]
    torch.testing.assert_close(scores[1], scores[0], rtol=1e-4, atol=1e-5)
    scores[1].sum().backward()
    assert not mismatched, f"gradient layout differs from the activation's at {mismatched}"
