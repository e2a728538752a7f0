"""Differentiable augmentation of what D sees: DiffAugment and ADA, selectable by name.

Both are applied to the real and the generated images in the D update and to the generated ones
in the G update, so D never sees an un-augmented image and G's gradient flows through the
augmentation (which is therefore differentiable). Neither reads a value back to the host: their
random draws and ADA's probability ``p`` stay on the device, and ADA's adjustment of ``p`` is
tensor arithmetic, read only when a record is made.

- `DiffAugment` (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN
  Training"): the policy's transforms applied to every image, as the authors' code does:
  ``color`` (brightness, saturation, contrast), ``translation`` (1/8 of the side, zero padded),
  ``cutout`` (a square of half the side set to 0).
- `AdaptiveAugment` (Karras et al. 2020, "Training Generative Adversarial Networks with Limited
  Data"): the 'bgc' pipeline (xflip, rotate90, integer translation, isotropic scale, rotation,
  anisotropic scale, fractional translation; brightness, contrast, hue and saturation for RGB),
  each transform applied to an image with probability ``p``; ``p`` is adjusted every
  ``interval`` D updates from the overfitting heuristic r_t = E[sign(D(x_real))] toward
  ``target`` (0.6), by ``images / (kimg * 1000)`` per adjustment, so it can go from 0 to 1 in
  500k images. ``p`` and the r_t accumulators are buffers: checkpoints save them with the
  weights, and a resumed run goes on exactly.

`sign_terms` is the one definition of r_t's terms: the training records' ``r_t`` and ADA's use it
on the same D outputs (the real scores of every D update).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.errors import ConfigError

AUGMENTATIONS = ("none", "diffaugment", "ada")
"""The names ``TrainConfig.augment`` takes."""

DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")
"""DiffAugment's transforms, in the order the authors apply them."""


def sign_terms(real_scores: Tensor) -> Tensor:
    """``[sum of sign(D(x_real)), count]`` of one batch of D's real scores, on the device.

    r_t is the first summed over D updates divided by the second summed (ADA's heuristic,
    Karras et al. 2020, eq. 1: E[sign(D_train)]).
    """
    s = real_scores.detach().float().reshape(-1)
    return torch.stack([s.sign().sum(), torch.full((), float(s.numel()), device=s.device)])


class Augment(nn.Module):
    """An augmentation of D's inputs: ``forward(images) -> images``, differentiable.

    Subclasses may keep state in buffers (checkpoints save them) and may watch D's real scores
    (`observe`) and adapt at each D update (`after_d_step`).
    """

    name = "none"

    def observe(self, real_scores: Tensor) -> None:
        """See D's scores on the (augmented) real batch of a D update (default: ignored)."""

    def after_d_step(self, d_updates: int) -> None:
        """Called after each D update; ``d_updates`` counts them over the run (restored on resume)."""

    def probability(self) -> Tensor:
        """The probability each transform is applied with, as a device scalar (NaN: not adaptive)."""
        return torch.full((), float("nan"))


# --------------------------------------------------------------------------- DiffAugment
def _brightness(x: Tensor) -> Tensor:
    return x + (torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) - 0.5)


def _saturation(x: Tensor) -> Tensor:
    mean = x.mean(dim=1, keepdim=True)
    r = torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) * 2
    return (x - mean) * r + mean


def _contrast(x: Tensor) -> Tensor:
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    r = torch.rand(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device) + 0.5
    return (x - mean) * r + mean


def _translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sh, sh + 1, (b, 1, 1), device=x.device)
    tx = torch.randint(-sw, sw + 1, (b, 1, 1), device=x.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(h, device=x.device),
        torch.arange(w, device=x.device),
        indexing="ij",
    )
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    return padded.permute(0, 2, 3, 1)[gb, gy, gx].permute(0, 3, 1, 2)


