"""The built-in GAN losses: registry entries, closed-form values, penalties, overrides."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from torch import Tensor, nn

import ganzoo
from ganzoo.errors import ConfigError
from ganzoo.interfaces import Discriminator, DiscriminatorOutput, GANLoss
from ganzoo.losses import penalties

LOSS_NAMES = [spec.name for spec in ganzoo.list_entries("loss")]
LN2 = math.log(2.0)


def softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


# --- small discriminators -------------------------------------------------------------------


class LinearCritic(Discriminator):
    """D(x) = <w, flatten(x)>: its input gradient is w everywhere, so ||grad|| = ||w||."""

    def __init__(self, w: Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone().float())

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        return DiscriminatorOutput(scores=x.flatten(1) @ self.w)


class QuadraticCritic(Discriminator):
    """D(x) = a/2 ||x||^2: its input gradient is a * x."""

    def __init__(self, a: float = 1.0) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a))

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        return DiscriminatorOutput(scores=0.5 * self.a * x.flatten(1).pow(2).sum(1))


class TinyD(Discriminator):
    """A non-linear D on points or 1x4x4 images; records the labels it was given."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(in_features, 8), nn.Tanh())
        self.head = nn.Linear(8, 1)
        self.seen_y: list[Tensor | None] = []

    def forward_all(self, x: Tensor, y: Tensor | None = None) -> DiscriminatorOutput:
        self.seen_y.append(y)
        f = self.body(x)
        return DiscriminatorOutput(scores=self.head(f).squeeze(1), features=f)


def _scores(values: list[float]) -> Tensor:
    return torch.tensor(values, dtype=torch.float32, requires_grad=True)


def _g_loss(loss: GANLoss, fake: Tensor, real: Tensor) -> Tensor:
    if loss.uses_features:
        feats_f = torch.stack([fake, -fake], 1)
        feats_r = torch.stack([real, real * 0.5], 1)
        return loss.generator_loss(
            DiscriminatorOutput(scores=fake, features=feats_f),
            DiscriminatorOutput(scores=real, features=feats_r),
        )
    return loss.generator_loss(fake, real)


# --- every registered loss ------------------------------------------------------------------


def test_every_builtin_loss_is_registered() -> None:
    assert set(LOSS_NAMES) >= {
        "minimax",
        "non-saturating",
        "least-squares",
        "wasserstein",
        "wasserstein-gp",
        "hinge",
        "relativistic-average",
        "r1",
        "dragan",
        "feature-matching",
    }


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_builds_finite_scalar_losses_with_gradients(name: str) -> None:
    loss = ganzoo.build(name)
    assert isinstance(loss, GANLoss)
    torch.manual_seed(0)
    real = torch.randn(8, requires_grad=True)
    fake = torch.randn(8, requires_grad=True)
    d = loss.discriminator_loss(real, fake)
    g = _g_loss(loss, fake, real)
    for value in (d, g):
        assert value.shape == ()
        assert torch.isfinite(value)
    (d_real, d_fake) = torch.autograd.grad(d, (real, fake))
    assert torch.isfinite(d_real).all() and torch.isfinite(d_fake).all()
    assert d_real.abs().sum() > 0 and d_fake.abs().sum() > 0
    (g_fake,) = torch.autograd.grad(g, fake)
    assert torch.isfinite(g_fake).all() and g_fake.abs().sum() > 0


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 1, 2, 2)])
def test_extreme_logits_and_any_shape_stay_finite(name: str, shape: tuple[int, ...]) -> None:
    loss = ganzoo.build(name)
    n = math.prod(shape)
    signs = torch.tensor([(-1.0) ** i for i in range(n)]).view(shape)
    for real_v, fake_v in ((1000.0, -1000.0), (-1000.0, 1000.0)):
        real = (real_v * signs).requires_grad_(True)
        fake = (fake_v * signs).requires_grad_(True)
        d = loss.discriminator_loss(real, fake)
        g = _g_loss(loss, fake.flatten(), real.flatten()) if loss.uses_features else None
        g = g if g is not None else loss.generator_loss(fake, real)
        assert d.shape == () and g.shape == ()
        assert torch.isfinite(d) and torch.isfinite(g)
        grads = torch.autograd.grad(d + g, (real, fake), allow_unused=True)
        assert all(gr is None or torch.isfinite(gr).all() for gr in grads)


