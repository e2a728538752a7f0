"""The plugin module named by the ``ganzoo`` entry point.

It registers ``pacgan``,
``total-variation`` and ``reverse-kl``.

It imports no torch; the model code in ``ganzoo_pacgan.model`` is imported only when
``ganzoo.build("pacgan")`` (or ``ganzoo train pacgan``) needs it, the loss in
``ganzoo_pacgan.losses`` only when a run trains with it, the metric in
``ganzoo_pacgan.metric`` only when ``ganzoo evaluate --metrics reverse-kl`` runs it.
"""

from __future__ import annotations

from collections.abc import Callable

from ganzoo import hookimpl
from ganzoo.specs import ArchitectureSpec, LossSpec, MetricSpec, OptimizerSettings


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    """Register the ``pacgan`` architecture."""
    register(
        ArchitectureSpec(
            name="pacgan",
            summary="PacGAN: D scores packs of m samples (default 2), against mode collapse.",
            description="m samples are concatenated along the channel (images) or feature "
            "(points) axis, so D returns N/m scores for N samples; batch sizes must be "
            "multiples of m. Points: G 4x400 ReLU + BatchNorm, D 3x200 maxout (5 pieces), the "
            "paper's 2-D setup. Images: DCGAN networks (PacDCGAN). Optimizer: DCGAN's Adam.",
            paper="Lin et al. 2018, PacGAN: The power of two samples in generative adversarial "
            "networks, arXiv:1712.04086",
            builder="ganzoo_pacgan.model:build",
            config="ganzoo_pacgan.config:PacGANConfig",
            modalities=("image", "points"),
            default_loss="non-saturating",
            optimizer=OptimizerSettings(name="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999)),
            default_data="ring-8",
            tags=("packing", "mode-collapse"),
        )
    )


@hookimpl
def register_losses(register: Callable[[LossSpec], None]) -> None:
    """Register the ``total-variation`` loss: a critic whose G objective saturates."""
    register(
        LossSpec(
            name="total-variation",
            summary="f-GAN total-variation objective: D bounds TV(P, Q), PacGAN's distance.",
            description="D maximises E[tanh(V(x))/2] - E[tanh(V(G(z)))/2] <= TV(P, Q); G "
            "maximises E[tanh(V(G(z)))/2]. V is a critic value (tanh(V)/2 is the bound's "
            "witness, not a probability) and G's gradient carries sech^2(V(G(z))), which "
            "vanishes when D confidently rejects the fakes: the objective saturates.",
            paper="Nowozin et al. 2016, f-GAN (arXiv:1606.00709); Lin et al. 2018, PacGAN",
            builder="ganzoo_pacgan.losses:build",
            family="f-divergence",
            scores="critic",
            saturating=True,
            tags=("packing",),
        )
    )


@hookimpl
def register_metrics(register: Callable[[MetricSpec], None]) -> None:
    """Register the ``reverse-kl`` metric (PacGAN's mode-collapse measure on 2-D mixtures)."""
    register(
        MetricSpec(
            name="reverse-kl",
            summary="KL(generated mode histogram || uniform) on 2-D mixtures, PacGAN's measure.",
            description="Each generated point is assigned to its nearest mode centre; the KL of "
            "that histogram to the uniform one is 0 for an even spread and ln(K/k) for an even "
            "collapse onto k of K modes. Not part of any default set: ask for it by name.",
            paper="Lin et al. 2018, PacGAN: The power of two samples in generative adversarial "
            "networks, arXiv:1712.04086",
            builder="ganzoo_pacgan.metric:ReverseKL",
            modalities=("points",),
            needs=("modes",),
            outputs=("reverse_kl",),
            params={"reverse_kl_assignment": "nearest mode centre, every sample"},
            tags=("mode-collapse",),
        )
    )
