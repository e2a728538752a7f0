"""Real-vs-real floors: what the metrics give for real data, the best a model can hope for.

``python tools/floors.py [--data-root DIR] [-n 10000] [--json]`` (a maintainer script, run from
the repository root; the numbers go to docs/evaluation.md)

MNIST: the first ``n`` training images evaluated as if they were samples, against the 10,000 test
images (FID, precision/recall, density/coverage, NDB), plus the MNIST score and the mode metrics
of the test images themselves. Ring and grid: fresh draws of the mixtures (PacGAN protocol).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ganzoo.metrics import evaluate


def real_floors(n: int = 10_000, data_root: str | None = None) -> dict[str, dict[str, float]]:
    """Floors per data set: ``{"mnist train vs test": {...}, "mnist test": {...}, ...}``."""
    from ganzoo import build

    out: dict[str, dict[str, float]] = {}
    train = build("mnist", train=True, root=data_root, limit=n)
    test = build("mnist", train=False, root=data_root)
    x_train, _ = train.batch(torch.arange(len(train)))
    x_test, _ = test.batch(torch.arange(len(test)))
    t = time.perf_counter()
    res = evaluate(x_train, "mnist", metrics="fid,score,modes,prd,dc,ndb", floors=False)
    out[f"mnist train[:{n}] vs test"] = {**res.metrics, "seconds": time.perf_counter() - t}
    t = time.perf_counter()
    res = evaluate(x_test, "mnist", metrics="score,modes", floors=False)
    out["mnist test (10,000)"] = {**res.metrics, "seconds": time.perf_counter() - t}
    for name in ("ring-8", "grid-25"):
        points = build(name, size=2500, seed=2).x
        res = evaluate(points, name, metrics="mixture", floors=False)
        out[f"{name} 2,500 real draws"] = res.metrics
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the floors as a table or JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None, help="folder holding MNIST/raw ($GANZOO_DATA)")
    p.add_argument("-n", type=int, default=10_000, help="training images used as samples")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    floors = real_floors(args.n, args.data_root)
    if args.json:
        print(json.dumps(floors, indent=2))
        return
    for what, values in floors.items():
        print(what + ": " + ", ".join(f"{k}={v:.4g}" for k, v in values.items()))


if __name__ == "__main__":
    main()
