"""A per-seed function that runs until a stop signal, as a training run does, for worker tests.

``python -m support.stoppable_seed FOLDER`` maps it over seeds 0, 1 and 2 with two worker
processes (`ganzoo.zoo.jobs.run_seeds`) and exits with the `SeedRunError`'s status.
"""

from __future__ import annotations

import os
import sys
import time
from functools import partial
from pathlib import Path

from ganzoo.training.interrupts import RunInterrupted, catch_signals
from ganzoo.zoo.jobs import SeedRunError, run_seeds


def run_until_stopped(folder: str, seed: int) -> int:
    """Write ``started-S`` (this process's pid), wait for a signal, write ``saved-S``, stop."""
    seen: list[str] = []
    with catch_signals(seen.append):
        (Path(folder) / f"started-{seed}").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    if not seen:
        return seed
    (Path(folder) / f"saved-{seed}").write_text(seen[0])
    raise RunInterrupted(f"interrupted by {seen[0]}; checkpoint saved", seen[0])


if __name__ == "__main__":
    try:
        run_seeds(partial(run_until_stopped, sys.argv[1]), [0, 1, 2], jobs=2)
    except SeedRunError as err:
        print(err, flush=True)
        sys.exit(err.exit_code)
