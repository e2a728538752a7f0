"""What machine this is, for run records and benchmark tables; which devices it has.

Torch-free at import: `check_device` imports torch when called.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.text import clean


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} CPU"


_DEVICE = re.compile(r"^(auto|cpu|mps|(cuda|xpu)(:\d{1,3})?)$")


def check_device(name: Any) -> Any:
    """The ``torch.device`` for ``name``, checked against what this machine has.

    ``auto`` is CUDA when available, else the CPU. A name that is not a device, or a device this
    machine lacks (``cuda`` without a GPU, ``cuda:3`` on a machine with one), is a
    ``ConfigError`` saying what there is, instead of torch's traceback.

    Args:
        name: ``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``, ``xpu``, or a ``torch.device``.

    Returns:
        The device.

    Raises:
        ConfigError: the name is not a device, or the device is not available here.
    """
    import torch

    text = str(name).strip().lower()
    if not _DEVICE.match(text):
        raise ConfigError(
            f"{clean(name, 60)!r} is not a device: use auto, cpu, cuda, cuda:N, mps or xpu"
        )
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(text)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(
                f"device {text!r}: no CUDA GPU is available here (torch "
                f"{torch.__version__}, CUDA {torch.version.cuda or 'not built in'}); use cpu"
            )
        if device.index is not None and device.index >= count:
            raise ConfigError(
                f"device {text!r}: this machine has {count} GPU(s), cuda:0..cuda:{count - 1}"
            )
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {text!r}: MPS (Apple GPU) is not available here; use cpu")
    elif device.type == "xpu" and not (hasattr(torch, "xpu") and torch.xpu.is_available()):
        raise ConfigError(f"device {text!r}: no Intel XPU is available here; use cpu")
    return device


RETAIN_MMAP_THRESHOLD = 256 << 20
"""Blocks below this size come from the heap once `retain_freed_memory` has run (256 MiB)."""

RETAIN_TRIM_THRESHOLD = 1 << 30
"""Free memory at the top of the heap is given back only beyond this (1 GiB)."""


def retain_freed_memory() -> bool:
    """Make glibc's allocator keep freed memory for reuse instead of returning it to the OS.

    A CPU training step frees and re-allocates the same activations every step (megabytes
    each). With glibc's defaults, blocks that size are mapped and unmapped, or trimmed from the
    top of the heap, so every step faults their pages in again and the kernel zeroes them:
    about 4,000 minor page faults and 10 ms of system time per dcgan/MNIST batch-64 step
    (`docs/benchmarks.md`). Raising ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD`` with
    ``mallopt`` keeps that memory in the process (about 100 faults per step); the process's
    resident memory stays at its peak instead of falling between steps. Nothing computed
    changes. ``ganzoo train`` calls it (it owns its process); call it yourself when training
    from Python. ``GANZOO_MALLOC=system`` leaves the allocator alone.

    Returns:
        True when the settings were applied; False off glibc, or when ``GANZOO_MALLOC=system``.
    """
    import ctypes
    import ctypes.util
    import os

    if os.environ.get("GANZOO_MALLOC", "").strip().lower() == "system":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
    # an older glibc refuses a threshold above 32 MiB: fall back to that
    mapped = bool(mallopt(m_mmap_threshold, RETAIN_MMAP_THRESHOLD)) or bool(
        mallopt(m_mmap_threshold, 32 << 20)
    )
    return mapped and bool(mallopt(m_trim_threshold, RETAIN_TRIM_THRESHOLD))


def set_threads(n: int | None) -> None:
    """Use ``n`` CPU threads for torch's operators in this process (None: leave torch's default).

    Call before any work: ``--threads N`` on ``ganzoo train``, ``sample`` and ``evaluate`` and
    ``ganzoo.train(threads=N)`` do. Imports torch.

    Raises:
        ConfigError: ``n`` is not a whole number >= 1.
    """
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"threads must be a whole number >= 1, got {n!r}")
    import torch

    torch.set_num_threads(n)


def busy_hint() -> str | None:
    """A one-line hint when the machine's cores are already busy, else None.

    When the 1-minute load average exceeds the number of cores, torch's default (one thread
    per core in every process) oversubscribes them and a run is slower than with one thread;
    the hint says so and names ``--threads``. None where the load cannot be read.
    """
    import os

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cores = os.cpu_count() or 1
    if load <= cores:
        return None
    return (
        f"hint: the load average ({load:.1f}) exceeds this machine's {cores} CPU cores; torch's "
        "default of one thread per core oversubscribes them: try --threads 1 "
        "(docs/training.md, 'Threads on shared CPUs')"
    )


def native_bf16(device: Any) -> bool:
    """Whether ``device`` runs bf16 arithmetic natively (what ``amp: auto`` picks bf16 for).

    A CUDA device: ``torch.cuda.is_bf16_supported()``. A CPU: oneDNN's own check, true with
    AVX-512 BF16 or AMX (without them oneDNN emulates bf16, many times slower than fp32:
    docs/benchmarks.md). Other devices: False.
    """
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # a torch build without oneDNN
            return False
    return False
