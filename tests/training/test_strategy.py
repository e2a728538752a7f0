"""How a run is spread over processes: the strategy is chosen from torchrun's WORLD_SIZE, and a
single-process run never loads the distributed module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganzoo.training.batches import Batches
from ganzoo.training.config import TrainConfig
from ganzoo.training.loop import Trainer
from ganzoo.training.strategy import SingleProcess, choose_strategy

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 256},
    "architecture_options": {"g_hidden": [16], "d_hidden": [16]},
    "batch_size": 16,
    "log_every": 2,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
    "device": "cpu",
}

# A `ganzoo train` in a fresh interpreter, then what it imported and set up.
PROBE = """
import json, sys
from typer.testing import CliRunner
from ganzoo.cli import app
res = CliRunner().invoke(app, sys.argv[2:])
import torch.distributed as dist
print(json.dumps({
    "exit": res.exit_code,
    "output": res.output,
    "ganzoo_distributed": "ganzoo.training.distributed" in sys.modules,
    "group": dist.is_available() and dist.is_initialized(),
}))
"""


def test_single_process_is_chosen_without_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert isinstance(choose_strategy(TrainConfig(architecture="gan")), SingleProcess)
    monkeypatch.setenv("WORLD_SIZE", "1")  # torchrun --nproc_per_node=1: still one process
    assert isinstance(choose_strategy(TrainConfig(architecture="gan")), SingleProcess)


def test_single_process_train_does_not_import_the_distributed_module(tmp_path: Path) -> None:
    args = ["train", "gan", "--data", "ring-8", "--device", "cpu", "--steps", "2", "-q"]
    args += ["--diagnostics", "none", "--set", "data_options.size=256", "-o", str(tmp_path / "r")]
    env = {k: v for k, v in __import__("os").environ.items() if k != "WORLD_SIZE"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "OMP_NUM_THREADS": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.splitlines()[-1])
    assert probe["exit"] == 0 and probe["output"].startswith("finished: 2 steps"), probe
    assert probe["ganzoo_distributed"] is False, "a single-process run imported distributed.py"
    assert probe["group"] is False, "a single-process run set up a process group"


def test_callbacks_do_not_import_the_trainer() -> None:
    code = (
        "import sys; import ganzoo.training.callbacks, ganzoo.training.watch; "
        "print(sorted(m for m in sys.modules if m.startswith('ganzoo.training.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout
    for module in ("loop", "distributed", "strategy", "updates"):
        assert f"ganzoo.training.{module}'" not in loaded, loaded


def test_single_process_strategy_is_inert(tmp_path: Path) -> None:
    t = Trainer.create(TrainConfig(**{**RING, "out": str(tmp_path / "r"), "steps": 2}))
    s = t.strategy
    assert isinstance(s, SingleProcess) and t.is_main and (s.rank, s.world_size) == (0, 1)
    assert s.device == torch.device("cpu")
    acc = torch.tensor([1.0, 2.0])
    s.reduce_stats(acc)
    assert acc.tolist() == [1.0, 2.0]
    assert s.agree_stop(None) is None and s.agree_stop("why") == "why"
    assert s.checkpoint_state() == {} and s.run_info() == {}
    t.run()
    state = json.loads((tmp_path / "r" / "checkpoints" / "step-0000002" / "state.json").read_text())
    assert state["state"] == {"batches_consumed": 2}


def test_single_process_resume_maps_a_multi_process_position() -> None:
    """A checkpoint of 2 ranks x 16 (global batch 32) resumed by one process with batch 16: the
    position, counted in global batches of 32, is mapped to batches of 16."""

    class Data:
        def __len__(self) -> int:
            return 256

    b = Batches(Data(), 16, 0, torch.device("cpu"))
    s = SingleProcess(TrainConfig(architecture="gan", device="cpu"))
    state = {"step": 3, "batches_consumed": 3, "global_batch": 32, "world_size": 2}
    assert s.resume_position(state, b, Path(".")) == (6, "")
    assert s.resume_position({"step": 3, "batches_consumed": 3}, b, Path(".")) == (3, "")


def test_batches_take_this_ranks_rows_of_the_single_process_order() -> None:
    class Data:
        def __len__(self) -> int:
            return 64

        def batch(self, index: torch.Tensor) -> tuple[torch.Tensor, None]:
            return index, None

    one = Batches(Data(), 8, 3, torch.device("cpu"))
    ranks = [Batches(Data(), 4, 3, torch.device("cpu"), rank=r, world_size=2) for r in (0, 1)]
    assert one.per_epoch == ranks[0].per_epoch == 8
    for _ in range(10):  # across the epoch boundary
        whole = one.next_index()
        assert torch.equal(torch.cat([r.next_index() for r in ranks]), whole)
    torch.manual_seed(0)
    z = ranks[1].latents(_G())
    torch.manual_seed(0)
    assert torch.equal(z, _G().sample_latent(8)[4:])


class _G:
    latent_dim, num_classes = 3, None

    def sample_latent(self, n: int, generator: object = None, device: object = None):
        return torch.randn(n, self.latent_dim)
