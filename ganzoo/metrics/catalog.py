"""Specs of the built-in metrics and feature extractors (torch-free).

Imported by the built-in plugin (which
registers them exactly as a third party would); must not import torch.

The pinned protocol of every built-in metric lives here, in ``params``: the metric classes read
their k, bins and thresholds from the spec, so ``ganzoo info prd`` shows what runs. Default sets
follow from ``default_on``/``fallback``: MNIST ``fid, score, modes, prd, dc, ndb``; Stacked MNIST
``fid, modes``; 2-D mixtures ``mixture, prd, dc``; any other data ``ndb``.
"""

from __future__ import annotations

from ganzoo.specs import ExtractorSpec, MetricSpec

MNIST_CLASSIFIER_SHA256 = "9e61dd054b16ceba97fe6c39e1c11e4ceb5d5fdc4462faf07affed45b6cc531b"
"""sha256 of ``ganzoo/metrics/weights/mnist_classifier.safetensors``, checked on every load."""

MNIST_DATA = ("mnist", "stacked-mnist")

EXTRACTORS: list[ExtractorSpec] = [
    ExtractorSpec(
        name="mnist-classifier",
        summary="The shipped MNIST CNN (99.6% test accuracy): 128-d features, probabilities, labels.",
        description="conv32-pool-conv64-conv64-pool-conv128-pool-FC128-FC10, trained by "
        "tools/train_classifier.py. Features are the 128-d penultimate layer. On Stacked MNIST "
        "each channel is classified as one digit: the three 128-d features are concatenated "
        "(384-d) and the label is 100*red + 10*green + blue (no probabilities).",
        builder="ganzoo.metrics.classifier:MNISTFeatures",
        modalities=("image",),
        datasets=MNIST_DATA,
        sha256=MNIST_CLASSIFIER_SHA256,
        outputs=("features", "probs", "labels"),
        protocol_name="ganzoo.metrics.MNISTClassifier (128-d features)",
        tags=("classifier",),
    ),
]

METRICS: list[MetricSpec] = [
    MetricSpec(
        name="fid",
        summary="Frechet distance of Gaussians fitted to the MNIST classifier's features.",
        description="|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)) in float64, as TF-GAN's "
        "mnist_frechet_distance. Lower is better; biased upwards at small n.",
        paper="Heusel et al. 2017, GANs trained by a two time-scale update rule converge to a "
        "local Nash equilibrium",
        builder="ganzoo.metrics.fid:FrechetDistance",
        modalities=("image",),
        extractor="mnist-classifier",
        outputs=("fid",),
        min_samples=2,
        min_samples_why="a covariance",
        default_on=("image",),
        order=10,
    ),
    MetricSpec(
        name="score",
        summary="MNIST score: the Inception score with the MNIST classifier, in [1, 10].",
        description="exp(E_x KL(p(y|x) || p(y))), one split, as TF-GAN's mnist_score. Higher is "
        "better: confident predictions spread evenly over the 10 digits.",
        paper="Salimans et al. 2016, Improved techniques for training GANs",
        builder="ganzoo.metrics.score:ClassifierScore",
        modalities=("image",),
        datasets=("mnist",),
        extractor="mnist-classifier",
        outputs=("score",),
        default_on=("image",),
        order=20,
    ),
    MetricSpec(
        name="modes",
        summary="Classes hit and KL(class histogram || uniform), by the MNIST classifier.",
        description="Each sample is classified (Stacked MNIST: 1,000 classes); modes = classes "
        "with at least modes_min_count samples, kl in nats (ln(C/k) for an even collapse onto k "
        "of C classes).",
        paper="Srivastava et al. 2017 (VEEGAN); Lin et al. 2018 (PacGAN)",
        builder="ganzoo.metrics.modes:ModeCoverage",
        modalities=("image",),
        extractor="mnist-classifier",
        needs=("classes",),
        outputs=("modes", "kl"),
        params={"modes_min_count": 1},
        default_on=("image",),
        order=30,
    ),
    MetricSpec(
        name="mixture",
        summary="2-D mixtures: modes covered and share of samples within 3 sigma of a mode.",
        description="A sample is high quality within mixture_threshold of its nearest mode; a "
        "mode is covered when at least mixture_min_count high-quality samples are nearest to it.",
        paper="Lin et al. 2018, PacGAN (published GAN on the ring: 6.3 modes, 98.2% HQ)",
        builder="ganzoo.metrics.mixture:MixtureModes",
        modalities=("points",),
        needs=("modes",),
        outputs=("modes", "hq_fraction"),
        params={"mixture_threshold": "3 sigma", "mixture_min_count": 1},
        default_on=("points",),
        order=35,
    ),
    MetricSpec(
        name="prd",
        summary="Improved precision and recall (k-NN manifolds, k = 3).",
        description="Classifier features on MNIST and Stacked MNIST, raw values elsewhere; the "
        "samples are compared with as many reference samples (equal set sizes).",
        paper="Kynkaanniemi et al. 2019, Improved precision and recall metric for assessing "
        "generative models",
        builder="ganzoo.metrics.manifold:PrecisionRecall",
        modalities=("image", "points"),
        extractor="mnist-classifier",
        raw_fallback=True,
        outputs=("precision", "recall"),
        params={"prd_k": 3},
        min_samples=4,
        min_samples_why="k+1 with k=3",
        default_on=("mnist", "points"),
        order=40,
    ),
    MetricSpec(
        name="dc",
        summary="Density and coverage (k-NN balls around real features, k = 5).",
        description="Classifier features on MNIST and Stacked MNIST, raw values elsewhere; the "
        "samples are compared with as many reference samples (equal set sizes).",
        paper="Naeem et al. 2020, Reliable fidelity and diversity metrics for generative models",
        builder="ganzoo.metrics.manifold:DensityCoverage",
        modalities=("image", "points"),
        extractor="mnist-classifier",
        raw_fallback=True,
        outputs=("density", "coverage"),
        params={"dc_k": 5},
        min_samples=6,
        min_samples_why="k+1 with k=5",
        default_on=("mnist", "points"),
        order=50,
    ),
    MetricSpec(
        name="ndb",
        summary="Number of statistically different bins (K = 100 k-means bins, alpha = 0.05).",
        description="K-means bins on the raw reference values (fitted once per reference set); "
        "a two-proportion z-test per bin. Matching distributions flag about alpha * K bins.",
        paper="Richardson & Weiss 2018, On GANs and GMMs",
        builder="ganzoo.metrics.bins:NumberOfDifferentBins",
        modalities=("image", "points"),
        outputs=("ndb", "ndb_fraction"),
        params={"ndb_bins": 100, "ndb_alpha": 0.05, "ndb_space": "raw values"},
        min_samples=200,
        min_samples_why="2*K with K=100 bins",
        default_on=("mnist",),
        fallback=True,
        order=60,
    ),
]
