"""Bad input and a hostile environment give one line of error and a non-zero exit, never a traceback.

Runs ``ganzoo.cli.main`` in this process (a subprocess per case would cost seconds of torch
import each); ``test_cli.py`` checks the real console entry point. Each case here raised a
traceback before issue 17's fixes.
"""

from __future__ import annotations

import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganzoo.cli import main


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(code: int, err: str, needle: str) -> None:
    assert code != 0, err
    assert "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert needle in err, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sample", "dcgan-mnist", "--device", "cuda"], "no CUDA GPU"),
        (["sample", "dcgan-mnist", "--device", "bogus"], "'bogus' is not a device"),
        (["sample", "dcgan-mnist", "-n", "0"], "0 is not in 1..4096"),
        (["sample", "dcgan-mnist", "-n", "-3"], "-3 is not in 1..4096"),
        (["sample", "dcgan-mnist", "-n", "10000000"], "10000000 is not in 1..4096"),
        (["sample", "dcgan-mnist", "--seed", str(2**64)], "unsigned 64-bit"),
        (["sample", "dcgan-mnist", "-n", "abc"], "valid integer"),
        (["sample", "dcgan-mnist", "--class", "3"], "unconditional"),
        (["sample", ""], "load() takes a model name"),
        (["evaluate", "dcgan-mnist", "-n", "0"], "not in 1..200000"),
        (["diagnose", "dcgan-mnist", "--seed", "-1"], "unsigned 64-bit"),
        (["train", "dcgan", "--epochs", "inf"], "inf is not a finite number"),
        (["train", "dcgan", "--epochs", "nan"], "not a finite number"),
        (["train", "dcgan", "--lr-g", "-1"], "must be > 0"),
        (["train", "dcgan", "--ema", "1.5"], "must be < 1"),
        (["train", "dcgan", "--seed", str(2**70)], "unsigned 64-bit"),
        (["train", "dcgan", "--device", "cuda:7"], "cuda:7"),
        (["nonsense"], "No such command"),
    ],
)
def test_bad_option_values_are_one_line(args, needle, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(args, capsys)
    assert_one_line(code, err, needle)
    assert not list(tmp_path.iterdir())  # nothing was written


def test_known_errors_keep_their_traceback_under_ganzoo_debug(capsys, monkeypatch) -> None:
    from ganzoo.errors import UnknownNameError

    monkeypatch.setenv("GANZOO_DEBUG", "1")
    with pytest.raises(UnknownNameError):
        main(["info", "mnst"])


def test_error_text_from_outside_cannot_drive_the_terminal(capsys) -> None:
    code, _, err = run_main(["info", "mnist\x1b[2J\x1b]0;pwned\x07\nerror: fake"], capsys)
    assert_one_line(code, err, "unknown name")
    assert "\x1b" not in err and "\x07" not in err and "\\x1b[2J" in err


@pytest.mark.parametrize("suffix", [".png", ".npz", ".pt", ".safetensors"])
@pytest.mark.parametrize(
    ("errno_", "needle"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_failing_disk_is_one_line_and_leaves_no_file(
    errno_, needle, suffix, capsys, tmp_path, monkeypatch
) -> None:
    """The disk gives out after the bytes are written: one line, no output, no temporary file."""

    def failing_fsync(fd: int) -> None:
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr(os, "fsync", failing_fsync)
    import safetensors.torch

    real_save_file = safetensors.torch.save_file

    def failing_save_file(tensors, filename, metadata=None):
        real_save_file(tensors, filename, metadata=metadata)
        raise OSError(errno_, os.strerror(errno_), str(filename))

    monkeypatch.setattr(safetensors.torch, "save_file", failing_save_file)
    monkeypatch.setattr("ganzoo.weights.save_file", failing_save_file)
    out = tmp_path / f"samples{suffix}"
    code, _, err = run_main(["sample", "gan-mnist", "-n", "4", "-o", str(out)], capsys)
    assert_one_line(code, err, needle)
    assert list(tmp_path.iterdir()) == []


def test_output_whose_directory_is_a_file_is_one_line(capsys, tmp_path) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "x.npz"
    code, _, err = run_main(["sample", "gan-mnist", "-n", "4", "-o", str(out)], capsys)
    assert_one_line(code, err, "File exists")


def test_output_into_a_missing_directory_creates_it(capsys, tmp_path) -> None:
    out = tmp_path / "new" / "dir" / "x.npz"
    code, _, err = run_main(["sample", "gan-mnist", "-n", "4", "-o", str(out)], capsys)
    assert code == 0 and out.is_file(), err


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    n=st.one_of(st.integers(), st.text(max_size=6)),
    seed=st.one_of(st.integers(min_value=-(2**80), max_value=2**80), st.sampled_from(["x", "1e3"])),
)
def test_sample_numeric_options_never_traceback(n, seed, capsys) -> None:
    """Any -n and --seed: either accepted by the parser or one line of usage error (exit 2).

    ``--device bogus`` makes every accepted combination stop right after parsing, before a
    model is loaded, so each example costs milliseconds.
    """
    args = ["sample", "gan-ring-8", "-n", str(n), "--seed", str(seed), "--device", "bogus"]
    code, _, err = run_main(args, capsys)
    assert "Traceback" not in err and err.count("\n") == 1 and code in (1, 2), err


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    epochs=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5)),
    lr=st.floats(allow_nan=True, allow_infinity=True),
    steps=st.integers(min_value=-(2**70), max_value=2**70),
)
def test_train_numeric_options_never_traceback(epochs, lr, steps, capsys) -> None:
    """Any --epochs, --lr-g, --steps: a one-line error, never a traceback (no training starts:
    the architecture name is unknown, which is checked after the options parse)."""
    args = ["train", "no-such-arch", "--epochs", str(epochs), "--lr-g", str(lr)]
    args += ["--steps", str(steps)]
    code, _, err = run_main(args, capsys)
    assert "Traceback" not in err and err.count("\n") == 1 and code in (1, 2), err
