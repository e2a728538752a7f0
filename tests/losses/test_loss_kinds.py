"""Losses say what they are: display and detectors read a loss's declared score kind and
saturation from its spec (carried by every StepRecord), never its name, so a third-party loss is
treated by what it declares. The example plugin's ``total-variation`` loss is the third party."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.building import build_entry, loss_spec
from ganzoo.events import Alarm, StepRecord
from ganzoo.training.callbacks import d_outputs

DECLARED = {  # name: (scores, saturating), as docs/losses.md tabulates them
    "minimax": ("logits", True),
    "non-saturating": ("logits", False),
    "r1": ("logits", False),
    "dragan": ("logits", False),
    "feature-matching": ("logits", False),
    "least-squares": ("critic", False),
    "wasserstein": ("critic", False),
    "wasserstein-gp": ("critic", False),
    "hinge": ("critic", False),
    "relativistic-average": ("critic", False),
    "total-variation": ("critic", True),  # the example plugin's
}


def record(loss: str, step: int, **stats: float) -> StepRecord:
    """A record as the trainer makes it under ``loss``: the loss's declarations copied in."""
    spec = loss_spec(loss)
    base = {
        "loss_d": 1.3,
        "loss_g": 0.7,
        "d_real": 2.5,
        "d_fake": -1.5,
        "p_real": 0.92,
        "p_fake": 0.3,
        "grad_norm_d": 1.0,
        "grad_norm_g": 1.0,
        "d_accuracy": 0.5,
        "r_t": 0.1,
    }
    base.update(stats)
    return StepRecord(
        step=step, loss_name=loss, scores=spec.scores, saturating=spec.saturating, **base
    )


def feed(diagnostic: str, records: list[StepRecord]) -> list[Alarm]:
    det = build_entry(diagnostic)
    return [a for r in records for a in det.on_step(r)]


def test_every_registered_loss_declares_its_kind() -> None:
    declared = {
        s.name: (s.scores, s.saturating)  # type: ignore[union-attr]
        for s in ganzoo.list_entries("loss")
    }
    assert declared == DECLARED  # a new loss is added here and to docs/losses.md
    info = ganzoo.info("total-variation")
    assert (info["plugin"], info["scores"], info["saturating"]) == ("pacgan", "critic", True)


@pytest.mark.parametrize("loss", sorted(DECLARED))
def test_display_follows_the_declared_scores(loss: str) -> None:
    shown = d_outputs(record(loss, 100))
    if DECLARED[loss][0] == "critic":  # raw values, signed
        assert shown == "D(x) +2.500 D(G(z)) -1.500"
    else:  # D's probabilities
        assert shown == "D(x) 0.920 D(G(z)) 0.300"


def test_d_overpowering_asks_confidence_of_logit_losses_only() -> None:
    """D accurate (0.95, r_t 0.9) but its sigmoid on fakes 0.3: under a logit loss D is not
    confident, so G still learns (no alarm); a critic's sigmoid means nothing, so accuracy
    decides. r1 and dragan, logit losses, are now judged like non-saturating."""
    accurate = {"d_accuracy": 0.95, "r_t": 0.9, "p_fake": 0.3}
    for loss, (scores, _) in DECLARED.items():
        recs = [record(loss, 250 + 50 * i, **accurate) for i in range(10)]
        alarms = feed("d-overpowering", recs)
        assert bool(alarms) == (scores == "critic"), loss
    confident = {"d_accuracy": 0.95, "r_t": 0.9, "p_fake": 0.05}
    for loss in ("r1", "dragan", "feature-matching", "non-saturating"):
        alarms = feed(
            "d-overpowering", [record(loss, 250 + 50 * i, **confident) for i in range(10)]
        )
        assert [a.severity for a in alarms] == ["warning"], loss


def test_vanishing_gradient_reads_saturation_and_scores() -> None:
    starved = [record(loss, 50 * (i + 1), p_fake=0.005) for loss in ("minimax",) for i in range(4)]
    assert [a.severity for a in feed("vanishing-gradient", starved)] == ["warning"]
    # D(G(z)) < 0.01 is starvation only for a saturating objective on logits: neither a
    # non-saturating loss nor a saturating critic (no probability to measure) alarms on it
    for loss in ("non-saturating", "r1", "total-variation", "hinge"):
        recs = [record(loss, 50 * (i + 1), p_fake=0.005) for i in range(10)]
        assert feed("vanishing-gradient", recs) == [], loss
    # a collapsed G gradient alarms under any loss; the fix offered follows the declaration
    for loss, expected in (
        ("total-variation", "switch to the non-saturating loss"),
        ("minimax", "switch to the non-saturating loss"),
        ("hinge", "lower D's learning rate"),
        ("r1", "lower D's learning rate"),
    ):
        recs = [record(loss, 50 * (i + 1)) for i in range(10)]
        recs += [record(loss, 550 + 50 * i, grad_norm_g=1e-5) for i in range(3)]
        alarms = feed("vanishing-gradient", recs)
        assert alarms and alarms[0].suggestion.startswith(expected), loss


def test_total_variation_bounds_tv() -> None:
    tv = build_entry("total-variation")
    far = torch.full((8,), 50.0)
    # D separating perfectly reaches the bound TV = 1 (D's loss is its negative)
    assert tv.discriminator_loss(far, -far).item() == pytest.approx(-1.0)
    assert tv.discriminator_loss(far, far).item() == pytest.approx(0.0)
    # G's gradient vanishes as D rejects the fakes: the objective saturates
    fake = torch.tensor([0.0, -10.0], requires_grad=True)
    tv.generator_loss(fake).backward()
    assert fake.grad is not None
    assert fake.grad[0].item() == pytest.approx(-0.25) and abs(fake.grad[1].item()) < 1e-7


def test_the_trainer_copies_the_declaration_into_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A short pacgan run on ring-8 with the plugin's loss: every step row carries what the
    loss declares. `ganzoo train` through ganzoo.cli.main in this process (a fresh interpreter
    added ~6 s of imports; real `ganzoo train` subprocesses run in tests/training)."""
    from ganzoo.cli import main

    out = tmp_path / "run"
    args = ["pacgan", "--loss", "total-variation", "--steps", "4", "-b", "32", "-o", str(out)]
    sets = ["data_options.size=512", "log_every=2", "sample_every=1000"]
    with pytest.raises(SystemExit) as done:
        main(
            ["train", *args, "--diagnostics", "none", "-q"]
            + [arg for kv in sets for arg in ("--set", kv)]
        )
    assert done.value.code in (0, None), capsys.readouterr().err
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [row for row in rows if row["event"] == "step"]
    assert [row["step"] for row in steps] == [2, 4]
    assert all(row["scores"] == "critic" and row["saturating"] is True for row in steps)
    assert all(row["loss_name"] == "total-variation" for row in steps)
    assert all(math.isfinite(row["d_real"]) for row in steps)
