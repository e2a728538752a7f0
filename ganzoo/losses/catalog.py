"""Specs of the built-in losses. Imported by the built-in plugin; must not import torch.

Each declares what D's scores are (``scores``) and whether G's objective saturates
(``saturating``); docs/losses.md tabulates them and says what the display and detectors do with
them.
"""

from __future__ import annotations

from ganzoo.specs import LossSpec, Spec

_M = "ganzoo.losses."
_C = "ganzoo.losses.configs:"

ENTRIES: list[Spec] = [
    LossSpec(
        name="minimax",
        summary="Original GAN minimax loss: G minimises E[log(1 - D(G(z)))] (saturates).",
        description="D: -E[log D(x)] - E[log(1 - D(G(z)))]; G: E[log(1 - D(G(z)))]. Computed "
        "from logits with softplus. G's gradient vanishes when D rejects fakes confidently; "
        "kept for reference and for studying that failure.",
        paper="Goodfellow et al. 2014, Generative Adversarial Nets",
        builder=_M + "classic:build_minimax",
        family="classic",
        scores="logits",
        saturating=True,
        tags=("bce",),
    ),
    LossSpec(
        name="non-saturating",
        summary="Standard GAN loss with the non-saturating G objective -E[log D(G(z))].",
        description="D: -E[log D(x)] - E[log(1 - D(G(z)))]; G: -E[log D(G(z))]. Computed from "
        "logits with softplus (BCE with logits).",
        paper="Goodfellow et al. 2014, Generative Adversarial Nets",
        builder=_M + "classic:build_non_saturating",
        family="classic",
        scores="logits",
        tags=("bce", "default"),
    ),
    LossSpec(
        name="least-squares",
        summary="LSGAN: least-squares targets a=0 (fake), b=1 (real), c=1 (G's target).",
        description="D: 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]; G: 1/2 E[(D(G(z)) - c)^2], "
        "on D's raw outputs.",
        paper="Mao et al. 2017, Least Squares Generative Adversarial Networks",
        builder=_M + "least_squares:build_least_squares",
        config=_C + "LeastSquaresConfig",
        family="least-squares",
        scores="critic",
    ),
    LossSpec(
        name="wasserstein",
        summary="WGAN critic loss E[D(G(z))] - E[D(x)]; needs a Lipschitz critic (clipping).",
        description="D: E[D(G(z))] - E[D(x)]; G: -E[D(G(z))]. The loss does not clip: the "
        "architecture's Discriminator.constrain does (weight clipping 0.01 in the paper).",
        paper="Arjovsky et al. 2017, Wasserstein GAN",
        builder=_M + "wasserstein:build_wasserstein",
        family="wasserstein",
        scores="critic",
    ),
    LossSpec(
        name="wasserstein-gp",
        summary="WGAN-GP: WGAN loss + 10 * E[(||grad D(x_hat)||_2 - 1)^2], eps drawn per sample.",
        description="x_hat = eps*x + (1-eps)*G(z), eps ~ U[0,1] once per sample; the gradient "
        "norm is over all non-batch dims. Use a critic without BatchNorm.",
        paper="Gulrajani et al. 2017, Improved Training of Wasserstein GANs",
        builder=_M + "wasserstein:build_wasserstein_gp",
        config=_C + "WassersteinGPConfig",
        family="wasserstein",
        scores="critic",
        tags=("penalty",),
    ),
    LossSpec(
        name="hinge",
        summary="Hinge loss: D E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; G -E[D(G(z))].",
        description="The adversarial loss of SNGAN, SAGAN and BigGAN.",
        paper="Lim & Ye 2017, Geometric GAN; Miyato et al. 2018, Spectral Normalization for GANs",
        builder=_M + "hinge:build_hinge",
        family="hinge",
        scores="critic",
    ),
    LossSpec(
        name="relativistic-average",
        summary="RaGAN (BCE form): scores taken relative to the other batch's mean score.",
        description="D: -E[log sig(C(x) - E C(G(z)))] - E[log(1 - sig(C(G(z)) - E C(x)))]; G: "
        "the same with real and fake swapped, so G's loss needs the real batch's scores.",
        paper="Jolicoeur-Martineau 2018, The relativistic discriminator: a key element missing "
        "from standard GAN",
        builder=_M + "relativistic:build_relativistic_average",
        family="relativistic",
        scores="critic",
    ),
    LossSpec(
        name="r1",
        summary="Non-saturating loss + R1 penalty gamma/2 E[||grad D(x)||^2] on real data.",
        description=(
            "gamma = 10 by default. Makes the Dirac-GAN converge (Mescheder 2018). "
            "interval K > 1 takes it lazily (StyleGAN2): every K-th D update, times K."
        ),
        paper="Mescheder et al. 2018, Which Training Methods for GANs do actually Converge?",
        builder=_M + "penalties:build_r1",
        config=_C + "R1Config",
        family="penalty",
        scores="logits",
        tags=("penalty",),
    ),
    LossSpec(
        name="dragan",
        summary="Non-saturating loss + DRAGAN penalty 10 * E[(||grad D(x~)|| - 1)^2] near real data.",
        description="x~ = x + alpha * (x_p - x), x_p = x + 0.5 * std(x) * U[0,1) noise, alpha ~ "
        "U[0,1] per sample (the perturbation of the widely used reference code).",
        paper="Kodali et al. 2017, On Convergence and Stability of GANs",
        builder=_M + "penalties:build_dragan",
        config=_C + "DraganConfig",
        family="penalty",
        scores="logits",
        tags=("penalty",),
    ),
    LossSpec(
        name="feature-matching",
        summary="Feature matching: G matches the batch mean of D's penultimate features.",
        description="D: BCE (non-saturating) on scores; G: ||E f(x) - E f(G(z))||_2^2 with f "
        "D's penultimate features. G's loss takes DiscriminatorOutput objects "
        "(uses_features = True).",
        paper="Salimans et al. 2016, Improved Techniques for Training GANs",
        builder=_M + "feature_matching:build_feature_matching",
        family="feature",
        scores="logits",
        tags=("features",),
    ),
]
"""Every built-in loss (listings sort them by name)."""