@pytest.mark.parametrize("name", LOSS_NAMES)
@pytest.mark.parametrize("sample_shape", [(2,), (1, 4, 4)])
def test_penalty_is_none_or_trains_d_only(name: str, sample_shape: tuple[int, ...]) -> None:
    loss = ganzoo.build(name)
    torch.manual_seed(0)
    disc = TinyD(math.prod(sample_shape))
    g_param = nn.Parameter(torch.ones(()))
    real = torch.randn(6, *sample_shape)
    fake = g_param * torch.randn(6, *sample_shape)  # part of G's graph
    y = torch.arange(6)
    value = loss.penalty(disc, real, fake, y)
    if value is None:
        assert name not in {"wasserstein-gp", "r1", "dragan"}
        return
    assert value.shape == () and torch.isfinite(value) and value.item() > 0
    assert all(p.grad is None for p in disc.parameters())  # nothing accumulated by the call
    assert disc.seen_y and all(s is y for s in disc.seen_y)
    value.backward()
    # The input gradient depends on every weight (not on the head's bias): all get a gradient.
    weights = [disc.body[1].weight, disc.body[1].bias, disc.head.weight]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in weights)
    assert all(p.grad.abs().sum() > 0 for p in weights)  # type: ignore[union-attr]
    assert g_param.grad is None  # no gradient into G


# --- closed-form values ---------------------------------------------------------------------

REAL = [1.0, 3.0]
FAKE = [0.0, -2.0]
_NS_D = (softplus(-1) + softplus(-3)) / 2 + (softplus(0) + softplus(-2)) / 2
_NS_G = (softplus(0) + softplus(2)) / 2
# relativistic: mean(real) = 2, mean(fake) = -1, real - mean(fake) = [2, 4], fake - mean(real) = [-2, -4]
_RA_D = (softplus(-2) + softplus(-4)) / 2 + (softplus(-2) + softplus(-4)) / 2
_RA_G = (softplus(2) + softplus(4)) / 2 + (softplus(2) + softplus(4)) / 2

CLOSED_FORM = {
    # name: (expected D loss, expected G loss) for real = REAL, fake = FAKE
    "minimax": (_NS_D, -(softplus(0) + softplus(-2)) / 2),
    "non-saturating": (_NS_D, _NS_G),
    "r1": (_NS_D, _NS_G),
    "dragan": (_NS_D, _NS_G),
    "least-squares": (0.5 * (0 + 4) / 2 + 0.5 * (0 + 4) / 2, 0.5 * (1 + 9) / 2),
    "wasserstein": (-1.0 - 2.0, 1.0),
    "wasserstein-gp": (-1.0 - 2.0, 1.0),
    "hinge": ((0 + 0) / 2 + (1 + 0) / 2, 1.0),
    "relativistic-average": (_RA_D, _RA_G),
    # the example plugin's f-GAN total variation: D (mean tanh(fake) - mean tanh(real)) / 2
    "total-variation": (
        0.5 * ((math.tanh(0) + math.tanh(-2)) / 2 - (math.tanh(1) + math.tanh(3)) / 2),
        -0.5 * (math.tanh(0) + math.tanh(-2)) / 2,
    ),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_closed_form_values(name: str) -> None:
    loss = ganzoo.build(name)
    want_d, want_g = CLOSED_FORM[name]
    real, fake = _scores(REAL), _scores(FAKE)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(want_d, rel=1e-6)
    assert loss.generator_loss(fake, real).item() == pytest.approx(want_g, rel=1e-6)


def test_closed_form_table_covers_every_score_loss() -> None:
    assert set(CLOSED_FORM) | {"feature-matching"} == set(LOSS_NAMES)


def test_classic_losses_at_zero_logits() -> None:
    zeros = torch.zeros(5)
    assert ganzoo.build("minimax").discriminator_loss(zeros, zeros).item() == pytest.approx(2 * LN2)
    assert ganzoo.build("minimax").generator_loss(zeros).item() == pytest.approx(-LN2)
    assert ganzoo.build("non-saturating").generator_loss(zeros).item() == pytest.approx(LN2)
    ra = ganzoo.build("relativistic-average")
    assert ra.discriminator_loss(zeros, zeros).item() == pytest.approx(2 * LN2)
    assert ra.generator_loss(zeros, zeros).item() == pytest.approx(2 * LN2)


def test_logit_losses_are_exact_at_extremes() -> None:
    big = torch.full((3,), 1000.0)
    ns = ganzoo.build("non-saturating")
    assert ns.discriminator_loss(-big, big).item() == pytest.approx(2000.0)
    assert ns.discriminator_loss(big, -big).item() == pytest.approx(0.0, abs=1e-12)
    assert ns.generator_loss(-big).item() == pytest.approx(1000.0)
    assert ganzoo.build("minimax").generator_loss(big).item() == pytest.approx(-1000.0)


def test_least_squares_targets_override() -> None:
    loss = ganzoo.build("least-squares", a=-1.0, b=1.0, c=0.0)
    real, fake = _scores([1.0, 0.0]), _scores([0.0, 1.0])
    # D: 1/2 mean((real - 1)^2) + 1/2 mean((fake + 1)^2) = 0.25 + 1.25; G: 1/2 mean(fake^2)
    assert loss.discriminator_loss(real, fake).item() == pytest.approx(1.5)
    assert loss.generator_loss(fake).item() == pytest.approx(0.25)


def test_relativistic_generator_needs_real_scores() -> None:
    with pytest.raises(ValueError, match="real"):
        ganzoo.build("relativistic-average").generator_loss(torch.zeros(3))


# --- feature matching -----------------------------------------------------------------------


def test_feature_matching_closed_form_and_gradients() -> None:
    loss = ganzoo.build("feature-matching")
    assert loss.uses_features is True
    real_f = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)  # mean (2, 3)
    fake_f = torch.tensor([[0.0, 0.0], [2.0, 2.0]], requires_grad=True)  # mean (1, 1)
    out = loss.generator_loss(
        DiscriminatorOutput(scores=torch.zeros(2), features=fake_f),
        DiscriminatorOutput(scores=torch.zeros(2), features=real_f),
    )
    assert out.item() == pytest.approx(1.0 + 4.0)
    out.backward()
    # d/d fake_f_ij of ||m_r - m_f||^2 = -2 (m_r - m_f)_j / N
    assert torch.allclose(fake_f.grad, torch.tensor([[-1.0, -2.0], [-1.0, -2.0]]))
    assert real_f.grad is None
    zeros = torch.zeros(4)
    assert loss.discriminator_loss(zeros, zeros).item() == pytest.approx(2 * LN2)


