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

INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
"""sha256 of torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth`` (the FID Inception)."""
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
"""The file name torch-fidelity downloads the FID Inception weights as."""
INCEPTION_BYTES = 95_628_359
"""Its size in bytes, checked with the hash."""

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
    ExtractorSpec(
        name="inception-v3",
        summary="The FID Inception (torch-fidelity's port): 2048-d pool3 features and logits.",
        description="torch-fidelity's FeatureExtractorInceptionV3, the PyTorch port of the "
        "TensorFlow graph FID, KID and IS were defined with (2015-12-05). Any image data: samples "
        "in [-1, 1] become uint8 RGB (1 channel repeated) and are resized to 299x299 with "
        "TensorFlow 1.x's bilinear filter, as torch-fidelity does. features = pool3 (2048-d); "
        "logits = the 1008 logits without the final bias (torch-fidelity's Inception score "
        "layer). Weights: --inception-weights PATH, $GANZOO_INCEPTION_WEIGHTS, the torch hub "
        "cache, or torch-fidelity's download; sha256-checked. Needs torch-ganzoo[metrics].",
        paper="Szegedy et al. 2016, Rethinking the Inception architecture; Heusel et al. 2017",
        builder="ganzoo.metrics.inception:InceptionFeatures",
        config="ganzoo.metrics.configs:InceptionConfig",
        modalities=("image",),
        sha256=INCEPTION_SHA256,
        outputs=("features", "logits"),
        protocol_name="torch-fidelity InceptionV3 (FID Inception, TF 2015-12-05), pool3 2048-d",
        tags=("inception", "torch-fidelity"),
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
    MetricSpec(
        name="fid-inception",
        summary="FID: Frechet distance of Inception pool3 features (torch-fidelity), any images.",
        description="torch-fidelity's fid_features_to_statistics + fid_statistics_to_metric on "
        "the inception-v3 features of the samples and of all reference images; statistics in "
        "float64. Lower is better; biased upwards at small n (compare at the same n only).",
        paper="Heusel et al. 2017, GANs trained by a two time-scale update rule converge to a "
        "local Nash equilibrium",
        builder="ganzoo.metrics.standard:InceptionFID",
        modalities=("image",),
        extractor="inception-v3",
        outputs=("fid_inception",),
        params={"fid_features": "inception-v3 pool3 (2048-d)"},
        min_samples=2,
        min_samples_why="a covariance",
        order=110,
        tags=("inception",),
    ),
    MetricSpec(
        name="kid-inception",
        summary="KID: unbiased MMD^2 of Inception features, cubic kernel (torch-fidelity).",
        description="torch-fidelity's kid_features_to_metric: polynomial kernel "
        "(x.y / D + 1)^3, mean and std of the unbiased MMD^2 over 100 random subsets of 1,000 "
        "(fewer when a set is smaller: kid_subset_size_used), subsets drawn with seed 2020. "
        "Unbiased, so usable at small n; lower is better.",
        paper="Binkowski et al. 2018, Demystifying MMD GANs",
        builder="ganzoo.metrics.standard:InceptionKID",
        modalities=("image",),
        extractor="inception-v3",
        outputs=("kid", "kid_std"),
        params={
            "kid_subsets": 100,
            "kid_subset_size": 1000,
            "kid_degree": 3,
            "kid_gamma": "1/D",
            "kid_coef0": 1,
            "kid_rng_seed": 2020,
        },
        min_samples=2,
        min_samples_why="an unbiased MMD estimate",
        order=120,
        tags=("inception",),
    ),
    MetricSpec(
        name="is-inception",
        summary="Inception score of the samples (torch-fidelity), mean and std over 10 splits.",
        description="torch-fidelity's isc_features_to_metric on the inception-v3 logits (1008 "
        "classes, no final bias): exp(E_x KL(p(y|x) || p(y))) in each of 10 splits of the "
        "shuffled samples (seed 2020). Higher is better; the reference set is not used.",
        paper="Salimans et al. 2016, Improved techniques for training GANs",
        builder="ganzoo.metrics.standard:InceptionScore",
        modalities=("image",),
        extractor="inception-v3",
        outputs=("is", "is_std"),
        params={"is_splits": 10, "is_rng_seed": 2020, "is_logits": "logits_unbiased (1008)"},
        min_samples=10,
        min_samples_why="one per split, 10 splits",
        order=130,
        tags=("inception",),
    ),
    MetricSpec(
        name="prd-inception",
        summary="Improved precision and recall on Inception features, k = 3 (torch-fidelity).",
        description="torch-fidelity's prc_features_to_metric (k-NN manifolds of pool3 features); "
        "the samples are compared with as many reference samples (equal set sizes).",
        paper="Kynkaanniemi et al. 2019, Improved precision and recall metric for assessing "
        "generative models",
        builder="ganzoo.metrics.standard:InceptionPrecisionRecall",
        modalities=("image",),
        extractor="inception-v3",
        outputs=("precision_inception", "recall_inception"),
        params={"prd_k": 3},
        min_samples=4,
        min_samples_why="k+1 with k=3",
        order=140,
        tags=("inception",),
    ),
    MetricSpec(
        name="dc-inception",
        summary="Density and coverage on Inception features, k = 5.",
        description="ganzoo's density_coverage (torch-fidelity has none) on pool3 features; the "
        "samples are compared with as many reference samples (equal set sizes).",
        paper="Naeem et al. 2020, Reliable fidelity and diversity metrics for generative models",
        builder="ganzoo.metrics.standard:InceptionDensityCoverage",
        modalities=("image",),
        extractor="inception-v3",
        outputs=("density_inception", "coverage_inception"),
        params={"dc_k": 5},
        min_samples=6,
        min_samples_why="k+1 with k=5",
        order=150,
        tags=("inception",),
    ),
]
