"""Every image architecture at 28, 32, 64 and 128 px, with 1 and 3 channels (issue 13, part 4).

Parametrised over the registry (a plugin's image architecture is covered too). Widths are tiny so
each case runs in milliseconds: what is checked is the sizing, not the quality. Each case checks
G's output shape and range, D's output shape, that gradients reach every parameter of G and D,
and one real training step (the training loop's `AlternatingUpdates`, the architecture's own
loss and optimizer) without a NaN.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import ganzoo
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import DataError
from ganzoo.models.blocks import MLP_REASONABLE_PIXELS, conv_plan, conv_sides
from ganzoo.specs import DatasetSpec
from ganzoo.training.batches import Batches
from ganzoo.training.optim import make_optimizers
from ganzoo.training.updates import STATS, AlternatingUpdates

RESOLUTIONS = (28, 32, 64, 128)
CHANNELS = (1, 3)
CLASSES = 10

# tiny networks: the options that set widths (conv width; the MLPs' hidden sizes by architecture)
TINY_WIDTH = 4
TINY_HIDDEN = {
    "g_hidden": {"gan": (16,), "cgan": (8, 8, 16)},
    "d_hidden": {"gan": (16,), "cgan": (8, 8, 16)},
}


def _image_architectures() -> list[str]:
    return sorted(a.name for a in ganzoo.list_entries("architecture") if "image" in a.modalities)


def _spec(channels: int, side: int, height: int | None = None) -> DatasetSpec:
    return DatasetSpec(
        name=f"images-{channels}x{side}",
        summary="test images",
        builder="a.b:c",
        shape=(channels, height or side, side),
        num_classes=CLASSES,
    )


def _tiny_overrides(arch: str) -> dict[str, object]:
    names = set(ganzoo.info(arch)["defaults"])
    out: dict[str, object] = {}
    if "width" in names:
        out["width"] = TINY_WIDTH
    for key, table in TINY_HIDDEN.items():
        if key in names and arch in table:
            out[key] = table[arch]
    return out


def _build(arch: str, spec: DatasetSpec) -> ganzoo.GANModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the MLPs' large-image warning
        return ganzoo.build(arch, data=spec, **_tiny_overrides(arch))


CASES = [(a, r, c) for a in _image_architectures() for r in RESOLUTIONS for c in CHANNELS]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize(("arch", "side", "channels"), CASES)
def test_architecture_at_resolution(arch: str, side: int, channels: int) -> None:
    spec = _spec(channels, side)
    model = _build(arch, spec)
    g, d = model.generator, model.discriminator
    m = getattr(model.config, "pack", 1)  # pacgan's D scores packs of m samples
    n = 2 * m
    y = torch.arange(n) % CLASSES if g.num_classes else None
    assert g.output_shape == (channels, side, side)

    x = g(g.sample_latent(n), y)
    assert x.shape == (n, channels, side, side)
    assert x.min() >= -1 and x.max() <= 1
    out = d.forward_all(x, y)
    assert out.scores.shape == (n // m,)
    assert out.features is not None and out.features.shape[0] == n // m
    total = out.scores.sum() + out.features.sum() + sum(a.sum() for a in out.aux.values())
    total.backward()
    for net in (g, d):
        missing = [k for k, p in net.named_parameters() if p.grad is None]
        assert not missing, f"no gradient reaches {missing}"

    # one training step of the real update rule, on random images of this size
    g.zero_grad(set_to_none=True)
    d.zero_grad(set_to_none=True)
    images = torch.randint(0, 256, (4 * n, channels, side, side), dtype=torch.uint8)
    labels = torch.arange(4 * n) % CLASSES
    data = TensorData(images, labels, spec)
    opt_g, opt_d = make_optimizers(model.arch.optimizer, g, d)
    loss = ganzoo.build(model.arch.default_loss)
    before = [p.detach().clone() for p in g.parameters()]
    updates = AlternatingUpdates(
        g,
        d,
        loss,
        opt_g,
        opt_d,
        n_critic=model.arch.optimizer.n_critic or 1,
        batches=Batches(data, n, seed=0, device=torch.device("cpu")),
    )
    stats, _ = updates.step()
    assert stats.shape == (len(STATS),)
    assert torch.isfinite(stats).all(), dict(zip(STATS, stats.tolist(), strict=True))
    for net in (g, d):
        assert all(torch.isfinite(p).all() for p in net.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters(), strict=True))


# DCGAN's ladder: (start side, stride-2 layers) per image side
LADDER = {28: (7, 2), 32: (4, 3), 64: (4, 4), 128: (4, 5)}


@pytest.mark.parametrize("side", RESOLUTIONS)
def test_dcgan_ladder(side: int) -> None:
    """G projects z to the start size and doubles it with one transposed conv per step
    (the paper's 64x64 net: 4x4 and four); D mirrors it down to the start size."""
    start, steps = LADDER[side]
    width = 8
    model = ganzoo.build("dcgan", data=_spec(3, side), width=width)
    g_layers = list(model.generator.net)
    unflatten = g_layers[1]
    assert isinstance(unflatten, nn.Unflatten)
    assert tuple(unflatten.unflattened_size) == (width * 2 ** (steps - 1), start, start)
    deconvs = [m for m in g_layers if isinstance(m, nn.ConvTranspose2d)]
    assert len(deconvs) == steps
    assert [m.out_channels for m in deconvs][-2:] == [width, 3]
    d_convs = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d)]
    assert len(d_convs) == steps
    assert [m.out_channels for m in d_convs] == [width * 2**i for i in range(steps)]
    x = torch.zeros(2, 3, side, side)
    feats = model.discriminator.trunk.net[:-2](x)  # before the flatten
    assert feats.shape[-2:] == (start, start)