def test_feature_matching_rejects_tensors_and_missing_features() -> None:
    loss = ganzoo.build("feature-matching")
    with pytest.raises(TypeError, match="DiscriminatorOutput"):
        loss.generator_loss(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="features"):
        loss.generator_loss(
            DiscriminatorOutput(scores=torch.zeros(2)), DiscriminatorOutput(torch.zeros(2))
        )


# --- WGAN-GP ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "sample_shape"), [([3.0, 4.0], (2,)), ([1.0, 1.0, 1.0, 1.0, 0.0, 0.0], (3, 2, 1))]
)
def test_wgan_gp_penalty_on_linear_critic(w: list[float], sample_shape: tuple[int, ...]) -> None:
    critic = LinearCritic(torch.tensor(w))
    norm = math.sqrt(sum(v * v for v in w))  # 5 for points; 2 over all dims of the image
    real, fake = torch.randn(5, *sample_shape), torch.randn(5, *sample_shape)
    value = ganzoo.build("wasserstein-gp").penalty(critic, real, fake)
    assert value.item() == pytest.approx(10 * (norm - 1) ** 2, rel=1e-5)
    assert critic.w.grad is None
    value.backward()  # create_graph=True: d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w||
    want = 20 * (norm - 1) * torch.tensor(w) / norm
    assert torch.allclose(critic.w.grad, want, rtol=1e-5)


def test_wgan_gp_weight_override_and_zero_weight() -> None:
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    real, fake = torch.randn(4, 2), torch.randn(4, 2)
    assert ganzoo.build("wasserstein-gp", weight=5).weight == 5
    value = ganzoo.build("wasserstein-gp", weight=5).penalty(critic, real, fake)
    assert value.item() == pytest.approx(5 * 16, rel=1e-5)
    assert ganzoo.build("wasserstein-gp", weight=0).penalty(critic, real, fake) is None


def test_interpolate_draws_eps_once_per_sample() -> None:
    torch.manual_seed(1)
    real, fake = torch.randn(16, 3, 4, 4), torch.randn(16, 3, 4, 4)
    x_hat = penalties.interpolate(real, fake)
    ratio = (x_hat - fake) / (real - fake)  # = eps, one value per sample if drawn per sample
    per_sample = ratio.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)
    eps = per_sample[:, 0]
    assert (eps >= 0).all() and (eps <= 1).all()
    assert eps.std() > 0.05  # different samples get different eps


def test_gradient_penalty_matches_definition_on_quadratic_critic() -> None:
    # D(x) = 1/2 ||x||^2 has gradient x_hat, so the penalty is mean((||x_hat||_2 - 1)^2) with the
    # norm over all of C, H, W, and x_hat = eps real + (1 - eps) fake with one eps per sample.
    real, fake = torch.randn(6, 2, 3, 3) * 0.3, torch.randn(6, 2, 3, 3) * 0.3
    value = penalties.gradient_penalty(
        QuadraticCritic(), real, fake, generator=torch.Generator().manual_seed(7)
    )
    eps = torch.rand(6, generator=torch.Generator().manual_seed(7)).view(6, 1, 1, 1)
    x_hat = eps * real + (1 - eps) * fake
    want = (x_hat.flatten(1).norm(dim=1) - 1).pow(2).mean()
    assert value.item() == pytest.approx(want.item(), rel=1e-5)
    per_pixel = torch.rand(6, 2, 3, 3, generator=torch.Generator().manual_seed(7))
    wrong = ((per_pixel * real + (1 - per_pixel) * fake).flatten(1).norm(dim=1) - 1).pow(2).mean()
    assert abs(value.item() - wrong.item()) > 1e-3


