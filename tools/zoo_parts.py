"""Full checkpoints for fine-tuning: pin a zoo model's discriminator (and its G/EMA pair) in zoo.json.

    python tools/zoo_parts.py NAME --checkpoint runs/zoo/NAME/checkpoints/step-0004680
    hf upload ganzoo/NAME runs/zoo/NAME/hub .        # then publish the written files

``ganzoo.load(NAME, parts=...)`` and ``ganzoo train --init NAME`` read these parts. Only the
sampling generator is bundled in the package (the size budget, 25 MiB for every bundled file
together, is tests/pretrained/test_pretrained.py's); the other parts are written under
``checkpoint/`` of the model's Hub repo folder (``--out``, default ``runs/zoo/NAME/hub``), byte for
byte the training checkpoint's full-precision files, and pinned (sha256, size) without a
``bundled`` copy:

- the checkpoint kept no EMA, or the shipped generator is G itself: ``discriminator``;
- the shipped generator is the EMA one: its pin's role becomes ``ema_generator`` (it still
  samples and stays bundled), and ``generator`` (G as trained) and ``discriminator`` are added.

Which generator was shipped is read from the weights: the bundled file is compared with the
checkpoint's ``generator`` and ``ema_generator`` files. ``tools/build_zoo.py`` can call
`checkpoint_parts` after it records an entry, with the checkpoint its generator came from.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ganzoo"
ZOO = PACKAGE / "pretrained" / "zoo.json"
HUB_FOLDER = "checkpoint"
"""The folder of the Hub repo that holds the parts (beside the model folder's own files)."""
PART_ROLES = ("generator", "ema_generator", "discriminator")


def _max_diff(file_a: Path, file_b: Path) -> float:
    """The largest absolute difference between two weight files' tensors (inf if they differ in keys)."""
    from ganzoo.weights import read_tensors

    a, b = read_tensors(file_a), read_tensors(file_b)
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        return float("inf")
    diffs = [float((a[k].double() - b[k].double()).abs().max()) for k in a if a[k].numel()]
    return max(diffs, default=0.0)


def _pin(path: Path, role: str, filename: str, like: dict[str, Any]) -> dict[str, Any]:
    from ganzoo.weights import sha256_file

    return {
        "role": role,
        "repo_id": like["repo_id"],
        "revision": like.get("revision", "main"),
        "filename": filename,
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
        "bundled": None,
    }


def checkpoint_parts(
    checkpoint: Path, weights: list[dict[str, Any]], out_dir: Path, package: Path = PACKAGE
) -> list[dict[str, Any]]:
    """A zoo.json entry's ``weights`` with the fine-tuning parts of ``checkpoint`` pinned.

    Args:
        checkpoint: The training checkpoint folder (``checkpoints/step-NNNNNNN``) the shipped
            generator was exported from.
        weights: The entry's pins; exactly one generator pin has a ``bundled`` copy (the
            sampling generator). Earlier part pins are replaced.
        out_dir: Where the Hub-only files go, at their repo paths (``out_dir/checkpoint/...``).
        package: The folder ``bundled`` paths are relative to.

    Returns:
        The new pins: the sampling generator first (role ``ema_generator`` when it is the
        checkpoint's EMA), then the Hub-only parts.

    Raises:
        SystemExit: the checkpoint has no discriminator, or no bundled generator pin.
    """
    shipped = [w for w in weights if w["role"] != "discriminator" and w.get("bundled")]
    if len(shipped) != 1:
        raise SystemExit(f"expected one bundled generator pin, found {len(shipped)}")
    sampler = dict(shipped[0])
    bundled = package / sampler["bundled"]
    raw, ema, disc = (checkpoint / f"{role}.safetensors" for role in PART_ROLES)
    if not disc.is_file():
        raise SystemExit(f"{checkpoint} holds no discriminator.safetensors")
    is_ema = ema.is_file() and _max_diff(bundled, ema) < _max_diff(bundled, raw)
    sampler["role"] = "ema_generator" if is_ema else "generator"
    parts = [("discriminator", disc)] + ([("generator", raw)] if is_ema else [])
    pins = [sampler]
    for role, source in sorted(parts, key=lambda p: PART_ROLES.index(p[0])):
        filename = f"{HUB_FOLDER}/{role}.safetensors"
        target = out_dir / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        pins.append(_pin(target, role, filename, sampler))
    return pins


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: pin NAME's parts from a checkpoint and rewrite zoo.json."""
    parser = argparse.ArgumentParser(description="Pin a zoo model's fine-tuning parts.")
    parser.add_argument("name", help="the zoo.json entry")
    parser.add_argument("--checkpoint", type=Path, required=True, help="checkpoints/step-N")
    parser.add_argument("--out", type=Path, default=None, help="default runs/zoo/NAME/hub")
    parser.add_argument("--zoo", type=Path, default=ZOO)
    args = parser.parse_args(argv)
    zoo = json.loads(args.zoo.read_text())
    entry = next((m for m in zoo["models"] if m["name"] == args.name), None)
    if entry is None:
        raise SystemExit(f"no model {args.name!r} in {args.zoo}")
    out = args.out or Path("runs/zoo") / args.name / "hub"
    entry["weights"] = checkpoint_parts(args.checkpoint, entry["weights"], out)
    args.zoo.write_text(json.dumps(zoo, indent=1) + "\n")
    roles = ", ".join(w["role"] for w in entry["weights"])
    print(f"{args.name}: {roles}; upload with: hf upload {entry['weights'][0]['repo_id']} {out} .")


if __name__ == "__main__":
    main()
