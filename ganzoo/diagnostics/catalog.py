"""Specs of the built-in diagnostics entries. Imported by the built-in plugin; must not import torch.

Thresholds, their sources and the benchmark that measures each detector: docs/diagnostics.md.
"""

from __future__ import annotations

from ganzoo.specs import DiagnosticSpec, Spec

_M = "ganzoo.diagnostics."
_C = "ganzoo.diagnostics.configs:"  # the thresholds' defaults live there, and only there

ENTRIES: list[Spec] = [
    DiagnosticSpec(
        name="mode-collapse",
        summary="Labelled mode coverage: modes hit and KL(class histogram || uniform) of samples.",
        description="Labels each sample grid and 1,000 fresh samples of the run's G (the MNIST "
        "classifier for mnist/stacked-mnist, the nearest mode within 3 sigma for "
        "ring-8/grid-25). Full collapse (critical): one check covers <= max(1, 10% of M) modes. "
        "Partial collapse (warning): over >= 25*M labelled samples (a window of the latest "
        "checks when one has fewer) a mode gets < 10% of its uniform share, or "
        "KL(hist || uniform) > 0.5 "
        "(collapse to k of M gives ln(M/k); healthy trained MNIST models measure 0.05-0.22).",
        paper="Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)",
        builder=_M + "mode_collapse:build",
        config=_C + "ModeCollapseConfig",
        detects="mode-collapse",
        enabled_by_default=True,
        signals=("samples", "classifier labels / nearest mode"),
        tags=("samples", "labelled"),
    ),
    DiagnosticSpec(
        name="sample-diversity",
        summary="Label-free collapse: sample spread, near-duplicates and coverage vs real data.",
        description="On each sample grid against an equally large real batch (raw points or "
        "pixels): diversity ratio (mean pairwise distance, fake / real), birthday-paradox "
        "near-duplicates, and k=5 coverage. Full collapse (critical): ratio < 0.1 or > 50% "
        "duplicates. Partial (warning): ratio < 0.5, or coverage < 0.9 on data of <= 16 "
        "dimensions (2-D mixtures; healthy 0.95-0.98) and < 0.6 in pixel space (healthy "
        "pretrained MNIST models 0.67-0.98).",
        paper="Arora & Zhang 2017 (birthday paradox); Naeem et al. 2020 (density and coverage)",
        builder=_M + "diversity:build",
        config=_C + "SampleDiversityConfig",
        detects="mode-collapse",
        enabled_by_default=True,
        signals=("samples", "real batch"),
        tags=("samples", "label-free"),
    ),
    DiagnosticSpec(
        name="sample-quality",
        summary="Share of samples near the data (3 sigma of a mode; k-NN precision) far below "
        "real.",
        description="On each sample grid: the share of samples near the data (2-D mixtures: "
        "within 3 sigma of a mode, the PacGAN high-quality fraction; MNIST/Stacked MNIST: "
        "improved precision, k=3, in the MNIST classifier's features against 1,000 real "
        "images; other data: no verdict). Low when the 99% Wilson upper bound of that share "
        "is below 0.25x the real-vs-real level; a warning after 2 low checks in a row from "
        "step 1,000 on.",
        paper="Kynkaanniemi et al. 2019 (improved precision and recall); Lin et al. 2018 "
        "(PacGAN, high-quality samples)",
        builder=_M + "quality:build",
        config=_C + "SampleQualityConfig",
        detects="sample-quality",
        enabled_by_default=True,
        signals=("samples", "real batch", "MNIST classifier features / mode centres"),
        tags=("samples", "quality"),
    ),
    DiagnosticSpec(
        name="vanishing-gradient",
        summary="G's gradient norm < 1% of its running median, or D(G(z)) < 0.01 if the loss "
        "saturates.",
        description="Per record: G's total and per-layer gradient norms against their running "
        "median over 50 records (collapse below 1%: critical), and mean D(G(z)) < 0.01 under the "
        "minimax loss or any loss whose spec declares a saturating G objective on logits "
        "(warning; critical after 6 records), each for 2 records in a row. Suggests the "
        "non-saturating loss.",
        paper="Goodfellow et al. 2014; Arjovsky & Bottou 2017, Towards Principled Methods for "
        "Training GANs",
        builder=_M + "vanishing:build",
        config=_C + "VanishingGradientConfig",
        detects="vanishing-gradient",
        enabled_by_default=True,
        signals=("grad_norm_g", "grad_norms_g", "p_fake", "saturating", "scores"),
        tags=("records",),
    ),
    DiagnosticSpec(
        name="exploding-gradient",
        summary="Non-finite gradient norms, or norms above 100 and 10x their recent peak.",
        description="Per record, for G and D: a non-finite norm is critical at once; a norm above "
        "100 (ganhacks) and 10x the highest of its last 50 accepted norms for 2 records is a "
        "warning, above 100x critical.",
        paper="Chintala et al. 2016, ganhacks (How to Train a GAN)",
        builder=_M + "exploding:build",
        config=_C + "ExplodingGradientConfig",
        detects="exploding-gradient",
        enabled_by_default=True,
        signals=("grad_norm_g", "grad_norm_d"),
        tags=("records",),
    ),
    DiagnosticSpec(
        name="d-overpowering",
        summary="D wins outright: accuracy >= 0.9, ADA r_t >= 0.8, D(G(z)) <= 0.1 (logits), "
        "sustained.",
        description="Per record after 200 steps: D accuracy (threshold 0) >= 0.9 and ADA's "
        "r_t = E[sign D(x_real)] >= 0.8 (ADA targets 0.6) and, when the loss declares its "
        "scores logits, mean D(G(z)) <= 0.1 (healthy DCGAN: 0.2-0.4), for 5 records in a row "
        "(warning; critical after 15 records or at accuracy >= 0.97).",
        paper="Karras et al. 2020 (StyleGAN2-ADA, r_t); Chintala et al. 2016 (ganhacks)",
        builder=_M + "imbalance:build",
        config=_C + "DOverpoweringConfig",
        detects="d-overpowering",
        enabled_by_default=True,
        signals=("d_accuracy", "r_t", "loss_d", "p_fake", "scores"),
        tags=("records", "imbalance"),
    ),
    DiagnosticSpec(
        name="oscillation",
        summary="Non-convergence: D(G(z)) or G's loss cycles without damping (sinusoid fit).",
        description="Over the last 16-48 records, the linearly detrended series of D's mean "
        "score on fakes and of G's loss: the best-fitting sinusoid (period 4 records to half the "
        "records in view, so >= 2 cycles) explains >= 80% of the variance, with the late half's "
        "amplitude >= half the early half's and >= 0.05, in two analyses in a row (warning). "
        "Off by default.",
        paper="Mescheder et al. 2018, Which Training Methods for GANs do actually Converge?",
        builder=_M + "oscillation:build",
        config=_C + "OscillationConfig",
        detects="oscillation",
        enabled_by_default=False,
        signals=("d_fake", "loss_g"),
        tags=("records", "non-convergence"),
    ),
]