def test_loss_penalty_is_weight_times_plain_function() -> None:
    critic = QuadraticCritic()
    real, fake = torch.randn(5, 1, 4, 4), torch.randn(5, 1, 4, 4)
    torch.manual_seed(3)
    weighted = ganzoo.build("wasserstein-gp", weight=3).penalty(critic, real, fake)
    torch.manual_seed(3)
    plain = penalties.gradient_penalty(critic, real, fake)
    assert weighted.item() == pytest.approx(3 * plain.item(), rel=1e-6)


def test_penalty_under_no_grad_keeps_no_graph() -> None:
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    with torch.no_grad():
        value = ganzoo.build("wasserstein-gp").penalty(critic, torch.randn(4, 2), torch.randn(4, 2))
    assert not value.requires_grad
    assert value.item() == pytest.approx(160.0, rel=1e-5)


def test_gradient_penalty_rejects_mismatched_batches() -> None:
    with pytest.raises(ValueError, match="same shape"):
        penalties.gradient_penalty(QuadraticCritic(), torch.randn(4, 2), torch.randn(3, 2))


# --- R1 and DRAGAN --------------------------------------------------------------------------


@pytest.mark.parametrize("sample_shape", [(2,), (1, 3, 3)])
@pytest.mark.parametrize("gamma", [10.0, 2.0])
def test_r1_on_quadratic_critic(sample_shape: tuple[int, ...], gamma: float) -> None:
    critic = QuadraticCritic(a=1.0)
    real = torch.randn(7, *sample_shape)
    sq = real.flatten(1).pow(2).sum(1).mean().item()
    loss = ganzoo.build("r1") if gamma == 10.0 else ganzoo.build("r1", gamma=gamma)
    assert loss.gamma == gamma
    value = loss.penalty(critic, real, torch.randn_like(real))
    assert value.item() == pytest.approx(gamma / 2 * sq, rel=1e-5)
    value.backward()  # R1 = gamma/2 a^2 mean||x||^2, so d/da = gamma a mean||x||^2
    assert critic.a.grad.item() == pytest.approx(gamma * sq, rel=1e-5)
    assert penalties.r1_penalty(critic, real).item() == pytest.approx(sq, rel=1e-5)


def test_dragan_penalty_on_linear_critic_and_perturbation_range() -> None:
    critic = LinearCritic(torch.tensor([3.0, 4.0]))
    real = torch.randn(8, 2)
    assert ganzoo.build("dragan").penalty(critic, real, real).item() == pytest.approx(
        10 * 16, rel=1e-5
    )
    assert ganzoo.build("dragan", weight=1).penalty(critic, real, real).item() == pytest.approx(
        16, rel=1e-5
    )
    images = torch.randn(8, 1, 4, 4)
    moved = penalties.dragan_perturb(images, scale=0.5) - images
    assert (moved >= 0).all() and (moved <= 0.5 * images.std() + 1e-6).all()
    assert moved.abs().sum() > 0


# --- overrides and the torch-free catalog ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "field", "bad"),
    [("wasserstein-gp", "weight", "heavy"), ("r1", "gamma", "big"), ("least-squares", "a", [1])],
)
def test_wrong_override_type_names_the_field(name: str, field: str, bad: object) -> None:
    with pytest.raises(ConfigError, match=field):
        ganzoo.build(name, **{field: bad})


def test_unknown_or_forbidden_overrides_fail() -> None:
    with pytest.raises(ConfigError, match="lambda_"):
        ganzoo.build("wasserstein-gp", lambda_=3)
    with pytest.raises(ConfigError, match="weight"):
        ganzoo.build("wasserstein-gp", weight=-1)
    with pytest.raises(ConfigError):
        ganzoo.build("hinge", weight=1)


def test_loss_specs_use_paper_defaults() -> None:
    specs = {s.name: s for s in ganzoo.list_entries("loss")}
    assert ganzoo.info("wasserstein-gp")["defaults"] == {"weight": 10.0}
    assert ganzoo.info("r1")["defaults"] == {"gamma": 10.0, "interval": 1}
    assert ganzoo.info("least-squares")["defaults"] == {"a": 0.0, "b": 1.0, "c": 1.0}
    assert ganzoo.info("dragan")["defaults"] == {"weight": 10.0, "scale": 0.5}
    assert ganzoo.build("dragan").scale == 0.5 and ganzoo.build("r1").gamma == 10.0
    assert all(s.paper for s in specs.values())


def test_catalog_does_not_import_torch() -> None:
    code = "import sys, ganzoo.losses.catalog; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
