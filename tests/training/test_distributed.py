"""Multi-process training (torchrun + gloo on CPU, loopback only).

The pytest side launches torchrun in subprocesses (each with a timeout): ``--nproc_per_node=2``
once on this file's worker (``python tests/training/test_distributed.py worker OUT``), which checks step by
step that both ranks hold identical weights, and on the real CLI (``-m ganzoo train``): a start
on two "machines" (two ``--nnodes=2`` launchers, c10d rendezvous) and a 2-process resume; once
more with ``--max-restarts`` and a rank that dies.
Results are compared with single-process runs on the concatenated batch (batch 2B vs 2 x B).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from ganzoo.training.batches import map_position
from ganzoo.training.config import TrainConfig, make_train_config
from ganzoo.training.loop import Trainer
from ganzoo.weights import read_tensors, save_tensors

REPO = Path(__file__).resolve().parents[2]
TORCHRUN = Path(sys.executable).with_name("torchrun")
LAUNCH_TIMEOUT = 150  # seconds per torchrun launch (about 15-25 s each on 2 busy cores)
B = 16  # per-rank batch; the single-process reference uses 2 * B

RING = {
    "architecture": "gan",
    "data": "ring-8",
    "data_options": {"size": 1024},
    "architecture_options": {
        "g_hidden": [32, 32],
        "d_hidden": [32],
        "dropout": 0.0,
        "g_batchnorm": False,  # per-rank BatchNorm would make 2 x B differ from 1 x 2B
    },
    "log_every": 2,
    "sample_every": 1000,
    "checkpoint_every": 4,
    "diagnostics": [],
    "device": "cpu",
}
DCGAN = {
    "architecture": "dcgan",
    "data": "mnist",
    "data_options": {"limit": 128},
    "architecture_options": {"width": 8, "latent_dim": 16},
    "log_every": 2,
    "sample_every": 1000,
    "checkpoint_every": 1000,
    "diagnostics": [],
    "device": "cpu",
}
SNGAN = {**DCGAN, "architecture": "sngan"}
ATOL = 1e-5  # 2 x B vs 2B differ only in the order of float additions


# ----------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_env() -> dict[str, str]:
    """The environment of a launch (read when called: fixtures set GANZOO_DATA)."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}


