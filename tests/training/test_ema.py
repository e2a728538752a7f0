"""The EMA of G with BatchNorm (issue 14, item 5): what each ``ema_batchnorm`` mode keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.specs import DatasetSpec
from ganzoo.training.config import TrainConfig
from ganzoo.training.ema import EMAGenerator, batchnorm_layers
from ganzoo.training.loop import Trainer

SPEC = DatasetSpec(name="grey-28", summary="t", builder="a.b:c", shape=(1, 28, 28))


def _moved_pair() -> tuple[torch.nn.Module, torch.nn.Module]:
    """A dcgan G and a copy whose weights were moved (as the EMA's are, away from G's)."""
    torch.manual_seed(0)
    g = ganzoo.build("dcgan", data=SPEC, width=8, latent_dim=16).generator
    g.train()
    with torch.no_grad():  # some BatchNorm statistics of G's own
        for _ in range(3):
            g(g.sample_latent(32))
    return g


def test_recompute_estimates_the_emas_own_statistics_without_touching_g_or_the_rng() -> None:
    g = _moved_pair()
    ema = EMAGenerator(g, decay=0.5, batchnorm="recompute", bn_batches=4, bn_batch_size=16)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    ema.update(0)  # the EMA's weights now differ from G's, its statistics are stale
    g_state = {k: v.clone() for k, v in g.state_dict().items()}
    first = batchnorm_layers(ema.module)[0]
    means: list[torch.Tensor] = []
    hook = first.register_forward_pre_hook(
        lambda m, args: means.append(args[0].mean(dim=(0, 2, 3)).clone())
    )
    rng = torch.get_rng_state()
    module = ema.ready()
    hook.remove()
    assert torch.equal(torch.get_rng_state(), rng)  # the run's random stream is untouched
    assert len(means) == 4
    assert torch.allclose(first.running_mean, torch.stack(means).mean(0), atol=1e-5)
    assert not module.training and not first.training
    for k, v in g.state_dict().items():
        assert torch.equal(v, g_state[k]), k
    # nothing moved since: used again without another estimate
    means.clear()
    hook = first.register_forward_pre_hook(lambda m, args: means.append(args[0]))
    ema.ready()
    hook.remove()
    assert not means


def test_copy_and_average_modes() -> None:
    g = _moved_pair()
    copied = EMAGenerator(g, decay=0.9, batchnorm="copy")
    averaged = EMAGenerator(g, decay=0.9, batchnorm="average")
    bn_g, bn_c, bn_a = (batchnorm_layers(m)[0] for m in (g, copied.module, averaged.module))
    old = bn_a.running_mean.clone()
    with torch.no_grad():
        g(g.sample_latent(32))  # G's statistics move
    copied.update(0)
    averaged.update(0)
    assert torch.equal(bn_c.running_mean, bn_g.running_mean)
    assert torch.allclose(bn_a.running_mean, 0.9 * old + 0.1 * bn_g.running_mean, atol=1e-6)


def test_recomputed_statistics_match_the_emas_activations_better_than_gs() -> None:
    # eval-mode samples of the EMA with its own statistics are close to what the same weights
    # give with batch statistics; with G's statistics copied they are not
    g = _moved_pair()
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    emas = {m: EMAGenerator(g, 0.5, batchnorm=m, bn_batches=8) for m in ("copy", "recompute")}
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * 0.3)
        for e in emas.values():
            e.update(0)
        z = g.sample_latent(256, generator=torch.Generator().manual_seed(1))
        module = emas["recompute"].module
        module.train()
        target = module(z)  # the EMA's weights with batch statistics
        module.eval()
        error = {m: (e.ready()(z) - target).abs().mean().item() for m, e in emas.items()}
    assert error["recompute"] < 0.5 * error["copy"], error


def test_warmup_decay() -> None:
    g = _moved_pair()
    warm = EMAGenerator(g, decay=0.999, warmup=True)
    assert warm.decay_at(0) == pytest.approx(0.1)
    assert warm.decay_at(90) == pytest.approx(0.91)
    assert warm.decay_at(10**6) == 0.999
    assert EMAGenerator(g, decay=0.999).decay_at(0) == 0.999


def test_before_its_start_the_ema_is_a_copy_of_g() -> None:
    g = _moved_pair()
    late = EMAGenerator(g, decay=0.99, start=5, warmup=True)
    assert late.decay_at(4) == 0.0 and late.decay_at(5) == pytest.approx(0.1)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(0.1)
    late.update(4)
    for a, b in zip(late.module.parameters(), g.parameters(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="ema is not set"):
        TrainConfig(architecture="dcgan", ema_start=5)


def test_a_run_without_an_ema_extended_with_one_is_the_fresh_run_bit_for_bit(
    tmp_path: Path,
) -> None:
    from ganzoo.training.config import make_train_config
    from ganzoo.zoo.seeds import extends

    base = {
        "architecture": "dcgan", "data": "mnist", "data_options": {"limit": 128},
        "architecture_options": {"width": 8, "latent_dim": 16}, "batch_size": 16,
        "diagnostics": [], "checkpoint_every": 3, "sample_every": 100, "channels_last": False,
    }  # fmt: skip
    ema = {"ema": 0.9, "ema_start": 3}
    fresh = Trainer.create(TrainConfig(**base, steps=6, out=str(tmp_path / "f"), **ema))
    fresh.run()
    short_cfg = TrainConfig(**base, steps=3, out=str(tmp_path / "s"))
    Trainer.create(short_cfg).run()
    longer = make_train_config({**short_cfg.model_dump(), "steps": 6, **ema})
    assert extends(short_cfg, longer)
    assert not extends(short_cfg, make_train_config({**longer.model_dump(), "ema_start": 2}))
    resumed = Trainer.create(longer, resume=True, allow_changes=True)
    resumed.run()
    assert fresh.ema is not None and resumed.ema is not None
    for name in ("G", "D"):
        a, b = getattr(fresh, name).state_dict(), getattr(resumed, name).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    a, b = fresh.ema.state_dict(), resumed.ema.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(
        resumed.ema.state_dict()["net.0.weight"], resumed.G.state_dict()["net.0.weight"]
    )


@pytest.mark.parametrize("mode", ["recompute", "average", "copy"])
def test_checkpoint_holds_the_ema_and_the_sample_grid_uses_it(mode: str, tmp_path: Path) -> None:
    cfg = TrainConfig(
        architecture="dcgan", data="mnist", data_options={"limit": 128},
        architecture_options={"width": 8, "latent_dim": 16}, batch_size=16, steps=3,
        out=str(tmp_path / "r"), diagnostics=[], ema=0.9, ema_batchnorm=mode,
    )  # fmt: skip
    t = Trainer.create(cfg)
    t.run()
    from ganzoo.weights import read_tensors

    saved = read_tensors(
        tmp_path / "r" / "checkpoints" / "step-0000003" / "ema_generator.safetensors"
    )
    ema = t.ema
    assert ema is not None
    for k, v in ema.state_dict().items():
        assert torch.equal(saved[k], v), k
    g_bn, e_bn = batchnorm_layers(t.G)[0], batchnorm_layers(ema)[0]
    same = torch.equal(g_bn.running_mean, e_bn.running_mean)
    assert same == (mode == "copy")


def test_load_ema_replaces_the_emas_weights_and_reestimates_its_statistics(
    tmp_path: Path,
) -> None:
    """`AlternatingUpdates.load_ema` (fine-tuning's start): the EMA takes the given weights
    strictly, its BatchNorm statistics are recomputed before its next use, and a run without an
    EMA says how to keep one."""
    from ganzoo.errors import ConfigError, WeightsError
    from ganzoo.weights import module_tensors

    options = dict(
        architecture="dcgan", data="mnist", data_options={"limit": 64},
        architecture_options={"width": 8, "latent_dim": 16}, batch_size=16, steps=1,
        diagnostics=[],
    )  # fmt: skip
    t = Trainer.create(TrainConfig(**options, ema=0.9, out=str(tmp_path / "a")))
    assert t.updates.keeps_ema and t.ema is not None  # its statistics estimated once: not stale
    source = _moved_pair()  # G-shaped, other weights and BatchNorm statistics of its own
    tensors = module_tensors(source)
    t.updates.load_ema(tensors, "test weights")
    ema = t.ema
    assert ema is not None
    own = ema.state_dict()
    for name, p in source.named_parameters():
        assert torch.equal(own[name], p), name
    src_bn, ema_bn = batchnorm_layers(source)[0], batchnorm_layers(ema)[0]
    assert not torch.equal(src_bn.running_mean, ema_bn.running_mean)  # re-estimated, not loaded
    bad = {k: v for k, v in tensors.items() if not k.endswith("running_var")}
    with pytest.raises(WeightsError, match="missing keys"):
        t.updates.load_ema(bad, "test weights")
    t.close()
    plain = Trainer.create(TrainConfig(**options, out=str(tmp_path / "b")))
    assert not plain.updates.keeps_ema
    with pytest.raises(ConfigError, match=r"keeps none; keep one with --ema 0.999"):
        plain.updates.load_ema(tensors, "test weights")
    plain.close()
