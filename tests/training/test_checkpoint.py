"""ganzoo.training.checkpoint on its own: round trips, pruning, the latest pointer, damage, atomicity."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch
from torch import nn

import ganzoo.training.checkpoint as ckpt
from ganzoo.errors import CheckpointError
from ganzoo.training.checkpoint import (
    LATEST,
    latest_checkpoint,
    load_checkpoint,
    optimizer_from_files,
    optimizer_to_files,
    save_checkpoint,
)


class Pair:
    """A tiny G/D pair with Adam for G and SGD with momentum for D, as a trainer would hold."""

    def __init__(self, seed: int) -> None:
        torch.manual_seed(seed)
        self.g = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
        self.d = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=1e-2, betas=(0.5, 0.99))
        self.opt_d = torch.optim.SGD(self.d.parameters(), lr=1e-2, momentum=0.9)

    @property
    def modules(self) -> dict[str, nn.Module]:
        return {"generator": self.g, "discriminator": self.d}

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"g": self.opt_g, "d": self.opt_d}

    def step(self, i: int) -> None:
        """One deterministic update of both nets (data depend only on ``i``)."""
        z = torch.Generator().manual_seed(1000 + i)
        x = torch.randn(16, 4, generator=z)
        loss_d = self.d(self.g(x).detach()).mean()
        self.opt_d.zero_grad()
        loss_d.backward()
        self.opt_d.step()
        loss_g = -self.d(self.g(x)).mean()
        self.opt_g.zero_grad()
        loss_g.backward()
        self.opt_g.step()

    def tensors(self) -> dict[str, torch.Tensor]:
        out = {f"g.{k}": v.clone() for k, v in self.g.state_dict().items()}
        out.update({f"d.{k}": v.clone() for k, v in self.d.state_dict().items()})
        return out


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def optimizer_tensors(opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    return optimizer_to_files(opt)[0]


def trained_pair(steps: int = 3) -> Pair:
    pair = Pair(seed=0)
    for i in range(steps):
        pair.step(i)
    return pair


def test_round_trip_restores_weights_buffers_optimizers_and_continues_identically(
    tmp_path: Path,
) -> None:
    pair = trained_pair(3)
    state = {"images": 48, "history": {"loss": [0.5, 0.25]}, "note": "ünïcode"}
    path = save_checkpoint(tmp_path / "checkpoints", 3, pair.modules, pair.optimizers, state)
    assert path == tmp_path / "checkpoints" / "step-0000003"
    for i in range(3, 5):  # the original keeps training
        pair.step(i)
    reference = pair.tensors()

    other = Pair(seed=123)  # different initial weights, empty optimizer state
    assert not torch.equal(other.g[0].weight, trained_pair(3).g[0].weight)
    loaded = load_checkpoint(path, other.modules, other.optimizers)
    assert loaded == {"step": 3, **state}
    assert_same(other.tensors(), trained_pair(3).tensors())
    assert_same(optimizer_tensors(other.opt_g), optimizer_tensors(trained_pair(3).opt_g))
    assert_same(optimizer_tensors(other.opt_d), optimizer_tensors(trained_pair(3).opt_d))
    assert tuple(other.opt_g.param_groups[0]["betas"]) == (0.5, 0.99)  # a list after JSON
    for i in range(3, 5):  # the restored copy continues to the same bits
        other.step(i)
    assert_same(other.tensors(), reference)


def test_checkpoint_is_safetensors_and_json_only(tmp_path: Path) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    assert sorted(p.name for p in path.iterdir()) == [
        "discriminator.safetensors",
        "generator.safetensors",
        "optim_d.safetensors",
        "optim_g.safetensors",
        "rng.safetensors",
        "state.json",
    ]
    meta = json.loads((path / "state.json").read_text())
    assert meta["step"] == 1 and set(meta["optimizers"]) == {"g", "d"}


def test_plain_optimizer_state_travels_through_json() -> None:
    pair = trained_pair(1)
    first = next(iter(pair.opt_d.state))
    pair.opt_d.state[first]["note"] = 7  # a non-tensor value, as some optimizers keep
    tensors, meta = optimizer_to_files(pair.opt_d)
    assert "0.momentum_buffer" in tensors
    assert meta["plain"] == {"0": {"note": 7}}
    meta = json.loads(json.dumps(meta))  # what state.json holds
    other = Pair(seed=1)
    optimizer_from_files(other.opt_d, tensors, meta)
    restored = other.opt_d.state[next(iter(other.opt_d.state))]
    assert restored["note"] == 7
    assert torch.equal(restored["momentum_buffer"], pair.opt_d.state[first]["momentum_buffer"])


def test_optimizer_for_other_parameters_is_refused() -> None:
    pair = trained_pair(1)
    tensors, meta = optimizer_to_files(pair.opt_g)
    wrong = torch.optim.Adam([nn.Parameter(torch.zeros(2))])
    with pytest.raises(CheckpointError, match="does not fit"):
        optimizer_from_files(wrong, tensors, meta)


def test_rng_state_is_restored(tmp_path: Path) -> None:
    pair, other = trained_pair(1), Pair(seed=1)  # built first: building draws random numbers
    torch.manual_seed(42)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    after_save = torch.rand(5)
    torch.manual_seed(7)
    load_checkpoint(path, other.modules, other.optimizers)
    assert torch.equal(torch.rand(5), after_save)


def test_rng_state_is_left_alone_when_asked(tmp_path: Path) -> None:
    pair, other = trained_pair(1), Pair(seed=1)
    torch.manual_seed(42)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    after_save = torch.rand(5)
    torch.manual_seed(7)
    expected = torch.rand(5)
    torch.manual_seed(7)
    load_checkpoint(path, other.modules, other.optimizers, restore_rng=False)
    drawn = torch.rand(5)
    assert torch.equal(drawn, expected) and not torch.equal(drawn, after_save)


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_only_the_last_keep_checkpoints_stay(tmp_path: Path, keep: int) -> None:
    pair = trained_pair(1)
    for step in (5, 10, 15, 20):
        save_checkpoint(tmp_path, step, pair.modules, pair.optimizers, {"s": step}, keep=keep)
    names = sorted(p.name for p in tmp_path.glob("step-*"))
    assert names == [f"step-{s:07d}" for s in (5, 10, 15, 20)][-keep:]
    assert json.loads((tmp_path / LATEST).read_text()) == {"step": 20, "path": "step-0000020"}


def test_latest_pointer_and_its_fallbacks(tmp_path: Path) -> None:
    pair = trained_pair(1)
    for step in (1, 2):
        save_checkpoint(tmp_path, step, pair.modules, pair.optimizers, {})
    assert latest_checkpoint(tmp_path) == tmp_path / "step-0000002"
    # the pointer wins over the folder names
    (tmp_path / LATEST).write_text(json.dumps({"step": 1, "path": "step-0000001"}))
    assert latest_checkpoint(tmp_path) == tmp_path / "step-0000001"
    # a pointer to a folder that is gone falls back to the newest step-* folder
    (tmp_path / LATEST).write_text(json.dumps({"step": 9, "path": "step-0000009"}))
    assert latest_checkpoint(tmp_path) == tmp_path / "step-0000002"
    # no pointer at all: the newest folder too
    (tmp_path / LATEST).unlink()
    assert latest_checkpoint(tmp_path) == tmp_path / "step-0000002"


@pytest.mark.parametrize(
    "content", ['{"step": 2', '{"step": 2}', ""], ids=["truncated", "no-path", "empty"]
)
def test_corrupt_latest_pointer_names_the_file(tmp_path: Path, content: str) -> None:
    pair = trained_pair(1)
    save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {})
    (tmp_path / LATEST).write_text(content)
    with pytest.raises(CheckpointError, match=r"latest\.json is corrupt") as err:
        latest_checkpoint(tmp_path)
    assert str(tmp_path / LATEST) in str(err.value)


def test_no_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=rf"no checkpoint under {tmp_path}"):
        latest_checkpoint(tmp_path)
    (tmp_path / "samples").mkdir()
    with pytest.raises(CheckpointError, match="no checkpoint"):
        latest_checkpoint(tmp_path)


def damage(file: Path, how: str) -> None:
    if how == "missing":
        file.unlink()
    elif how == "truncated":
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 2])
    else:
        file.write_bytes(b"\x00garbage\xff")


@pytest.mark.parametrize("how", ["missing", "truncated", "garbage"])
@pytest.mark.parametrize(
    "name",
    [
        "generator.safetensors",
        "discriminator.safetensors",
        "optim_g.safetensors",
        "optim_d.safetensors",
        "rng.safetensors",
        "state.json",
    ],
)
def test_damaged_file_is_a_checkpoint_error_naming_it(tmp_path: Path, name: str, how: str) -> None:
    pair = trained_pair(2)
    path = save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {"a": 1})
    damage(path / name, how)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, Pair(1).modules, Pair(1).optimizers)
    msg = str(err.value)
    assert str(path) in msg and name in msg, msg


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("null", "lacks optimizers, state, step"),
        ("[]", "lacks optimizers, state, step"),
        ('{"step": 2, "state": {}}', "lacks optimizers"),
        ('{"step": 2, "state": {}, "optimizers": {}}', "no state for the optimizer(s) d, g"),
    ],
    ids=["null", "list", "no-optimizers", "empty-optimizers"],
)
def test_state_json_of_the_wrong_shape_names_the_file(
    tmp_path: Path, content: str, expected: str
) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {})
    (path / "state.json").write_text(content)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, Pair(1).modules, Pair(1).optimizers)
    msg = str(err.value)
    assert str(path) in msg and "state.json" in msg and expected in msg, msg


def test_checkpoint_of_another_model_names_the_file_and_the_difference(tmp_path: Path) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    wider = {"generator": nn.Sequential(nn.Linear(4, 9), nn.BatchNorm1d(9), nn.Linear(9, 3))}
    with pytest.raises(
        CheckpointError,
        match=r"generator\.safetensors.*wrong shapes .*0\.weight: file \(8, 4\) vs model \(9, 4\)",
    ):
        load_checkpoint(path, wider, {})


def test_failed_save_leaves_the_previous_checkpoint_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = trained_pair(1)
    save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {"at": 1})
    saved = pair.tensors()
    pair.step(1)

    real_save_tensors = ckpt.save_tensors

    def failing_save_tensors(tensors, path, metadata=None):
        if Path(path).name == "optim_d.safetensors":  # halfway through the new checkpoint
            Path(path).write_bytes(b"half")
            raise OSError("No space left on device")
        real_save_tensors(tensors, path, metadata)

    monkeypatch.setattr(ckpt, "save_tensors", failing_save_tensors)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {"at": 2})
    monkeypatch.undo()

    assert not (tmp_path / "step-0000002").exists()
    for pointer in (True, False):  # with the pointer, and falling back to the folder names
        if not pointer:
            (tmp_path / LATEST).unlink()
        latest = latest_checkpoint(tmp_path)
        assert latest == tmp_path / "step-0000001"
        other = Pair(seed=5)
        assert load_checkpoint(latest, other.modules, other.optimizers) == {"step": 1, "at": 1}
        assert_same(other.tensors(), saved)

    # the next save succeeds and clears the half-written folder
    save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {"at": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == [LATEST, "step-0000001", "step-0000002"]


def test_failed_resave_of_the_same_step_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 4, pair.modules, pair.optimizers, {"v": "old"})

    def failing_save_module(*args, **kwargs):
        raise OSError("input/output error")

    monkeypatch.setattr(ckpt, "save_module", failing_save_module)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path, 4, pair.modules, pair.optimizers, {"v": "new"})
    monkeypatch.undo()
    assert load_checkpoint(path, Pair(3).modules, Pair(3).optimizers)["v"] == "old"


def test_resaving_a_step_replaces_it(tmp_path: Path) -> None:
    pair = trained_pair(1)
    save_checkpoint(tmp_path, 4, pair.modules, pair.optimizers, {"v": "old"})
    pair.step(1)
    path = save_checkpoint(tmp_path, 4, pair.modules, pair.optimizers, {"v": "new"})
    other = Pair(3)
    assert load_checkpoint(path, other.modules, other.optimizers)["v"] == "new"
    assert_same(other.tensors(), pair.tensors())
    shutil.rmtree(path)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        latest_checkpoint(tmp_path)


# ----------------------------------------------------------------- integrity (issue 17)
def flip_data_bit(file: Path) -> None:
    """Flip one bit of the tensor data (the last byte), leaving the safetensors header intact."""
    data = bytearray(file.read_bytes())
    data[-1] ^= 0x40
    file.write_bytes(bytes(data))


def test_manifest_records_the_sha256_of_every_file(tmp_path: Path) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    files = json.loads((path / "state.json").read_text())["files"]
    assert sorted(files) == sorted(p.name for p in path.iterdir() if p.name != "state.json")
    for name, digest in files.items():
        assert digest == hashlib.sha256((path / name).read_bytes()).hexdigest(), name


@pytest.mark.parametrize(
    "name", ["generator.safetensors", "optim_d.safetensors", "rng.safetensors"]
)
def test_a_flipped_data_bit_is_found_before_anything_loads(tmp_path: Path, name: str) -> None:
    pair = trained_pair(2)
    path = save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {})
    flip_data_bit(path / name)
    other = Pair(1)
    before = other.tensors()
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, other.modules, other.optimizers)
    msg = str(err.value)
    assert str(path) in msg and name in msg and "sha256" in msg, msg
    assert_same(other.tensors(), before)  # verified first: nothing was loaded


def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_intact_one(
    tmp_path: Path,
) -> None:
    pair = trained_pair(1)
    save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {"at": 1})
    saved = pair.tensors()
    pair.step(1)
    newest = save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {"at": 2})
    flip_data_bit(newest / "discriminator.safetensors")
    other = Pair(3)
    path, state, skipped = ckpt.load_latest_intact(tmp_path, other.modules, other.optimizers)
    assert path == tmp_path / "step-0000001" and state == {"step": 1, "at": 1}
    assert len(skipped) == 1 and "step-0000002" in skipped[0]
    assert "discriminator.safetensors" in skipped[0]
    assert_same(other.tensors(), saved)
    # every checkpoint corrupt: the newest one's error, saying the older ones failed too
    flip_data_bit(tmp_path / "step-0000001" / "generator.safetensors")
    with pytest.raises(CheckpointError, match=r"step-0000002.*no older checkpoint loads"):
        ckpt.load_latest_intact(tmp_path, other.modules, other.optimizers)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda m: m.update(step="ten"), "field step"),
        (lambda m: m.update(step=-1), "field step"),
        (lambda m: m.update(state=[1, 2]), "field state"),
        (lambda m: m.update(optimizers=[]), "field optimizers"),
        (lambda m: m["optimizers"].update(g=5), "field optimizers.g"),
        (lambda m: m["optimizers"]["g"].pop("param_groups"), "field optimizers.g.param_groups"),
        (lambda m: m["optimizers"]["d"].update(param_groups=[{"params": "all"}]), "optimizers.d.param_groups"),
        (lambda m: m["optimizers"]["d"].update(plain={"0": 3}), "field optimizers.d.plain"),
        (lambda m: m.update(files={"../x": "00"}), "field files"),
        (lambda m: m.update(files=["generator.safetensors"]), "field files"),
    ],
    ids=[
        "step-str", "step-negative", "state-list", "optimizers-list", "optimizer-int",
        "no-param-groups", "params-str", "plain-int", "files-path", "files-list",
    ],
)  # fmt: skip
def test_wrong_types_in_state_json_name_the_file_and_the_field(
    tmp_path: Path, edit, field: str
) -> None:
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {})
    meta = json.loads((path / "state.json").read_text())
    edit(meta)
    (path / "state.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, Pair(1).modules, Pair(1).optimizers)
    msg = str(err.value)
    assert str(path) in msg and "state.json" in msg and field in msg, msg


def resave(path: Path, name: str, edit) -> None:
    """Change the tensors of one file and record its new sha256 (damage the checksum misses)."""
    tensors = ckpt.read_tensors(path / name)
    edit(tensors)
    ckpt.save_tensors(tensors, path / name)
    meta = json.loads((path / "state.json").read_text())
    meta["files"][name] = hashlib.sha256((path / name).read_bytes()).hexdigest()
    (path / "state.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        ("optim_g.safetensors", lambda t: t.update({"0.exp_avg": torch.zeros(2, 2)}), "shaped (2, 2)"),
        ("optim_g.safetensors", lambda t: t.update({"0.exp_avg": t["0.exp_avg"] * float("nan")}), "NaN"),
        ("optim_d.safetensors", lambda t: t.update({"garbage": torch.zeros(1)}), "optim_d.safetensors"),
        ("optim_d.safetensors", lambda t: t.update({"99.momentum_buffer": torch.zeros(1)}), "parameter 99"),
        ("rng.safetensors", lambda t: t.update(cpu=torch.zeros(3)), "rng.safetensors"),
        ("rng.safetensors", lambda t: t.pop("cpu"), "rng.safetensors"),
        ("generator.safetensors", lambda t: t.update({"0.weight": t["0.weight"] / 0}), "NaN or infinite"),
    ],
    ids=["optim-shape", "optim-nan", "optim-name", "optim-index", "rng-wrong", "rng-missing", "weights-inf"],
)  # fmt: skip
def test_damaged_tensors_name_the_file(tmp_path: Path, name: str, edit, expected: str) -> None:
    pair = trained_pair(2)
    path = save_checkpoint(tmp_path, 2, pair.modules, pair.optimizers, {})
    resave(path, name, edit)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(path, Pair(1).modules, Pair(1).optimizers)
    msg = str(err.value)
    assert str(path) in msg and name in msg and expected in msg and "\n" not in msg, msg


def test_a_checkpoint_without_checksums_still_loads(tmp_path: Path) -> None:
    """Checkpoints written before the manifest had ``files`` (ganzoo 0.1) load unverified."""
    pair = trained_pair(1)
    path = save_checkpoint(tmp_path, 1, pair.modules, pair.optimizers, {"a": 1})
    meta = json.loads((path / "state.json").read_text())
    del meta["files"]
    (path / "state.json").write_text(json.dumps(meta))
    assert load_checkpoint(path, Pair(2).modules, Pair(2).optimizers) == {"step": 1, "a": 1}