def test_the_28px_networks_are_unchanged() -> None:
    """The MNIST networks (and every pretrained model) keep their 7x7 start and two steps:
    the same parameter names and shapes as before resolutions were added."""
    model = ganzoo.build("dcgan", data="mnist", width=64)
    shapes = {k: tuple(v.shape) for k, v in model.generator.state_dict().items()}
    assert shapes["net.0.weight"] == (128 * 7 * 7, 100)
    assert shapes["net.4.weight"] == (128, 64, 4, 4)
    assert shapes["net.7.weight"] == (64, 1, 4, 4)
    assert len([k for k in shapes if k.endswith("weight")]) == 5  # linear, BN, deconv, BN, deconv


@pytest.mark.parametrize(
    "shape",
    [(1, 30, 30), (3, 12, 12), (1, 28, 32), (3, 512, 512), (1, 36, 36), (3, 100, 100)],
)
@pytest.mark.parametrize("arch", ["dcgan", "wgan", "wgan-gp", "lsgan", "sngan", "acgan", "infogan"])
def test_a_size_the_ladder_cannot_make_is_one_clear_line(
    arch: str, shape: tuple[int, int, int]
) -> None:
    spec = DatasetSpec(name="odd", summary="x", builder="a.b:c", shape=shape, num_classes=10)
    with pytest.raises(DataError) as err:
        ganzoo.build(arch, data=spec)
    message = str(err.value)
    assert "\n" not in message
    assert f"'{arch}' cannot make {shape[1]}x{shape[2]} images" in message
    assert "28, 32, 48, 64, 96, 128" in message  # says which sizes it can make


def test_the_ladder_makes_exactly_the_listed_sides() -> None:
    sides = conv_sides()
    assert sides[:13] == [16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128]
    assert sides[-1] == 256
    assert conv_plan((3, 48, 48)).start == (6, 6)  # SNGAN's STL-10 generator starts at 6x6
    assert conv_plan((3, 32, 48)).start == (4, 6)  # rectangles: the same number of steps
    for side in sides:
        plan = conv_plan((1, side, side))
        assert plan.start[0] * 2**plan.steps == side and 4 <= plan.start[0] <= 7


def test_conv_architectures_need_a_shape() -> None:
    with pytest.raises(DataError, match="build the data first"):
        conv_plan(None, "architecture 'dcgan'")


@pytest.mark.parametrize("arch", ["gan", "cgan"])
def test_fully_connected_architectures_warn_above_64px(arch: str) -> None:
    small, large = _spec(3, 64), _spec(1, 128)
    assert 64 * 64 <= MLP_REASONABLE_PIXELS < 128 * 128
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ganzoo.build(arch, data=small, **_tiny_overrides(arch))
    with pytest.warns(UserWarning, match=rf"'{arch}' is fully connected: on 128x128 images"):
        model = ganzoo.build(arch, data=large, **_tiny_overrides(arch))
    assert model.generator.output_shape == (1, 128, 128)
