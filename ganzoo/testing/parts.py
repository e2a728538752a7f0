"""The contracts of losses and diagnostics: what they compute from scores and records."""

from __future__ import annotations

import json
import math
from typing import Any

import torch
from torch import Tensor

from ganzoo.building import build_entry
from ganzoo.events import Alarm, StepRecord
from ganzoo.interfaces import Diagnostic, DiscriminatorOutput, GANLoss
from ganzoo.specs import DiagnosticSpec, LossSpec
from ganzoo.testing._report import expect, finite, step
from ganzoo.testing.data import synthetic_data
from ganzoo.testing.metadata import check_spec

SATURATION_RATIO = 0.01
"""A G objective saturates when its gradient at a confidently rejected fake (score -8, real +8)
is below this fraction of its gradient at scores 0."""

SEVERITIES = ("info", "warning", "critical")


def check_loss(name: str, **options: Any) -> None:
    """Check loss ``name``: its values, gradients, direction, penalty and declared saturation.

    Builds it with ``options`` and checks: it is a ``GANLoss``; ``discriminator_loss`` and
    ``generator_loss`` return finite scalars with finite, non-zero gradients to the scores and
    the same value on a second call; D's loss is lower when real scores are high and fake ones
    low than the other way round, and G's loss is lower for higher fake scores (the direction
    every consumer assumes); ``penalty`` is None or a finite scalar with a gradient into D; and
    the measured saturation matches the spec's ``saturating``: G's gradient at a fake score of
    -8 (real +8) is under 1% of its gradient at 0 exactly when the spec says ``True``.

    Args:
        name: The registered loss.
        **options: Options of its config model.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    spec = check_spec(name, "loss")
    assert isinstance(spec, LossSpec)
    where = f"loss {name!r}"
    with step(
        where, f"building it with {options}", "make the builder build(config) return a GANLoss"
    ):
        loss = build_entry(name, **options)
    expect(
        isinstance(loss, GANLoss),
        where,
        f"its builder returned {type(loss).__name__}",
        "return a ganzoo.interfaces.GANLoss",
    )
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(16, generator=gen).requires_grad_()
    fake = torch.randn(16, generator=gen).requires_grad_()
    with step(where, "discriminator_loss(real_scores, fake_scores)", "return a scalar tensor"):
        d_loss = loss.discriminator_loss(real, fake)
    _scalar(d_loss, where, "discriminator_loss")
    grads = torch.autograd.grad(d_loss, [real, fake])
    expect(
        all(finite(g) and bool(g.abs().sum() > 0) for g in grads),
        where,
        "discriminator_loss gives no (or non-finite) gradient to the real or fake scores",
        "compute D's loss from both score tensors, differentiably",
    )
    expect(
        torch.equal(d_loss.detach(), loss.discriminator_loss(real, fake).detach()),
        where,
        "discriminator_loss differs between two calls",
        "keep losses deterministic",
    )
    ones = torch.ones(16)
    right = loss.discriminator_loss(ones, -ones)
    wrong = loss.discriminator_loss(-ones, ones)
    expect(
        float(right) < float(wrong),
        where,
        f"D's loss is {float(right):.4g} when it scores real +1 and fake -1 but {float(wrong):.4g} "
        "the other way round",
        "higher scores must mean 'more real': D minimises its loss by raising real scores",
    )
    if loss.uses_features:
        _check_feature_loss(loss, where)
    else:
        _check_generator_loss(loss, spec, where)
    _check_penalty(loss, where)


def _scalar(value: object, where: str, what: str) -> None:
    expect(
        isinstance(value, Tensor) and value.dim() == 0,
        where,
        f"{what} returned {type(value).__name__} of shape {tuple(getattr(value, 'shape', ()))}",
        "return a scalar tensor (a mean over the batch)",
    )
    expect(
        finite(value),
        where,
        f"{what} is not finite on ordinary scores",
        "compute from logits stably",
    )


def _g_loss(loss: GANLoss, fake: Tensor, real: Tensor) -> Tensor:
    return loss.generator_loss(fake, real if loss.generator_needs_real else None)


def _check_generator_loss(loss: GANLoss, spec: LossSpec, where: str) -> None:
    fake = torch.zeros(16, requires_grad=True)
    real = torch.zeros(16)
    with step(where, "generator_loss(fake_scores, real_scores)", "return a scalar tensor"):
        g_loss = _g_loss(loss, fake, real)
    _scalar(g_loss, where, "generator_loss")
    (at_zero,) = torch.autograd.grad(g_loss, [fake])
    expect(
        finite(at_zero) and float(at_zero.abs().sum()) > 0,
        where,
        "generator_loss gives no gradient to the fake scores at 0",
        "compute G's loss from the fake scores, differentiably",
    )
    ones = torch.ones(16)
    hi, lo = float(_g_loss(loss, ones, -ones)), float(_g_loss(loss, -ones, ones))
    expect(
        hi < lo,
        where,
        f"G's loss is {hi:.4g} at fake scores +1 and {lo:.4g} at -1",
        "G minimises its loss by raising D's scores on its samples",
    )
    rejected = torch.full((16,), -8.0, requires_grad=True)
    (far,) = torch.autograd.grad(_g_loss(loss, rejected, torch.full((16,), 8.0)), [rejected])
    ratio = float(far.abs().mean()) / float(at_zero.abs().mean())
    saturates = ratio < SATURATION_RATIO
    expect(
        saturates == spec.saturating,
        where,
        f"G's gradient at a rejected fake (score -8, real +8) is {ratio:.3g}x its gradient at 0, "
        f"so it {'saturates' if saturates else 'does not saturate'}, but the spec declares "
        f"saturating={spec.saturating}",
        f"declare saturating={saturates} in its LossSpec (the detectors read it)",
    )


def _check_feature_loss(loss: GANLoss, where: str) -> None:
    features = torch.randn(16, 8, generator=torch.Generator().manual_seed(1), requires_grad=True)
    fake = DiscriminatorOutput(torch.zeros(16), features)
    real = DiscriminatorOutput(
        torch.zeros(16), torch.randn(16, 8, generator=torch.Generator().manual_seed(2))
    )
    with step(
        where,
        "generator_loss(fake_out, real_out) with uses_features",
        "take DiscriminatorOutput objects",
    ):
        g_loss = loss.generator_loss(fake, real)  # type: ignore[arg-type]
    _scalar(g_loss, where, "generator_loss")
    (grad,) = torch.autograd.grad(g_loss, [features])
    expect(
        finite(grad) and float(grad.abs().sum()) > 0,
        where,
        "no gradient to D's fake features",
        "use the features",
    )


def _check_penalty(loss: GANLoss, where: str) -> None:
    from ganzoo.models.blocks import MLPDiscriminator

    torch.manual_seed(0)
    d = MLPDiscriminator((2,), (8,))
    data = synthetic_data((2,), n=16)
    real, _ = data.batch(torch.arange(16))
    fake = torch.randn(16, 2, generator=torch.Generator().manual_seed(3))
    with step(where, "penalty(discriminator, real, fake)", "return None or a scalar tensor"):
        value = loss.penalty(d, real, fake, None)
    if value is None:
        return
    _scalar(value, where, "penalty")
    value.backward()
    expect(
        any(p.grad is not None and finite(p.grad) for p in d.parameters()),
        where,
        "the penalty gives D's parameters no gradient",
        "compute it with create_graph=True through the discriminator",
    )


def check_diagnostic(name: str, data: Any = None, **options: Any) -> list[Alarm]:
    """Check diagnostic ``name``: what it implements, and the alarms it returns.

    Builds it twice with ``options`` and checks: it is a ``Diagnostic`` subclass that overrides
    ``on_step`` or ``on_samples`` (with ``wants_samples`` set exactly when it overrides
    ``on_samples``, and ``"samples"`` in its spec's ``signals`` then, so ``ganzoo diagnose``
    runs it on finished models); fed 80 records of a healthy run, then 20 of a failing one (D
    winning, G's gradient vanishing, then NaN), and sample grids of real data and of a single
    repeated sample, it returns lists of well-formed ``Alarm`` objects (kind = the spec's
    ``detects``, a severity of info/warning/critical, a message and a suggestion, finite
    evidence), never raises, and two fresh instances return the same alarms.

    Args:
        name: The registered diagnostic.
        data: The data sample detectors get as ``context["data"]`` (default: ``ring-8``).
        **options: Options of its config model.

    Returns:
        The alarms the first instance raised.

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    spec = check_spec(name, "diagnostic")
    assert isinstance(spec, DiagnosticSpec)
    where = f"diagnostic {name!r}"
    runs = []
    for _ in range(2):
        with step(
            where,
            f"building it with {options}",
            "make the builder build(config) return a Diagnostic",
        ):
            diag = build_entry(name, **options)
        _check_implements(diag, spec, where)
        runs.append(_feed(diag, data, where))
    dumps = [json.dumps([a.as_dict() for a in run]) for run in runs]
    expect(
        dumps[0] == dumps[1],
        where,
        "two fresh instances raised different alarms",
        "keep detectors deterministic",
    )
    for alarm in runs[0]:
        _check_alarm(alarm, spec, where)
    return runs[0]


def _check_implements(diag: object, spec: DiagnosticSpec, where: str) -> None:
    expect(
        isinstance(diag, Diagnostic) and type(diag) is not Diagnostic,
        where,
        f"its builder returned {type(diag).__name__}",
        "return an instance of a ganzoo.interfaces.Diagnostic subclass",
    )
    cls = type(diag)
    samples = cls.on_samples is not Diagnostic.on_samples
    expect(
        samples == bool(cls.wants_samples),
        where,
        f"it {'overrides' if samples else 'does not override'} on_samples but wants_samples is "
        f"{cls.wants_samples}, so training {'never calls' if samples else 'calls'} it",
        "set wants_samples = True exactly when the class implements on_samples",
    )
    expect(
        samples == ("samples" in spec.signals),
        where,
        f"on_samples is {'implemented' if samples else 'not implemented'} but the spec's signals "
        f"{list(spec.signals)} {'lack' if samples else 'list'} 'samples'",
        "list 'samples' in `signals` exactly when it looks at samples (ganzoo diagnose reads it)",
    )


def _records() -> list[StepRecord]:
    healthy = [
        StepRecord(
            step=i * 10,
            loss_d=1.3 + 0.01 * math.sin(i),
            loss_g=0.8 + 0.01 * math.cos(i),
            d_real=0.2,
            d_fake=-0.2,
            p_real=0.55,
            p_fake=0.45,
            grad_norm_d=1.0,
            grad_norm_g=1.0,
            d_accuracy=0.6,
            r_t=0.2,
            loss_name="non-saturating",
        )
        for i in range(1, 81)
    ]
    failing = [
        StepRecord(
            step=800 + i * 10,
            loss_d=0.01,
            loss_g=9.0,
            d_real=9.0,
            d_fake=-9.0,
            p_real=0.9999,
            p_fake=0.0001,
            grad_norm_d=0.1,
            grad_norm_g=1e-6 if i < 15 else float("nan"),
            d_accuracy=1.0,
            r_t=1.0,
            loss_name="minimax",
            saturating=True,
        )
        for i in range(1, 21)
    ]
    return healthy + failing


def _feed(diag: Diagnostic, data: Any, where: str) -> list[Alarm]:
    alarms: list[Alarm] = []
    fix = "return a list of ganzoo.events.Alarm (empty when nothing is wrong), never raise"
    for record in _records():
        with step(where, f"on_step at step {record.step}", fix):
            out = diag.on_step(record)
        _check_list(out, where, "on_step")
        alarms += out
    if diag.wants_samples:
        data = data if data is not None else build_entry("ring-8", size=256)
        x, _ = data.batch(torch.arange(64))
        for s, samples in ((100, x), (200, x[:1].expand_as(x).clone())):
            with step(where, f"on_samples at step {s}", fix):
                out = diag.on_samples(
                    s,
                    samples,
                    {"data": data, "loss": "non-saturating", "device": torch.device("cpu")},
                )
            _check_list(out, where, "on_samples")
            alarms += out
    return alarms


def _check_list(out: object, where: str, what: str) -> None:
    expect(
        isinstance(out, list) and all(isinstance(a, Alarm) for a in out),
        where,
        f"{what} returned {type(out).__name__}",
        "return a list of ganzoo.events.Alarm",
    )


def _check_alarm(alarm: Alarm, spec: DiagnosticSpec, where: str) -> None:
    expect(
        alarm.kind == spec.detects,
        where,
        f"it raised an alarm of kind {alarm.kind!r} but its spec detects {spec.detects!r}",
        "give its alarms kind=spec.detects (or change `detects`)",
    )
    expect(
        alarm.severity in SEVERITIES,
        where,
        f"severity {alarm.severity!r}",
        f"use one of {SEVERITIES}",
    )
    expect(
        bool(alarm.message.strip()) and bool(alarm.suggestion.strip()),
        where,
        "an alarm has an empty message or suggestion",
        "say what was seen (message) and what to change (suggestion)",
    )
    expect(
        all(isinstance(v, float | int) for v in alarm.evidence.values()),
        where,
        f"evidence {alarm.evidence} holds non-numbers",
        "evidence is {name: float}",
    )
