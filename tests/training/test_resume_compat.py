"""A run directory written before the seams redesign still resumes, to the same weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ZERO_GRADIENT = {
    ("gan", "generator.safetensors", "net.0.bias"),
    ("gan", "generator.safetensors", "net.1.running_mean"),
}
"""Values that rounding alone decides: the ring G's first bias feeds a BatchNorm, which cancels it,
so its gradient is 0 but for float noise, and Adam turns noise into steps of about the learning
rate (2e-4); the BatchNorm's running mean follows it. The noise differs by CPU (the fixture was
written on an AMD EPYC; an Intel Xeon moves that bias by 1.4e-4 in 9 steps, every other value by
at most 1e-8), so these are held to the 9 steps' largest possible Adam travel."""
ZERO_GRADIENT_ATOL = 9 * 2e-4


@pytest.mark.parametrize("arch", ["dcgan", "gan"])
def test_old_run_resumes_to_the_old_codes_weights(
    arch: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ganzoo.cli import main

    run = tmp_path / f"run-{arch}"
    shutil.copytree(FIXTURES / f"run-0.1-{arch}", run)
    monkeypatch.chdir(tmp_path)
    # `ganzoo train --resume` in this process (a fresh interpreter would add ~8 s of imports; the
    # real subprocess runs are in test_claims_and_interrupts). The fixture was written with 2
    # threads (the CI machine's cores); float sums are split by thread, so another count gives
    # other last bits: --threads 2, and this process's count back afterwards.
    threads = torch.get_num_threads()
    try:
        with pytest.raises(SystemExit) as done:
            main(["train", "--resume", str(run), "--steps", "9", "-q", "--threads", "2"])
    finally:
        torch.set_num_threads(threads)
    assert done.value.code in (0, None), capsys.readouterr().err
    step9 = run / "checkpoints" / "step-0000009"
    expected = FIXTURES / f"run-0.1-{arch}.step9"
    files = sorted(p.name for p in expected.iterdir())
    assert files  # the fixture holds the old code's weights
    for name in files:
        got, want = load_file(step9 / name), load_file(expected / name)
        assert got.keys() == want.keys(), name
        for key in want:
            atol = ZERO_GRADIENT_ATOL if (arch, name, key) in ZERO_GRADIENT else 1e-6
            torch.testing.assert_close(got[key], want[key], rtol=0, atol=atol, msg=f"{name}:{key}")
