"""Augmentation of D's inputs (issue 14, item 4): DiffAugment and ADA.

What the transforms do, that they are differentiable, ADA's adjustment speed (0 -> 1 in 500k
images), that the records' r_t and ADA's r_t are the same number from the same D outputs, that a
run with ADA resumes bit for bit, that every image architecture trains with either, and that
point data is refused in one line.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.data.tensor_data import TensorData
from ganzoo.errors import ConfigError
from ganzoo.events import StepRecord
from ganzoo.specs import DatasetSpec
from ganzoo.training.augment import AdaptiveAugment, DiffAugment, build_augment, sign_terms
from ganzoo.training.batches import Batches
from ganzoo.training.callbacks import Callback
from ganzoo.training.config import TrainConfig, make_train_config
from ganzoo.training.loop import Trainer
from ganzoo.training.optim import make_optimizers
from ganzoo.training.updates import STATS, AlternatingUpdates

DCGAN = {
    "architecture": "dcgan",
    "data": "mnist",
    "data_options": {"limit": 256},
    "architecture_options": {"width": 8, "latent_dim": 16},
    "batch_size": 16,
    "log_every": 2,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
}
ONLY = dict.fromkeys(
    ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac", "brightness", "contrast",
     "hue", "saturation"),
    0,
)  # fmt: skip


def only(name: str, **kw: float) -> AdaptiveAugment:
    """ADA with one transform on, at p = 1."""
    return AdaptiveAugment(p=1.0, adjust=False, **{**ONLY, name: 1, **kw})


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# ----------------------------------------------------------------------------- DiffAugment
def test_diffaugment_is_differentiable_and_changes_every_image() -> None:
    x = (torch.rand(8, 3, 16, 16) * 2 - 1).requires_grad_(True)
    y = DiffAugment()(x)
    assert y.shape == x.shape
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(not torch.equal(a, b) for a, b in zip(y.detach(), x.detach(), strict=True))


def test_diffaugment_translation_moves_pixels_and_cutout_blanks_a_square() -> None:
    x = torch.rand(16, 1, 16, 16) + 1  # no zeros of its own
    moved = DiffAugment("translation")(x)
    # every output pixel is an input pixel of its image or the zero padding
    for a, b in zip(moved, x, strict=True):
        values = set(b.flatten().tolist()) | {0.0}
        assert set(a.flatten().tolist()) <= values
    assert any(not torch.equal(a, b) for a, b in zip(moved, x, strict=True))
    cut = DiffAugment("cutout")(x)
    zeros = (cut == 0).flatten(1).sum(1)
    assert zeros.max() == 64 and zeros.min() > 0  # an 8x8 square, clipped at the border
    kept = cut != 0
    assert torch.equal(cut[kept], x[kept])


def test_diffaugment_policy_is_checked() -> None:
    assert DiffAugment(" color , cutout").policy == ("color", "cutout")
    with pytest.raises(ConfigError, match="unknown flips"):
        DiffAugment("color,flips")
    with pytest.raises(ConfigError, match="empty"):
        DiffAugment("")


# ----------------------------------------------------------------------------- ADA's pipeline
def test_ada_at_p_zero_is_the_identity() -> None:
    x = torch.rand(8, 3, 16, 16) * 2 - 1
    assert torch.allclose(AdaptiveAugment(p=0.0)(x), x, atol=1e-6)


def test_ada_flips_rotations_and_integer_translations_move_whole_pixels() -> None:
    img = torch.arange(64.0).view(1, 1, 8, 8).repeat(32, 1, 1, 1)
    seen = set()
    for out in only("xflip")(img)[:, 0]:
        match = [k for k, v in {"id": img[0, 0], "flip": img[0, 0].flip(-1)}.items()
                 if torch.allclose(out, v, atol=1e-4)]  # fmt: skip
        assert match, out
        seen.add(match[0])
    assert seen == {"id", "flip"}
    turns = {k: torch.rot90(img[0, 0], k, (0, 1)) for k in range(4)}
    seen = set()
    for out in only("rotate90")(img)[:, 0]:
        match = [k for k, v in turns.items() if torch.allclose(out, v, atol=1e-4)]
        assert match, out
        seen.add(match[0])
    assert seen == {0, 1, 2, 3}
    shifted = only("xint")(img)
    assert torch.allclose(shifted, shifted.round(), atol=1e-4)  # whole pixels (reflected edges)


@pytest.mark.parametrize(
    "name", ["scale", "rotate", "aniso", "xfrac", "brightness", "contrast", "hue", "saturation"]
)
def test_each_ada_transform_changes_rgb_images_and_passes_gradients(name: str) -> None:
    x = (torch.rand(8, 3, 16, 16) * 2 - 1).requires_grad_(True)
    y = only(name)(x)
    assert y.shape == x.shape
    assert not torch.allclose(y, x, atol=1e-3)
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_ada_on_grey_images_uses_brightness_and_contrast_only() -> None:
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(only("hue")(x), x, atol=1e-6)
    assert torch.allclose(only("saturation")(x), x, atol=1e-6)
    assert not torch.allclose(only("brightness")(x), x, atol=1e-3)


# ----------------------------------------------------------------------------- ADA's p
def test_ada_moves_p_by_the_papers_speed_0_to_1_in_500k_images() -> None:
    ada = AdaptiveAugment()  # target 0.6, interval 4, 500 kimg
    scores = torch.ones(64)  # r_t = 1 > 0.6: p goes up every 4 D updates of 64 images
    updates = 0
    while float(ada.p) < 1.0:
        ada.observe(scores)
        updates += 1
        ada.after_d_step(updates)
        assert updates < 10_000
    images = updates * 64
    assert 500_000 <= images < 500_000 + 4 * 64
    assert float(ada.last_r_t) == 1.0
    for i in range(4):  # r_t = -1 < 0.6: down again by one adjustment's step
        ada.observe(-scores)
        ada.after_d_step(updates + i + 1)
    assert float(ada.p) == pytest.approx(1 - 256 / 500_000, abs=1e-7)


def test_ada_p_stays_in_0_1_and_holds_between_adjustments() -> None:
    ada = AdaptiveAugment(interval=2, kimg=0.01)  # a step of 0.1 per 10 images... large
    ada.observe(-torch.ones(5))
    ada.after_d_step(1)
    assert float(ada.p) == 0.0 and float(ada.signs[1]) == 5  # not yet: 1 % 2
    ada.observe(-torch.ones(5))
    ada.after_d_step(2)
    assert float(ada.p) == 0.0 and float(ada.last_r_t) == -1.0  # clamped at 0
    assert torch.equal(ada.signs, torch.zeros(2))


def test_sign_terms_is_r_t() -> None:
    s = torch.tensor([2.0, -1.0, 0.5, 3.0])
    terms = sign_terms(s)
    assert terms.tolist() == [2.0, 4.0]  # r_t = 0.5


# ----------------------------------------------------------------------------- in training
class Records(Callback):
    def __init__(self) -> None:
        self.rows: list[StepRecord] = []

    def on_step(self, trainer, record) -> None:  # type: ignore[no-untyped-def]
        self.rows.append(record)


def test_records_r_t_and_adas_r_t_agree_on_the_same_d_outputs(tmp_path: Path) -> None:
    # ADA adjusts every 2 D updates = every record (log_every 2, one D update per step): the
    # r_t it adjusted p from and the record's r_t are computed from the same D outputs
    cfg = TrainConfig(
        **{**DCGAN, "out": str(tmp_path / "r"), "steps": 6},
        augment="ada",
        augment_options={"interval": 2, "kimg": 0.5},
    )
    rec = Records()
    t = Trainer.create(cfg, callbacks=[rec])
    seen = []
    original = t.updates.augment.after_d_step  # type: ignore[union-attr]

    def spy(d_updates: int) -> None:
        original(d_updates)
        if d_updates % 2 == 0:
            seen.append(float(t.updates.augment.last_r_t))  # type: ignore[union-attr]

    t.updates.augment.after_d_step = spy  # type: ignore[union-attr,method-assign]
    t.run()
    assert [r.step for r in rec.rows] == [2, 4, 6]
    assert len(seen) == 3
    for row, r_t in zip(rec.rows, seen, strict=True):
        assert row.r_t == pytest.approx(r_t, abs=1e-6)
    # p moved by +-32/500 per adjustment, and the record shows it
    assert all(0 <= r.augment_p <= 1 for r in rec.rows)
    assert any(r.augment_p > 0 for r in rec.rows)


@pytest.mark.parametrize("augment", ["ada", "diffaugment"])
def test_resume_with_augmentation_is_bit_exact(augment: str, tmp_path: Path) -> None:
    n = 4
    # ADA adjusts every 3 D updates: the checkpoint at step 4 holds one update's r_t terms
    opts = {"interval": 3, "kimg": 0.2} if augment == "ada" else {}
    extra = {"augment": augment, "augment_options": opts, "ema": 0.9}
    full = Trainer.create(
        TrainConfig(**{**DCGAN, "out": str(tmp_path / "full"), "steps": 2 * n}, **extra)
    )
    full.run()
    half = Trainer.create(
        TrainConfig(**{**DCGAN, "out": str(tmp_path / "half"), "steps": n}, **extra)
    )
    half.run()
    stored = json.loads((tmp_path / "half" / "config.json").read_text())
    resumed = Trainer.create(make_train_config(stored, steps=2 * n), resume=True)
    assert resumed.step == n
    if augment == "ada":
        ada = resumed.updates.augment
        assert float(ada.signs[1]) == 16  # type: ignore[union-attr,index]
        assert float(ada.p) == float(half.updates.augment.p)  # type: ignore[union-attr,arg-type]
    resumed.run()
    for name, module in full.updates.modules().items():
        other = resumed.updates.modules()[name]
        for (k, a), b in zip(module.state_dict().items(), other.state_dict().values(), strict=True):
            assert torch.equal(a, b), f"{name}.{k} differs after resume"


def _image_architectures() -> list[str]:
    return sorted(a.name for a in ganzoo.list_entries("architecture") if "image" in a.modalities)


@pytest.mark.parametrize("augment", ["diffaugment", "ada"])
@pytest.mark.parametrize("arch", _image_architectures())
def test_every_image_architecture_trains_with_augmentation(arch: str, augment: str) -> None:
    spec = DatasetSpec(
        name="rgb-32", summary="t", builder="a.b:c", shape=(3, 32, 32), num_classes=10
    )
    names = set(ganzoo.info(arch)["defaults"])
    small = {"width": 4} if "width" in names else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = ganzoo.build(arch, data=spec, **small)
    g, d = model.generator, model.discriminator
    n = 2 * getattr(model.config, "pack", 1)
    images = torch.randint(0, 256, (4 * n, 3, 32, 32), dtype=torch.uint8)
    data = TensorData(images, torch.arange(4 * n) % 10, spec)
    opt_g, opt_d = make_optimizers(model.arch.optimizer, g, d)
    aug = build_augment(augment, {"p": 1.0, "adjust": False} if augment == "ada" else {}, "image")
    updates = AlternatingUpdates(
        g, d, ganzoo.build(model.arch.default_loss), opt_g, opt_d,
        n_critic=model.arch.optimizer.n_critic or 1,
        batches=Batches(data, n, seed=0, device=torch.device("cpu")), augment=aug,
    )  # fmt: skip
    before = [p.detach().clone() for p in g.parameters()]
    stats, _ = updates.step()
    values = dict(zip(STATS, stats.tolist(), strict=True))
    assert all(math.isfinite(v) for v in values.values()), values
    assert values["augment_p"] == 1.0
    assert any(not torch.equal(a, b) for a, b in zip(before, g.parameters(), strict=True))


def test_point_data_is_refused_in_one_line(tmp_path: Path) -> None:
    cfg = TrainConfig(
        architecture="gan", data="ring-8", steps=2, out=str(tmp_path / "r"), augment="ada"
    )
    with pytest.raises(ConfigError, match="augments images") as err:
        Trainer.create(cfg)
    assert "\n" not in str(err.value)


def test_unknown_options_and_options_without_augmentation_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"augment_options for ada.*target"):
        build_augment("ada", {"speed": 2}, "image")
    with pytest.raises(ConfigError, match="without an augmentation"):
        build_augment("none", {"policy": "color"}, "image")
    with pytest.raises(ConfigError, match="p in"):
        build_augment("ada", {"p": 2}, "image")


def test_a_resume_keeps_the_augmentation_unless_changes_are_allowed(tmp_path: Path) -> None:
    from ganzoo.training.resume import config_changes

    cfg = TrainConfig(**{**DCGAN, "out": str(tmp_path / "r"), "steps": 2}, augment="ada")
    Trainer.create(cfg).run()
    stored = json.loads((tmp_path / "r" / "config.json").read_text())
    with pytest.raises(ConfigError, match='augment "ada" -> "diffaugment"'):
        Trainer.create(make_train_config(stored, augment="diffaugment", steps=4), resume=True)
    # a config.json written before these fields existed reads as their defaults
    old = {k: v for k, v in stored.items() if k not in {"augment", "augment_options"}}
    plain = {**stored, "augment": "none", "augment_options": {}}
    assert config_changes(old, plain) == {}