def _cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), device=x.device)
    ox = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), device=x.device)
    gb, gy, gx = torch.meshgrid(
        torch.arange(b, device=x.device),
        torch.arange(ch, device=x.device),
        torch.arange(cw, device=x.device),
        indexing="ij",
    )
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(b, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


_DIFF_OPS: dict[str, list[Callable[[Tensor], Tensor]]] = {
    "color": [_brightness, _saturation, _contrast],
    "translation": [_translation],
    "cutout": [_cutout],
}


class DiffAugment(Augment):
    """DiffAugment (Zhao et al. 2020): the policy's transforms on every image, differentiable.

    Args:
        policy: Transforms to apply, in order: a comma-separated string or a list of
            ``color``, ``translation``, ``cutout`` (default: all three, the paper's choice for
            small data).

    Raises:
        ConfigError: The policy names an unknown transform or none.
    """

    name = "diffaugment"

    def __init__(self, policy: str | list[str] | tuple[str, ...] = "color,translation,cutout"):
        super().__init__()
        parts = policy.split(",") if isinstance(policy, str) else list(policy)
        names = [p.strip() for p in parts if p.strip()]
        bad = [n for n in names if n not in _DIFF_OPS]
        if bad or not names:
            raise ConfigError(
                f"DiffAugment policy {policy!r}: {'unknown ' + ', '.join(bad) if bad else 'empty'}"
                f"; use a comma-separated subset of {','.join(DIFFAUGMENT_POLICIES)}"
            )
        self.policy = tuple(names)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the policy's transforms to ``x`` (N, C, H, W)."""
        for name in self.policy:
            for op in _DIFF_OPS[name]:
                x = op(x)
        return x.contiguous()

    def extra_repr(self) -> str:
        """The policy, in the module's repr."""
        return f"policy={','.join(self.policy)}"


# --------------------------------------------------------------------------- ADA
def _lognormal(n: int, std: float, device: torch.device) -> Tensor:
    return torch.exp2(torch.randn(n, device=device) * std)


def _translate(tx: Tensor, ty: Tensor) -> Tensor:
    m = torch.eye(3, device=tx.device).repeat(tx.numel(), 1, 1)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _scale(sx: Tensor, sy: Tensor) -> Tensor:
    m = torch.eye(3, device=sx.device).repeat(sx.numel(), 1, 1)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def _rotate(theta: Tensor) -> Tensor:
    m = torch.eye(3, device=theta.device).repeat(theta.numel(), 1, 1)
    c, s = torch.cos(theta), torch.sin(theta)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    return m


class AdaptiveAugment(Augment):
    """ADA (Karras et al. 2020): the 'bgc' pipeline with an adaptive probability ``p``.

    Args:
        target: The r_t that ``p`` is steered to (the paper's 0.6).
        interval: D updates between adjustments of ``p`` (the paper's 4).
        kimg: Thousands of real images over which ``p`` can go from 0 to 1 (the paper's 500).
        p: The initial probability (0; a fixed ``p`` with ``adjust=False``).
        adjust: Adjust ``p`` from r_t (False: a fixed ``p``).
        xflip, rotate90, xint, scale, rotate, aniso, xfrac, brightness, contrast, hue,
            saturation: Each transform's multiplier of ``p`` (1: on, 0: off), as the paper's
            code; hue and saturation act on 3-channel images only.
        translate_std, scale_std, rotate_max, aniso_std, xfrac_std, brightness_std,
            contrast_std, hue_max, saturation_std: The paper's ranges.
    """

    name = "ada"

    def __init__(
        self,
        target: float = 0.6,
        interval: int = 4,
        kimg: float = 500.0,
        p: float = 0.0,
        adjust: bool = True,
        xflip: float = 1,
        rotate90: float = 1,
        xint: float = 1,
        scale: float = 1,
        rotate: float = 1,
        aniso: float = 1,
        xfrac: float = 1,
        brightness: float = 1,
        contrast: float = 1,
        hue: float = 1,
        saturation: float = 1,
        xint_max: float = 0.125,
        scale_std: float = 0.2,
        rotate_max: float = 1.0,
        aniso_std: float = 0.2,
        xfrac_std: float = 0.125,
        brightness_std: float = 0.2,
        contrast_std: float = 0.5,
        hue_max: float = 1.0,
        saturation_std: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 <= p <= 1 or not 0 < target <= 1 or interval < 1 or kimg <= 0:
            raise ConfigError(
                "ADA options: p in [0, 1], target in (0, 1], interval >= 1 and kimg > 0 "
                f"(got p={p}, target={target}, interval={interval}, kimg={kimg})"
            )
        self.target, self.interval, self.kimg, self.adjust = target, interval, kimg, adjust
        self.strength = {
            "xflip": xflip, "rotate90": rotate90, "xint": xint, "scale": scale,
            "rotate": rotate, "aniso": aniso, "xfrac": xfrac, "brightness": brightness,
            "contrast": contrast, "hue": hue, "saturation": saturation,
        }  # fmt: skip
        self.xint_max, self.scale_std, self.rotate_max = xint_max, scale_std, rotate_max
        self.aniso_std, self.xfrac_std = aniso_std, xfrac_std
        self.brightness_std, self.contrast_std = brightness_std, contrast_std
        self.hue_max, self.saturation_std = hue_max, saturation_std
        self.register_buffer("p", torch.tensor(float(p)))
        # sum of sign(D(x_real)) and count since the last adjustment; the r_t of the last one
        self.register_buffer("signs", torch.zeros(2))
        self.register_buffer("last_r_t", torch.tensor(float("nan")))

    # ---------------------------------------------------------------- the adaptive part
    def probability(self) -> Tensor:
        """The current ``p`` (a device scalar)."""
        return self.p

    def observe(self, real_scores: Tensor) -> None:
        """Add the signs of D's real scores of one D update to the accumulators (device only)."""
        self.signs += sign_terms(real_scores)

    def after_d_step(self, d_updates: int) -> None:
        """Every ``interval`` D updates: move ``p`` toward r_t's target and start over."""
        if not self.adjust or d_updates % self.interval:
            return
        terms = self.signs.clone()
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(terms)  # every rank adjusts p the same way
        signs, count = terms[0], terms[1]
        r_t = signs / count.clamp_min(1)
        step = torch.sign(r_t - self.target) * count / (self.kimg * 1000)
        self.p.copy_((self.p + torch.where(count > 0, step, 0.0)).clamp(0.0, 1.0))
        self.last_r_t.copy_(torch.where(count > 0, r_t, self.last_r_t))
        self.signs.zero_()

    # ---------------------------------------------------------------- the pipeline
    def _mask(self, n: int, name: str, device: torch.device, p: Tensor | None = None) -> Tensor:
        prob = (self.p if p is None else p) * self.strength[name]
        return torch.rand(n, device=device) < prob

    def _geometry(self, n: int, h: int, w: int, device: torch.device) -> Tensor:
        """Each image's 3x3 matrix from output to input coordinates (normalised, [-1, 1])."""
        m = torch.eye(3, device=device).repeat(n, 1, 1)
        one = torch.ones(n, device=device)
        # xflip: x -> -x
        i = torch.randint(0, 2, (n,), device=device) * self._mask(n, "xflip", device)
        m = m @ _scale(1.0 - 2.0 * i, one)
        # rotate90: k * 90 degrees
        k = torch.randint(0, 4, (n,), device=device) * self._mask(n, "rotate90", device)
        m = m @ _rotate(k * (math.pi / 2))
        # integer translation: up to xint_max of the side, in whole pixels
        tx = torch.round((torch.rand(n, device=device) * 2 - 1) * self.xint_max * w)
        ty = torch.round((torch.rand(n, device=device) * 2 - 1) * self.xint_max * h)
        on = self._mask(n, "xint", device)
        m = m @ _translate(tx * 2 / w * on, ty * 2 / h * on)
        # isotropic scale (log-normal)
        s = torch.where(self._mask(n, "scale", device), _lognormal(n, self.scale_std, device), 1.0)
        m = m @ _scale(s, s)
        # rotation before and after the anisotropic scale: P(either) = p
        p_rot = 1 - torch.sqrt((1 - self.p * self.strength["rotate"]).clamp(0, 1))
        for turn in range(2):
            theta = (torch.rand(n, device=device) * 2 - 1) * math.pi * self.rotate_max
            on = torch.rand(n, device=device) < p_rot
            m = m @ _rotate(theta * on)
            if turn == 0:
                a = _lognormal(n, self.aniso_std, device)
                a = torch.where(self._mask(n, "aniso", device), a, 1.0)
                m = m @ _scale(a, 1 / a)
        # fractional translation (normal, in units of the side)
        on = self._mask(n, "xfrac", device)
        fx = torch.randn(n, device=device) * self.xfrac_std * 2 * on
        fy = torch.randn(n, device=device) * self.xfrac_std * 2 * on
        m = m @ _translate(fx, fy)
        return m

    def _color(self, x: Tensor) -> Tensor:
        n, c = x.shape[0], x.shape[1]
        dev = x.device
        b = torch.randn(n, device=dev) * self.brightness_std * self._mask(n, "brightness", dev)
        ct = torch.where(self._mask(n, "contrast", dev), _lognormal(n, self.contrast_std, dev), 1.0)
        if c != 3:
            return x * ct.view(n, 1, 1, 1).to(x.dtype) + b.view(n, 1, 1, 1).to(x.dtype)
        # RGB: a 4x4 colour matrix: brightness, contrast, hue rotation about the luma axis,
        # saturation along it (the paper's order)
        mat = torch.eye(4, device=dev).repeat(n, 1, 1)
        mat = _color_translate(b) @ mat
        mat = _color_scale(ct) @ mat
        axis = (1 / math.sqrt(3),) * 3
        luma = torch.full((3,), axis[0], device=dev)
        theta = (torch.rand(n, device=dev) * 2 - 1) * math.pi * self.hue_max
        theta = theta * self._mask(n, "hue", dev)
        mat = _color_rotate(axis, theta) @ mat
        sat = torch.where(
            self._mask(n, "saturation", dev), _lognormal(n, self.saturation_std, dev), 1.0
        )
        outer = torch.outer(luma, luma)
        sat_m = torch.eye(4, device=dev).repeat(n, 1, 1)
        sat_m[:, :3, :3] = outer + (torch.eye(3, device=dev) - outer) * sat.view(n, 1, 1)
        mat = sat_m @ mat
        mat = mat.to(x.dtype)
        flat = x.reshape(n, 3, -1)
        out = mat[:, :3, :3] @ flat + mat[:, :3, 3:]
        return out.reshape(x.shape)

    def forward(self, x: Tensor) -> Tensor:
        """Apply the pipeline to ``x`` (N, C, H, W), each transform with probability ``p``."""
        n, _, h, w = x.shape
        m = self._geometry(n, h, w, x.device)
        grid = F.affine_grid(m[:, :2, :].to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        return self._color(x).contiguous()

    def extra_repr(self) -> str:
        """The adjustment's settings, in the module's repr."""
        return f"target={self.target}, interval={self.interval}, kimg={self.kimg}"


def _color_translate(b: Tensor) -> Tensor:
    m = torch.eye(4, device=b.device).repeat(b.numel(), 1, 1)
    m[:, :3, 3] = b.view(-1, 1)
    return m


def _color_scale(s: Tensor) -> Tensor:
    m = torch.eye(4, device=s.device).repeat(s.numel(), 1, 1)
    for i in range(3):
        m[:, i, i] = s
    return m


def _color_rotate(axis: tuple[float, float, float], theta: Tensor) -> Tensor:
    """Rotation by ``theta`` about the unit ``axis`` (Rodrigues), as 4x4 matrices."""
    x, y, z = axis
    k = torch.zeros(3, 3, device=theta.device)  # filled in place: no host-to-device copy
    k[0, 1], k[0, 2], k[1, 0], k[1, 2], k[2, 0], k[2, 1] = -z, y, z, -x, -y, x
    s, c = torch.sin(theta).view(-1, 1, 1), torch.cos(theta).view(-1, 1, 1)
    r = torch.eye(3, device=theta.device) + s * k + (1 - c) * (k @ k)
    m = torch.eye(4, device=theta.device).repeat(theta.numel(), 1, 1)
    m[:, :3, :3] = r
    return m


def build_augment(name: str | None, options: dict[str, Any], modality: str) -> Augment | None:
    """The augmentation ``name`` with ``options``, or None for ``none``.

    Args:
        name: ``none``/None, ``diffaugment`` or ``ada``.
        options: Keyword options of its class (`DiffAugment`: ``policy``; `AdaptiveAugment`:
            ``target``, ``interval``, ``kimg``, ``p``, each transform's strength, ...).
        modality: The data's modality: augmentations are for images.

    Raises:
        ConfigError: An unknown name or option, or data that is not images (one line).
    """
    if name in (None, "none"):
        if options:
            raise ConfigError(
                "augment_options were given without an augmentation: add --augment diffaugment "
                "or --augment ada"
            )
        return None
    classes: dict[str, type[Augment]] = {"diffaugment": DiffAugment, "ada": AdaptiveAugment}
    if name not in classes:
        raise ConfigError(
            f"unknown augmentation {name!r}; choose one of {', '.join(AUGMENTATIONS)}"
        )
    if modality != "image":
        raise ConfigError(
            f"--augment {name} augments images, and this data set holds {modality} data: "
            "train without --augment"
        )
    try:
        return classes[name](**options)
    except TypeError as err:
        import inspect

        known = [p for p in inspect.signature(classes[name]).parameters]
        raise ConfigError(
            f"augment_options for {name}: {str(err).split(': ', 1)[-1][:120]}; it takes "
            f"{', '.join(known)}"
        ) from None
