"""sngan-resnet, biggan and stylegan2 (issue 14): what each paper's design says they do.

Shapes, gradients and one update step at 28/32/64/128 px are covered for every image
architecture by test_resolutions.py; here: the channel plans, conditioning, the truncation trick,
style mixing, the regularisers and the steps they fire on, and short runs through the Trainer
(exact resume included) on MNIST padded to 32 px. Networks are tiny.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import ganzoo
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import ConfigError, DataError
from ganzoo.losses.penalties import r1_penalty
from ganzoo.models.biggan import orthogonal_penalty, truncated_normal
from ganzoo.models.resnet import resnet_plan
from ganzoo.specs import DatasetSpec
from ganzoo.training.batches import Batches
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer
from ganzoo.training.optim import make_optimizers
from ganzoo.training.updates import AlternatingUpdates

TINY = {
    "sngan-resnet": {"width": 8, "latent_dim": 16},
    "biggan": {"width": 8, "latent_dim": 20, "shared_dim": 8},
    "stylegan2": {"width": 8, "latent_dim": 16, "mapping_layers": 2, "max_channels": 32},
}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _spec(side: int, channels: int = 3, classes: int | None = 10) -> DatasetSpec:
    return DatasetSpec(
        name=f"x{side}",
        summary="test images",
        builder="a.b:c",
        shape=(channels, side, side),
        num_classes=classes,
    )


def _build(arch: str, side: int = 32, classes: int | None = 10, **kw: object) -> ganzoo.GANModel:
    return ganzoo.build(arch, data=_spec(side, classes=classes), **{**TINY[arch], **kw})


# ----------------------------------------------------------------------------- sngan-resnet
def test_sngan_resnet_follows_the_papers_channel_plans() -> None:
    cifar = resnet_plan((3, 32, 32), 128, "t")  # Miyato et al. 2018, CIFAR-10 ResNets
    assert cifar.start == (4, 4) and cifar.g_channels == (256,) * 4
    assert cifar.d_channels == (128,) * 4 and cifar.d_down == (True, True, False, False)
    stl = resnet_plan((3, 48, 48), 64, "t")  # STL-10: G 512 -> 64 from 6x6
    assert stl.start == (6, 6) and stl.g_channels == (512, 256, 128, 64)
    assert stl.d_channels == (64, 128, 256, 512) and stl.d_down == (True, True, True, False)
    imagenet = resnet_plan((3, 128, 128), 64, "t")  # projection paper's 128 px G: 16ch..ch
    assert imagenet.g_channels == (1024, 1024, 512, 256, 128, 64)


def test_sngan_resnet_has_spectral_norm_on_every_d_layer_and_none_in_g() -> None:
    from torch.nn.utils import parametrize

    model = _build("sngan-resnet")
    d_layers = [m for m in model.discriminator.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert d_layers and all(parametrize.is_parametrized(m, "weight") for m in d_layers)
    g_layers = [m for m in model.generator.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    assert not any(parametrize.is_parametrized(m, "weight") for m in g_layers)
    assert model.arch.default_loss == "hinge"
    opt = model.arch.optimizer
    assert (opt.lr_g, opt.lr_d, opt.betas, opt.n_critic) == (2e-4, 2e-4, (0.0, 0.9), 5)


def test_sngan_resnet_projection_is_class_conditional() -> None:
    model = _build("sngan-resnet", conditioning="projection")
    g, d = model.generator, model.discriminator
    assert g.num_classes == 10 and d.num_classes == 10
    for m in g.modules():  # class scales start at 1 and shifts at 0: make the classes differ
        if isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight)
    g.eval()
    z = g.sample_latent(1).repeat(2, 1)
    a, b = g(z, torch.tensor([0, 0])), g(z, torch.tensor([0, 1]))
    assert torch.equal(a[0], a[1]) and not torch.allclose(b[0], b[1])  # BN is class-conditional
    x = a.detach()
    assert not torch.allclose(d(x, torch.tensor([0, 0])), d(x, torch.tensor([3, 3])))
    with pytest.raises(DataError, match="needs class labels"):
        d(x, None)
    with pytest.raises(DataError, match="needs class labels"):
        g(z, None)
    with pytest.raises(DataError, match="conditioning=projection needs class labels"):
        _build("sngan-resnet", classes=None, conditioning="projection")
    assert _build("sngan-resnet", classes=None).generator.num_classes is None


# ----------------------------------------------------------------------------- biggan
def test_biggan_hierarchical_latents_and_shared_embedding() -> None:
    model = _build("biggan", side=32)
    g = model.generator
    assert sum(g.chunks) == 20 and len(g.chunks) == 4  # one chunk per up block (3) plus one
    g.eval()
    z = g.sample_latent(2)
    base = g(z, torch.tensor([1, 1]))
    for k in range(1, len(g.chunks)):  # every chunk of z reaches the image
        z2 = z.clone()
        start = sum(g.chunks[:k])
        z2[:, start : start + g.chunks[k]] += 1.0
        assert not torch.allclose(g(z2, torch.tensor([1, 1])), base)
    assert not torch.allclose(g(z, torch.tensor([2, 2])), base)  # the class conditions it
    assert model.arch.conditional
    with pytest.raises(DataError, match="needs class labels"):
        ganzoo.build("biggan", data=_spec(32, classes=None))


def test_biggan_spectral_norm_in_both_nets() -> None:
    from torch.nn.utils import parametrize

    model = _build("biggan")
    for net in (model.generator, model.discriminator):
        layers = [m for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)


def test_biggan_orthogonal_regularisation() -> None:
    q, _ = torch.linalg.qr(torch.randn(6, 6))
    assert orthogonal_penalty([q]).item() == pytest.approx(0.0, abs=1e-8)
    w = torch.tensor([[1.0, 1.0], [1.0, 0.0]])  # W W^T = [[2, 1], [1, 1]]: off-diagonal 1, 1
    assert orthogonal_penalty([w]).item() == pytest.approx(2.0)
    model = _build("biggan")
    g = model.generator
    reg = g.regularizer(0, torch.zeros(2, 20), None)
    assert reg is not None
    expected = 1e-4 * orthogonal_penalty(g.regularized_weights())
    assert torch.allclose(reg, expected)
    reg.backward()
    assert all(w.grad is not None for w in g.regularized_weights())
    assert g.shared.weight.grad is None  # the embedding is not regularised
    assert (
        _build("biggan", ortho_reg=0.0).generator.regularizer(0, torch.zeros(2, 20), None) is None
    )


def test_biggan_truncation() -> None:
    z = torch.randn(10000)
    t = truncated_normal(z, 0.5)
    assert t.abs().max() <= 0.5 and t.std() < 0.3  # within the threshold
    assert torch.allclose(truncated_normal(z, 8.0), z, atol=1e-4)  # a large threshold: none
    model = _build("biggan")
    same_class = model.sample(4, y=3, seed=0, truncation=0.0)
    assert all(torch.equal(same_class[0], s) for s in same_class)  # z = 0: one image per class
    assert not torch.equal(same_class, model.sample(4, y=3, seed=0, truncation=1.0))
    full = model.sample(4, y=3, seed=0, truncation=10.0)
    assert torch.allclose(full, model.sample(4, y=3, seed=0), atol=1e-3)


def test_biggan_self_attention_at_one_side() -> None:
    from ganzoo.models.resnet import SelfAttention

    model = _build("biggan", side=64, attention=32)
    for net in (model.generator, model.discriminator):
        assert sum(isinstance(m, SelfAttention) for m in net.modules()) == 1
    assert model.sample(2, seed=0).shape == (2, 3, 64, 64)
    with pytest.raises(DataError, match="cannot put self-attention at 128 px"):
        _build("biggan", side=64, attention=128)


# ----------------------------------------------------------------------------- stylegan2
def test_stylegan2_truncation_psi() -> None:
    model = _build("stylegan2", classes=None)
    g = model.generator
    g.train()
    for _ in range(5):  # w_avg is tracked in training mode
        g(g.sample_latent(8))
    assert g.w_avg.abs().sum() > 0
    mean = model.sample(4, seed=0, truncation=0.0)
    assert all(torch.allclose(mean[0], s) for s in mean)  # psi 0: every z gives the mean w
    plain = model.sample(4, seed=0)
    assert torch.allclose(model.sample(4, seed=0, truncation=1.0), plain, atol=1e-6)
    half = model.sample(4, seed=0, truncation=0.5)
    # psi 0.5 lies between: closer to the mean image than the untruncated samples are
    assert (half - mean).abs().mean() < (plain - mean).abs().mean()


def test_stylegan2_style_mixing() -> None:
    g = _build("stylegan2", classes=None).generator.eval()
    za, zb = g.sample_latent(2), g.sample_latent(2)
    a, b = g(za), g(zb)
    assert torch.allclose(g.forward_mixed(za, zb, g.num_ws), a, atol=1e-6)  # all styles from za
    assert torch.allclose(g.forward_mixed(za, zb, 0), b, atol=1e-6)  # all from zb
    coarse = g.forward_mixed(za, zb, 4)  # za's coarse styles, zb's fine ones
    fine = g.forward_mixed(za, zb, g.num_ws - 2)  # za's styles except the last layer's
    assert (fine - a).abs().mean() < (coarse - a).abs().mean()
    # in training, style_mixing=1 mixes every batch, 0 never
    g.train()
    mixed = _build("stylegan2", classes=None, style_mixing=1.0).generator.train()
    ws = mixed.styles(za)
    assert not torch.allclose(ws[:, 0], ws[:, -1])
    never = _build("stylegan2", classes=None, style_mixing=0.0).generator.train()
    ws = never.styles(za)
    assert torch.equal(ws[:, 0], ws[:, -1])


def test_stylegan2_noise_is_fresh_in_training_and_fixed_in_eval() -> None:
    g = _build("stylegan2", classes=None).generator
    for layer in [g.first, *g.layers]:
        nn.init.constant_(layer.noise_strength, 0.5)
    z = g.sample_latent(2)
    g.eval()
    assert torch.equal(g(z), g(z))
    g.train()
    g.config = g.config.model_copy(update={"style_mixing": 0.0})
    assert not torch.equal(g(z), g(z))


def test_stylegan2_lazy_r1() -> None:
    model = _build("stylegan2", classes=None, r1_gamma=4.0, r1_interval=16)
    d = model.discriminator
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    assert all(d.regularizer(step, x, None) is None for step in range(1, 16))
    reg = d.regularizer(32, x, None)
    assert reg is not None
    assert torch.allclose(reg, 0.5 * 4.0 * 16 * r1_penalty(d, x), rtol=1e-5)
    reg.backward()
    missing = [k for k, p in d.named_parameters() if p.grad is None]
    assert missing == ["out.bias"]  # the score's bias does not change the input gradient


def test_stylegan2_lazy_path_length() -> None:
    g = _build("stylegan2", classes=None, pl_weight=2.0, pl_interval=4).generator.train()
    z = g.sample_latent(4)
    assert all(g.regularizer(step, z, None) is None for step in (1, 2, 3, 5))
    assert g.pl_mean.item() == 0
    reg = g.regularizer(8, z, None)
    assert reg is not None and torch.isfinite(reg) and reg > 0
    assert g.pl_mean.item() > 0  # the running mean moved towards the lengths
    reg.backward()
    assert g.mapping.fcs[0].weight.grad is not None and g.const.grad is not None
    off = _build("stylegan2", classes=None, pl_weight=0.0).generator
    assert off.regularizer(0, z, None) is None


def test_stylegan2_minibatch_stddev_couples_the_batch() -> None:
    d = _build("stylegan2", classes=None).discriminator.eval()
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    alone = d(x[:1].repeat(4, 1, 1, 1))[0]
    assert not torch.allclose(d(x)[0], alone)  # the other samples change sample 0's score


# ----------------------------------------------------------------------------- the hooks
def test_truncation_is_refused_by_architectures_without_it() -> None:
    model = ganzoo.build("dcgan", data=_spec(32, classes=None), width=4)
    with pytest.raises(ConfigError, match="has no truncation trick") as err:
        model.sample(2, seed=0, truncation=0.5)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="finite number >= 0"):
        _build("stylegan2", classes=None).sample(2, truncation=-1.0)


def test_the_update_rule_calls_the_regularisers_with_their_step_indices() -> None:
    model = _build("sngan-resnet", classes=None)
    g, d = model.generator, model.discriminator
    seen: dict[str, list[int]] = {"d": [], "g": []}

    def d_reg(step: int, real: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        seen["d"].append(step)
        return real.new_zeros(()) + 1.0

    def g_reg(step: int, z: torch.Tensor, y: torch.Tensor | None) -> None:
        seen["g"].append(step)

    d.regularizer, g.regularizer = d_reg, g_reg  # type: ignore[method-assign]
    images = torch.randint(0, 256, (64, 3, 32, 32), dtype=torch.uint8)
    data = TensorData(images, None, _spec(32, classes=None))
    opt_g, opt_d = make_optimizers(model.arch.optimizer, g, d)
    batches = Batches(data, 8, seed=0, device=torch.device("cpu"))
    loss = ganzoo.build("hinge")
    updates = AlternatingUpdates(g, d, loss, opt_g, opt_d, n_critic=2, batches=batches)
    for _ in range(3):
        stats, _ = updates.step()
        assert stats[6] >= 1.0  # D's regulariser is in the penalty statistic
    assert seen == {"d": [0, 1, 2, 3, 4, 5], "g": [0, 1, 2]}


# ----------------------------------------------------------------------------- training
def _train_config(arch: str, out: Path, steps: int, **kw: object) -> TrainConfig:
    options = dict(TINY[arch])
    if arch == "stylegan2":  # make both lazy regularisers fire within a few steps
        options.update(r1_interval=2, pl_interval=2)
    fields: dict[str, object] = {
        "architecture": arch,
        "data": "mnist",
        "data_options": {"limit": 128, "resolution": 32},
        "architecture_options": options,
        "batch_size": 8,
        "steps": steps,
        "out": str(out),
        "log_every": 1,
        "sample_every": 1000,
        "checkpoint_every": 1000,
        "diagnostics": [],
    }
    return TrainConfig(**{**fields, **kw})


@pytest.mark.parametrize("arch", sorted(TINY))
def test_a_few_trainer_steps_on_mnist_32px(arch: str, tmp_path: Path, mnist_root: Path) -> None:
    trainer = Trainer.create(_train_config(arch, tmp_path / "run", steps=4))
    assert trainer.G.output_shape == (1, 32, 32)
    trainer.run()
    assert trainer.step == 4
    for net in (trainer.G, trainer.D):
        assert all(torch.isfinite(p).all() for p in net.parameters())
    x = trainer.model.sample(4, seed=0)
    assert x.shape == (4, 1, 32, 32) and torch.isfinite(x).all()


def test_stylegan2_resume_is_exact(tmp_path: Path, mnist_root: Path) -> None:
    """The lazy regularisers' steps come from the data position, style mixing and noise from
    the saved RNG: 2 + 2 resumed steps end where 4 straight ones do."""
    full = Trainer.create(_train_config("stylegan2", tmp_path / "full", steps=4))
    full.run()
    half = Trainer.create(
        _train_config("stylegan2", tmp_path / "half", steps=2, checkpoint_every=2)
    )
    half.run()
    half.close()
    resumed = Trainer.create(
        _train_config("stylegan2", tmp_path / "half", steps=4, checkpoint_every=2), resume=True
    )
    resumed.run()
    for a, b in zip(full.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(full.D.state_dict().values(), resumed.D.state_dict().values(), strict=True):
        assert torch.equal(a, b)
