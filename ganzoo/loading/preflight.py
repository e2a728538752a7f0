"""Check that a saved model's config and weight files agree before allocating anything.

A model folder or Hub repo is untrusted: a few hundred bytes of ``config.json`` can ask for
networks of billions of parameters. Before any real tensor is allocated, the architecture is
built on torch's ``meta`` device (shapes only, no memory) and its state dict is compared, key by
key and shape by shape, with the headers of the weight files (read without their data). A
mismatch, or a model over `MAX_PARAMETERS`, is a ``WeightsError``; only a config that
describes exactly the tensors the files hold is built for real. The memory a load takes is
then what the downloaded weight files hold.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganzoo.building import build_architecture
from ganzoo.errors import WeightsError
from ganzoo.specs import ArchitectureSpec, DatasetSpec
from ganzoo.text import clean

MAX_PARAMETERS = 2**31
"""The most values (parameters and buffers) a loaded model may have: 8 GiB in fp32."""
MAX_HEADER_BYTES = 16 << 20
"""The largest safetensors header read (16 MiB; ganzoo's are a few KiB)."""
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1}
DTYPE_BYTES |= {"U8": 1, "BOOL": 1}

Shapes = dict[str, tuple[int, ...]]


def header_shapes(path: Path) -> Shapes:
    """The tensor shapes a safetensors file declares, read from its header only.

    The header must be well-formed and consistent with the file: each tensor's byte range lies
    inside the file and has the size its dtype and shape need.

    Args:
        path: The weight file.

    Returns:
        ``{key: shape}``.

    Raises:
        WeightsError: the file is missing, or its header is malformed or inconsistent.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            (length,) = struct.unpack("<Q", head) if len(head) == 8 else (-1,)
            if not 0 < length <= min(MAX_HEADER_BYTES, size - 8):
                raise ValueError(f"header length {length} does not fit a {size}-byte file")
            header = json.loads(fh.read(length))
    except FileNotFoundError:
        raise WeightsError(f"weight file {path} does not exist") from None
    except (OSError, ValueError, struct.error) as err:
        raise WeightsError(
            f"{path} is not a readable safetensors file ({clean(err, 200)})"
        ) from None
    if not isinstance(header, dict):
        raise WeightsError(f"{path}: its safetensors header is not a JSON object")
    data_bytes = size - 8 - length
    shapes: Shapes = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(o) for o in info["data_offsets"])
            need = math.prod(shape) * DTYPE_BYTES[info["dtype"]]
            ok = all(s >= 0 for s in shape) and 0 <= begin <= end <= data_bytes
            if not ok or end - begin != need:
                raise ValueError("offsets do not fit the file")
        except (KeyError, TypeError, ValueError) as err:
            raise WeightsError(
                f"{path}: tensor {clean(key, 80)!r} has a malformed header entry ({clean(err, 80)})"
            ) from None
        shapes[key] = shape
    return shapes


def meta_shapes(
    arch: ArchitectureSpec, data: str | DatasetSpec, options: Mapping[str, Any]
) -> dict[str, Shapes]:
    """The state-dict shapes of each network the config describes, allocating nothing.

    Args:
        arch: The architecture's spec.
        data: The data set (name or spec) the networks are sized for.
        options: The architecture options.

    Returns:
        ``{"generator": shapes, "discriminator": shapes}`` (no discriminator key if it has none).

    Raises:
        ConfigError: an option is invalid for the architecture.
        WeightsError: the networks would have over `MAX_PARAMETERS` values.
    """
    import torch

    with torch.device("meta"):
        model = build_architecture(arch, data=data, **dict(options))
    out = {"generator": _shapes(model.generator)}
    if model.discriminator is not None:
        out["discriminator"] = _shapes(model.discriminator)
    total = sum(math.prod(s) for shapes in out.values() for s in shapes.values())
    if total > MAX_PARAMETERS:
        raise WeightsError(
            f"the config describes networks of {total:,} values, over ganzoo's limit of "
            f"{MAX_PARAMETERS:,}: refusing to build them"
        )
    return out


def _shapes(module: Any) -> Shapes:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def check_weights_fit(expected: dict[str, Shapes], files: Mapping[str, Path], where: str) -> None:
    """Refuse weight files whose tensors are not exactly those the config describes.

    Args:
        expected: `meta_shapes` of the config.
        files: The weight file of each role present.
        where: The folder or repo, for the message.

    Raises:
        WeightsError: a role's file has other keys or shapes, naming the parameter counts.
    """
    for role, path in files.items():
        if role not in expected:
            raise WeightsError(f"{where} holds {role} weights but its architecture has no {role}")
        if not path.is_file():
            raise WeightsError(f"{where} has no {role} weights: {path.name} is missing")
        have = header_shapes(path)
        want = expected[role]
        if have == want:
            continue
        n_have = sum(math.prod(s) for s in have.values())
        n_want = sum(math.prod(s) for s in want.values())
        missing = sorted(set(want) - set(have))
        unexpected = sorted(set(have) - set(want))
        shapes = [
            f"{clean(k, 60)}: file {have[k]} vs model {want[k]}"
            for k in sorted(set(have) & set(want))
            if have[k] != want[k]
        ]
        detail = "; ".join(
            f"{label} {_few([clean(k, 60) for k in keys])}"
            for label, keys in (
                ("missing keys", missing),
                ("unexpected keys", unexpected),
                ("wrong shapes", shapes),
            )
            if keys
        )
        raise WeightsError(
            f"{where}: its config.json describes a {role} of {n_want:,} values, but "
            f"{path} holds {n_have:,} ({detail}); the config and the weights do not belong "
            "together, so nothing was built"
        )


def _few(items: list[str], n: int = 5) -> str:
    head = ", ".join(items[:n])
    return head + (f" (and {len(items) - n} more)" if len(items) > n else "")