def low_free_port() -> int:
    """A free port below the kernel's ephemeral range (32768 and up).

    A restarted group on gloo failed to connect (or hung) in 3 of 3 launches whose rendezvous
    port came from the ephemeral range, and in none of 4 from below it.
    """
    import random

    for port in random.Random().sample(range(20000, 32000), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


def torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``torchrun --nproc_per_node=2`` on loopback with ``args``; fails the test on error/timeout."""
    env = launch_env()
    cmd = [
        str(TORCHRUN),
        "--nproc_per_node=2",
        "--master_addr=127.0.0.1",
        f"--master_port={free_port()}",
        *args,
    ]
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT
        )
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"torchrun did not finish in {LAUNCH_TIMEOUT} s: {err.stderr!r}")
    assert proc.returncode == 0, f"torchrun failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc


def single(base: dict, out: Path, steps: int, batch: int = 2 * B) -> Trainer:
    t = Trainer.create(TrainConfig(**{**base, "out": str(out), "batch_size": batch}))
    for _ in range(steps):
        t.train_step()
    return t


def state(t: Trainer) -> dict[str, torch.Tensor]:
    out = {f"G.{k}": v.detach().clone() for k, v in t.G.state_dict().items()}
    out.update({f"D.{k}": v.detach().clone() for k, v in t.D.state_dict().items()})
    return out


def checkpoint_state(run: Path) -> dict[str, torch.Tensor]:
    ckpt = (
        run / "checkpoints" / json.loads((run / "checkpoints" / "latest.json").read_text())["path"]
    )
    out = {f"G.{k}": v for k, v in read_tensors(ckpt / "generator.safetensors").items()}
    out.update({f"D.{k}": v for k, v in read_tensors(ckpt / "discriminator.safetensors").items()})
    return out


def assert_close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], what: str) -> None:
    assert a.keys() == b.keys(), f"{what}: different keys {set(a) ^ set(b)}"
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=ATOL, rtol=1e-4, msg=f"{what}: {k} differs")


def cli_args(run: Path, *extra: str) -> list[str]:
    return [
        "-m",
        "ganzoo",
        "train",
        "gan",
        "--data",
        "ring-8",
        "--device",
        "cpu",
        "--diagnostics",
        "none",
        "--quiet",
        "--set",
        "data_options.size=1024",
        "--set",
        "architecture_options.g_hidden=[32,32]",
        "--set",
        "architecture_options.d_hidden=[32]",
        "--set",
        "architecture_options.dropout=0.0",
        "--set",
        "architecture_options.g_batchnorm=false",
        "--set",
        "log_every=2",
        "--set",
        "checkpoint_every=4",
        "--set",
        "sample_every=1000",
        "-b",
        str(B),
        "-o",
        str(run),
        *extra,
    ]


def two_node_launch(run: Path, cwd: Path, *extra: str) -> None:
    """Two ``torchrun --nnodes=2`` launchers (one process each) that meet through c10d rendezvous
    on 127.0.0.1 and run ``-m ganzoo train`` into ``run``; fails the test unless both succeed."""
    port = low_free_port()

    def launcher(host: bool) -> subprocess.Popen[str]:
        cmd = [
            str(TORCHRUN), "--nnodes=2", "--nproc_per_node=1", "--rdzv_backend=c10d",
            f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=ganzoo-two-nodes",
            f"--rdzv_conf=is_host={'true' if host else 'false'}", "--max-restarts=0",
            *cli_args(run, *extra),
        ]  # fmt: skip
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            env=launch_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    nodes = [launcher(True), launcher(False)]
    try:
        outs = [p.communicate(timeout=LAUNCH_TIMEOUT) for p in nodes]
    finally:
        for p in nodes:
            if p.poll() is None:
                p.kill()
    for p, (_, err) in zip(nodes, outs, strict=True):
        assert p.returncode == 0, f"a node failed:\n{err[-4000:]}"


# ----------------------------------------------------------------------------- the worker
def _flat(module: torch.nn.Module, buffers: bool) -> torch.Tensor:
    items = list(module.parameters()) + (list(module.buffers()) if buffers else [])
    return torch.cat([t.detach().float().reshape(-1) for t in items])


def _same_on_all_ranks(vec: torch.Tensor) -> bool:
    import torch.distributed as dist

    gathered = [torch.empty_like(vec) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, vec)
    return all(torch.equal(gathered[0], g) for g in gathered[1:])


def worker(out: Path) -> None:
    """Run under torchrun: step-level checks; rank 0 writes ``report.json`` and final weights."""
    import torch.distributed as dist

    from ganzoo.training.callbacks import Callback
    from ganzoo.training.distributed import DistributedStrategy

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    report: dict[str, Any] = {}

    def cfg(base: dict, name: str, **kw: Any) -> TrainConfig:
        return TrainConfig(**{**base, "out": str(out / name), "batch_size": B, **kw})

    cases: list[tuple[str, dict, dict, int, bool]] = [
        # name, base config, overrides, steps, compare buffers across ranks too
        ("ring", RING, {}, 4, True),
        ("ring-r1", RING, {"loss": "r1"}, 4, True),
        ("dcgan", DCGAN, {}, 3, False),  # per-rank BatchNorm: running stats differ per rank
        ("sngan", SNGAN, {}, 2, False),
    ]
    for name, base, kw, steps, buffers in cases:
        t = Trainer.create(cfg(base, name, **kw))
        assert isinstance(t.strategy, DistributedStrategy)  # chosen from torchrun's WORLD_SIZE
        same = []
        for _ in range(steps):
            t.train_step()
            same.append(
                _same_on_all_ranks(_flat(t.G, buffers)) and _same_on_all_ranks(_flat(t.D, buffers))
            )
        if name == "sngan":  # spectral norm's u/v: identical on every rank without communication
            u = torch.cat(
                [b.reshape(-1) for n, b in t.D.named_buffers() if n.endswith(("_u", "_v"))]
            )
            same.append(_same_on_all_ranks(u))
        report[name] = same
        if rank == 0:
            save_tensors(state(t), out / f"{name}.safetensors")

    # resume of a single-process checkpoint (batch 2B, written by the test) on 2 ranks x B
    t = Trainer.create(cfg(RING, "from-single", steps=8), resume=True)
    report["from-single-position"] = [t.step, t.batches_consumed]
    while t.step < 8:
        t.train_step()
    if rank == 0:
        save_tensors(state(t), out / "from-single.safetensors")

    # a stop asked by rank 0's callback stops every rank at the same step (no rank left waiting)
    class StopAt(Callback):
        def on_step(self, trainer: Trainer, record: Any) -> None:
            if record.step >= 4:
                trainer.request_stop("test")

    t = Trainer.create(cfg(RING, "stop", steps=20), callbacks=[StopAt()])
    summary = t.run()
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, [summary["status"], summary["step"]])
    if rank == 0:
        report["stop"] = gathered
        (out / "report.json").write_text(json.dumps(report))
    # The trainers' DDP wrappers hold the group (their reducers): free them all before the group
    # goes, as DistributedStrategy.close does, or a rank can abort at exit ("terminate called
    # without an active exception", seen once in a full run).
    del t
    gc.collect()
    dist.barrier()
    dist.destroy_process_group()


# ----------------------------------------------------------------------------- the tests
def test_map_position() -> None:
    assert map_position(7, 32, 32, 1024) == (7, None)
    # 32 batches of 32 per epoch; 40 batches = epoch 1, 8 batches (256 samples) read
    pos, msg = map_position(40, 32, 64, 1024)
    assert pos == 16 + 4 and msg and "differ" in msg
    pos, _ = map_position(40, 32, 48, 1024)  # 256 / 48 -> batch 6 (nothing read twice)
    assert pos == 21 + 6
    pos, _ = map_position(31, 32, 100, 1024)  # past the last full new batch: next epoch
    assert pos == 10


def test_two_ranks_step_by_step(tmp_path: Path) -> None:
    """Identical weights on both ranks after every step (ring, ring with R1, dcgan, sngan); for
    models without BatchNorm, 2 ranks x B equal one process with 2B; resume 1 -> 2 processes;
    a stop asked on rank 0 stops both ranks."""
    out = tmp_path / "w"
    out.mkdir()
    # the single-process run that the worker resumes on 2 ranks
    first = TrainConfig(
        **{**RING, "out": str(out / "from-single"), "batch_size": 2 * B, "steps": 4}
    )
    Trainer.create(first).run()
    torchrun([str(Path(__file__)), "worker", str(out)], cwd=tmp_path)
    report = json.loads((out / "report.json").read_text())
    for name in ("ring", "ring-r1", "dcgan", "sngan"):
        assert report[name] and all(report[name]), f"{name}: ranks diverged at {report[name]}"
    assert_close(
        read_tensors(out / "ring.safetensors"), state(single(RING, tmp_path / "s1", 4)), "ring"
    )
    assert_close(
        read_tensors(out / "ring-r1.safetensors"),
        state(single({**RING, "loss": "r1"}, tmp_path / "s2", 4)),
        "ring with the R1 penalty",
    )
    assert report["from-single-position"] == [4, 4]
    assert_close(
        read_tensors(out / "from-single.safetensors"),
        state(single(RING, tmp_path / "s3", 8)),
        "resume of a 1-process run on 2 processes",
    )
    assert report["stop"] == [["stopped", 4], ["stopped", 4]]


def test_cli_two_ranks_files_and_resume(tmp_path: Path) -> None:
    """``-m ganzoo train`` on two machines (two ``torchrun --nnodes=2`` launchers meeting through
    c10d rendezvous on 127.0.0.1, one process each): only rank 0 writes; the run is the one a
    single process with the same global batch trains; checkpoints load in one process; resume
    on 2 processes (``torchrun --nproc_per_node=2``) and on 1 process both continue the run that
    2B in one process would be. (The two-machine start used to be a test of its own, beside a
    one-launcher start of this run: one launch of three processes less.)"""
    run = tmp_path / "run"
    two_node_launch(run, tmp_path, "--steps", "4")
    files = sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())
    ckpt = "checkpoints/step-0000004/"
    assert files == sorted(
        [
            "checkpoints/latest.json",
            *(
                ckpt + f
                for f in (
                    "discriminator.safetensors",
                    "generator.safetensors",
                    "optim_d.safetensors",
                    "optim_g.safetensors",
                    "rng.safetensors",
                    "state.json",
                )
            ),
            ".lock",  # rank 0's claim on the directory (issue 17)
            "config.json",
            "data.json",
            "metrics.jsonl",
            "run.json",
            "samples/step-0000004.png",
        ]
    )
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["event"] == "step"] == [2, 4]  # written once, by rank 0
    assert [r["event"] for r in rows].count("end") == 1
    info = json.loads((run / "run.json").read_text())
    assert (info["world_size"], info["batch_size_per_rank"], info["global_batch"]) == (2, B, 2 * B)
    assert json.loads((run / "config.json").read_text())["batch_size"] == B
    meta = json.loads((run / ckpt / "state.json").read_text())["state"]
    assert meta == {"batches_consumed": 4, "global_batch": 2 * B, "world_size": 2}
    weights = checkpoint_state(run)
    assert not any(".module." in k or k.split(".")[1] == "module" for k in weights)
    assert_close(weights, state(single(RING, tmp_path / "ref4", 4)), "2-process run, 4 steps")

    reference = state(single(RING, tmp_path / "ref8", 8))
    # resume on one process with the same global batch (2B): the same run
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(run, one)
    shutil.copytree(run, two)
    saved = json.loads((one / "config.json").read_text())
    cfg = make_train_config(saved, steps=8, batch_size=2 * B, out=str(one))
    t = Trainer.create(cfg, resume=True)
    assert (t.step, t.batches_consumed) == (4, 4)
    t.run()
    assert_close(state(t), reference, "2 -> 1 process resume")
    # on one process with batch B the global batch changed: the position is mapped
    half = Trainer.create(
        make_train_config(cfg.model_dump(), batch_size=B), resume=True, allow_changes=True
    )
    assert half.batches_consumed == 8

    # resume on 2 processes (the CLI, --resume)
    torchrun(["-m", "ganzoo", "train", "--resume", str(two), "--steps", "8", "--quiet"], tmp_path)
    assert_close(checkpoint_state(two), reference, "2 -> 2 process resume")
    rows = [json.loads(line) for line in (two / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["event"] == "step"] == [2, 4, 6, 8]
    assert any(r["event"] == "resume" and "2 processes" in r["message"] for r in rows)


# ----------------------------------------------------- a lost process, more than one machine
def crash_worker(out: Path) -> None:
    """Under ``torchrun --max-restarts=1``: rank 1 dies before step 6 of the first attempt.

    Every attempt runs the same code; `Trainer.create` resumes the run in a restarted group.
    """
    from ganzoo.training.callbacks import MetricsLogger

    t = Trainer.create(TrainConfig(**{**RING, "out": str(out), "batch_size": B, "steps": 8}))
    if t.is_main:
        t.callbacks.append(MetricsLogger(out / "metrics.jsonl"))
    original = t.train_step

    def step() -> None:
        first = os.environ.get("TORCHELASTIC_RESTART_COUNT") == "0"
        if first and t.strategy.rank == 1 and t.step == 5:
            os._exit(1)  # a lost process: no checkpoint, no run.json, no goodbye
        original()

    t.train_step = step  # type: ignore[method-assign]
    try:
        t.run()
    finally:
        t.close()


def test_a_killed_rank_restarts_the_group_which_resumes_to_the_same_weights(
    tmp_path: Path,
) -> None:
    """``torchrun --max-restarts``: a rank dies after the step-4 checkpoint; the restarted group
    resumes from it and ends where an uninterrupted run ends (1 process, batch 2B)."""
    run = tmp_path / "run"
    script = str(Path(__file__).resolve())
    # c10d rendezvous, as torchrun recommends for restarts, on a port below the ephemeral range
    cmd = [
        str(TORCHRUN), "--nnodes=1", "--nproc_per_node=2", "--max-restarts=1",
        "--rdzv-backend=c10d", f"--rdzv-endpoint=127.0.0.1:{low_free_port()}", "--rdzv-id=restart",
        script, "crash", str(run),
    ]  # fmt: skip
    done = subprocess.run(
        cmd,
        cwd=tmp_path,
        env=launch_env(),
        capture_output=True,
        text=True,
        timeout=2 * LAUNCH_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert_close(checkpoint_state(run), state(single(RING, tmp_path / "ref", 8)), "restarted")
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["step"] == 8
    first, second = info["segments"]
    assert first["status"] in ("failed", "lost") and first["from_step"] == 0
    assert second["resumed_from"] == "step-0000004" and second["status"] == "finished"
    notes = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("torchrun restarted the group (restart " in r.get("message", "") for r in notes)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        worker(Path(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "crash":
        crash_worker(Path(sys.argv[2]))
    else:
        sys.exit("usage: torchrun --nproc_per_node=2 tests/training/test_distributed.py worker OUT")
