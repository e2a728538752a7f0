"""Fingerprint every registered pretrained model's samples, to prove a change left them alone.

    python tools/sample_fingerprints.py > before.json      # on the old code
    python tools/sample_fingerprints.py --check before.json  # on the new code: exit 1 on a change

Each model is loaded with ``ganzoo.load`` and sampled on the CPU (64 samples, seed 0, and the
class labels ``arange(64) % classes`` for conditional models); the fingerprint is the sha256 of
the float32 bytes, so "equal" means bit-identical.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path


def fingerprints(n: int = 64, seed: int = 0) -> dict[str, str]:
    """``{model name: sha256 of its samples' bytes}`` for every registered pretrained model."""
    import torch

    import ganzoo

    out = {}
    for spec in ganzoo.list_entries("model"):
        model = ganzoo.load(spec.name, device="cpu")
        classes = model.generator.num_classes
        y = torch.arange(n) % classes if classes else None
        with torch.no_grad():
            x = model.sample(n, y=y, seed=seed).float().contiguous()
        out[spec.name] = hashlib.sha256(x.numpy().tobytes()).hexdigest()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="JSON", help="compare with an earlier output")
    args = parser.parse_args()
    now = fingerprints()
    if not args.check:
        json.dump(now, sys.stdout, indent=2)
        print()
        return 0
    before = json.loads(Path(args.check).read_text())
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for name in sorted(now):
        print(f"{name:24s} {'CHANGED' if name in changed else 'identical'}")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
