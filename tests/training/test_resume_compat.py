"""A run directory written before the seams redesign still resumes, to the same weights."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("arch", ["dcgan", "gan"])
def test_old_run_resumes_to_the_old_codes_weights(arch: str, tmp_path: Path) -> None:
    run = tmp_path / f"run-{arch}"
    shutil.copytree(FIXTURES / f"run-0.1-{arch}", run)
    done = subprocess.run(
        [sys.executable, "-m", "ganzoo", "train", "--resume", str(run), "--steps", "9", "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        # the fixture was written with 2 threads (the CI machine's cores); float sums are split by
        # thread, so another count gives other last bits
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    assert done.returncode == 0, done.stderr
    step9 = run / "checkpoints" / "step-0000009"
    expected = FIXTURES / f"run-0.1-{arch}.step9"
    files = sorted(p.name for p in expected.iterdir())
    assert files  # the fixture holds the old code's weights
    for name in files:
        got, want = load_file(step9 / name), load_file(expected / name)
        assert got.keys() == want.keys(), name
        for key in want:
            torch.testing.assert_close(got[key], want[key], rtol=0, atol=1e-6, msg=f"{name}:{key}")
