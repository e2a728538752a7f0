"""Specs of the built-in architectures. Imported by the built-in plugin; must not import torch.

Each spec names its builder and config model by import string. The config model (in
``ganzoo.models.configs``) holds the paper's settings as its field defaults, the one place they
are written; ``optimizer`` is the paper's optimizer (deviations are stated in the description and
docs/architectures.md).
"""

from __future__ import annotations

from ganzoo.specs import DEFAULT_OPTIMIZER, ArchitectureSpec, OptimizerSettings, Spec

_M = "ganzoo.models."
_C = "ganzoo.models.configs:"

_DCGAN_ADAM = DEFAULT_OPTIMIZER  # Adam 2e-4, betas (0.5, 0.999), one D step per G step

ENTRIES: list[Spec] = [
    ArchitectureSpec(
        name="gan",
        summary="Vanilla GAN: fully connected G and D (maxout, dropout); images or 2-D points.",
        description="Images: the paper's MNIST setup, G 1200-1200 ReLU with a tanh output, D "
        "240-240 maxout x5 with dropout 0.5. Points: G 128x3 ReLU with BatchNorm (as PacGAN's "
        "GAN baseline; without it G collapses onto one mode of ring-8) and a linear output, D "
        "128-128 maxout x5 without dropout. The paper trained with SGD + momentum and a decaying "
        "learning rate; the default here is Adam 2e-4 (0.5, 0.999), which OptimizerSettings "
        "can express.",
        paper="Goodfellow et al. 2014, Generative Adversarial Nets, arXiv:1406.2661",
        builder=_M + "gan:build",
        config=_C + "MLPConfig",
        modalities=("image", "points"),
        default_loss="non-saturating",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("mlp", "classic"),
    ),
    ArchitectureSpec(
        name="cgan",
        summary="Conditional GAN: MLPs with the one-hot class fed to both G and D.",
        description="G: z -> 200 ReLU, y -> 1000 ReLU, joined in 1200 ReLU, tanh output. D: "
        "x -> 240 maxout, y -> 50 maxout, joined in 240 maxout (4 pieces), dropout 0.5. The "
        "paper used SGD + momentum; the default here is Adam 2e-4 (0.5, 0.999).",
        paper="Mirza & Osindero 2014, Conditional Generative Adversarial Nets, arXiv:1411.1784",
        builder=_M + "cgan:build",
        config=_C + "CGANConfig",
        modalities=("image",),
        conditional=True,
        default_loss="non-saturating",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("mlp", "conditional"),
    ),
    ArchitectureSpec(
        name="dcgan",
        summary="DCGAN: strided (transposed) convolutions, BatchNorm, ReLU/LeakyReLU, tanh.",
        description="No pooling; BatchNorm in G and D except G's output and D's input layers; "
        "weights N(0, 0.02). The paper's ladder sized from the data: G projects z to 4x4 and "
        "doubles it with stride-2 transposed convolutions (32 px: 3, 64 px: 4 as in the paper, "
        "128 px: 5; 28 px: 7x7 and 2), D mirrors it; any side of 4-7 px doubled, 16-256 px. "
        "`width` (64) sets the channels.",
        paper="Radford et al. 2016, Unsupervised Representation Learning with Deep "
        "Convolutional GANs, arXiv:1511.06434",
        builder=_M + "dcgan:build",
        config=_C + "ConvConfig",
        default_loss="non-saturating",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("conv", "classic"),
    ),
    ArchitectureSpec(
        name="wgan",
        summary="Wasserstein GAN: DCGAN-style critic, weight clipping to 0.01, RMSprop, 5 critic steps.",
        description="The critic's output is linear (no sigmoid); BatchNorm is kept in the "
        "critic as in the paper's DCGAN experiments. `constrain()` clips every critic "
        "parameter to [-clip, clip] after each critic step.",
        paper="Arjovsky et al. 2017, Wasserstein GAN, arXiv:1701.07875",
        builder=_M + "wgan:build",
        config=_C + "WGANConfig",
        default_loss="wasserstein",
        compatible_losses=("wasserstein",),
        optimizer=OptimizerSettings(name="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5),
        default_data="mnist",
        tags=("conv", "wasserstein"),
    ),
    ArchitectureSpec(
        name="wgan-gp",
        summary="WGAN-GP: BatchNorm-free critic (LayerNorm), gradient penalty 10, Adam (0, 0.9).",
        description="DCGAN-style G; the critic uses LayerNorm (GroupNorm, one group) instead "
        "of BatchNorm, since the penalty is per sample. The penalty (lambda 10) is part of "
        "the `wasserstein-gp` loss.",
        paper="Gulrajani et al. 2017, Improved Training of Wasserstein GANs, arXiv:1704.00028",
        builder=_M + "wgan_gp:build",
        config=_C + "WGANGPConfig",
        default_loss="wasserstein-gp",
        optimizer=OptimizerSettings(
            name="adam", lr_g=1e-4, lr_d=1e-4, betas=(0.0, 0.9), n_critic=5
        ),
        default_data="mnist",
        tags=("conv", "wasserstein", "penalty"),
    ),
    ArchitectureSpec(
        name="lsgan",
        summary="Least-squares GAN: DCGAN networks trained with the least-squares loss.",
        description="Networks as `dcgan`; D's linear scores go into the least-squares loss "
        "(a=0, b=c=1). Adam 2e-4, beta1 0.5.",
        paper="Mao et al. 2017, Least Squares Generative Adversarial Networks, arXiv:1611.04076",
        builder=_M + "lsgan:build",
        config=_C + "ConvConfig",
        default_loss="least-squares",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("conv",),
    ),
    ArchitectureSpec(
        name="sngan",
        summary="SNGAN: spectral normalisation on every D layer, hinge loss.",
        description="DCGAN-style G with BatchNorm; D without BatchNorm, spectral norm "
        "(torch parametrizations) on every conv and linear layer. Optimizer: the paper's "
        "setting C (Adam 2e-4, betas (0.5, 0.999), one D step); Mimicry and later work use "
        "betas (0.0, 0.9) with 5 D steps for ResNet networks.",
        paper="Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks, "
        "arXiv:1802.05957",
        builder=_M + "sngan:build",
        config=_C + "SNGANConfig",
        default_loss="hinge",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("conv", "spectral-norm"),
    ),
    ArchitectureSpec(
        name="acgan",
        summary="AC-GAN: class-conditional G, D with an auxiliary classifier head.",
        description="G: DCGAN fed z and the one-hot class. D: DCGAN with a class-logit head "
        '(`aux["class_logits"]`); its cross-entropy against the labels, on real and fake '
        "batches, is the auxiliary loss added to D's and G's losses.",
        paper="Odena et al. 2017, Conditional Image Synthesis with Auxiliary Classifier GANs, "
        "arXiv:1610.09585",
        builder=_M + "acgan:build",
        config=_C + "ACGANConfig",
        conditional=True,
        default_loss="non-saturating",
        optimizer=_DCGAN_ADAM,
        default_data="mnist",
        tags=("conv", "conditional", "auxiliary"),
    ),
    ArchitectureSpec(
        name="infogan",
        summary="InfoGAN: latent codes (1 categorical x10, 2 continuous) recovered by a Q head.",
        description="Latent = 62 noise + one-hot 10-way code + 2 codes U[-1, 1]; D shares its "
        'trunk with a Q head (`aux["codes"]`). Auxiliary loss on fakes: cross-entropy on the '
        "category + 0.1 x squared error on the continuous codes. Adam: G 1e-3, D 2e-4, beta1 0.5.",
        paper="Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information "
        "Maximizing GANs, arXiv:1606.03657",
        builder=_M + "infogan:build",
        config=_C + "InfoGANConfig",
        default_loss="non-saturating",
        optimizer=OptimizerSettings(name="adam", lr_g=1e-3, lr_d=2e-4, betas=(0.5, 0.999)),
        default_data="mnist",
        tags=("conv", "auxiliary", "latent-codes"),
    ),
    ArchitectureSpec(
        name="sngan-resnet",
        summary="SNGAN's ResNets: BN-ReLU-upsample G blocks, spectral-norm residual D, hinge.",
        description="G: z -> linear -> 4x4 (6x6 at 48 px) -> one residual up block per "
        "doubling (BN, ReLU, nearest upsample, 3x3 conv, twice; 1x1 shortcut) -> BN, ReLU, "
        "3x3 conv, tanh. D: residual down blocks with spectral norm on every layer, ReLU, "
        "global sum pooling, linear. Up to 32 px the paper's CIFAR-10 nets (G 2*width, D "
        "width channels), from 48 px its STL-10/ImageNet nets. "
        "conditioning=projection: projection D and class-conditional BN (Miyato & Koyama "
        "2018). The paper's Adam (2e-4, betas (0, 0.9)) with 5 D steps per G step.",
        paper="Miyato et al. 2018, Spectral Normalization for Generative Adversarial Networks, "
        "arXiv:1802.05957; Miyato & Koyama 2018, cGANs with Projection Discriminator, "
        "arXiv:1802.05637",
        builder=_M + "sngan_resnet:build",
        config=_C + "SNGANResNetConfig",
        default_loss="hinge",
        optimizer=OptimizerSettings(
            name="adam", lr_g=2e-4, lr_d=2e-4, betas=(0.0, 0.9), n_critic=5
        ),
        default_data="mnist",
        tags=("resnet", "spectral-norm", "projection"),
    ),
    ArchitectureSpec(
        name="biggan",
        summary="BigGAN (small): hierarchical z + shared class embedding into conditional BN, "
        "projection D.",
        description="z is split into one chunk per G block plus one; each block's BatchNorms "
        "take [shared class embedding, z chunk] through linear maps. Spectral norm in G and "
        "D, orthogonal init, orthogonal regularisation of G (beta 1e-4) as G's regularizer, "
        "projection D, optional self-attention at one side, truncation at sampling "
        "(sample(truncation=t): z from N(0, 1) truncated to [-t, t]). Channel plan as "
        "sngan-resnet's with width = ch. Adam: G 5e-5, D 2e-4, betas (0, 0.999), 2 D steps "
        "(the paper's 128 px setting).",
        paper="Brock et al. 2019, Large Scale GAN Training for High Fidelity Natural Image "
        "Synthesis, arXiv:1809.11096",
        builder=_M + "biggan:build",
        config=_C + "BigGANConfig",
        conditional=True,
        default_loss="hinge",
        optimizer=OptimizerSettings(
            name="adam", lr_g=5e-5, lr_d=2e-4, betas=(0.0, 0.999), n_critic=2
        ),
        default_data="mnist",
        tags=("resnet", "spectral-norm", "conditional", "projection", "truncation"),
    ),
    ArchitectureSpec(
        name="stylegan2",
        summary="StyleGAN2: mapping network, modulated convs with noise, skip G, residual D, "
        "lazy R1.",
        description="G: 8-layer mapping z -> w (lr x0.01), a learnt constant, two "
        "modulated/demodulated 3x3 convs per resolution with per-pixel noise, ToRGB skips; "
        "style mixing (0.9) in training; w_avg for truncation (sample(truncation=psi)). "
        "D: residual blocks, minibatch stddev, conv, two linear layers. Non-saturating loss; "
        "D's regularizer is lazy R1 (gamma 10, every 16 D steps), G's lazy path length "
        "(weight 2, every 4 G steps). Output through tanh (the paper's is linear). Adam "
        "2e-3, betas (0, 0.99).",
        paper="Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN, "
        "arXiv:1912.04958",
        builder=_M + "stylegan2:build",
        config=_C + "StyleGAN2Config",
        default_loss="non-saturating",
        optimizer=OptimizerSettings(
            name="adam", lr_g=2e-3, lr_d=2e-3, betas=(0.0, 0.99), n_critic=1
        ),
        default_data="mnist",
        tags=("style", "modulated-conv", "truncation", "r1"),
    ),
]
