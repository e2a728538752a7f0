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
