"""The strict schema of a model folder's ``config.json``: what a repo may say, bounded.

A model folder or Hub repo is untrusted input. Its ``config.json`` is validated as a whole
before any of it is used: every field's type, every string's characters and length (names are
registry names, file names are plain ``.safetensors`` names inside the folder, the reproduce
command is one printable line), every number finite, every size bounded (the data set's shape,
its classes, the architecture options' structure). `validate_folder_config` raises one
``WeightsError`` line naming each bad field. Torch-free.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ganzoo.errors import WeightsError, format_validation_error
from ganzoo.text import clean, expanded_size

MAX_CONFIG_BYTES = 1 << 20
"""The largest ``config.json`` read (1 MiB); ganzoo writes a few KiB."""
MAX_OPTION_NODES = 1_000
"""The most values the architecture options may hold (nested values counted)."""
MAX_SIDE = 4096
"""The largest dimension of a data set's sample shape."""
MAX_SAMPLE_SIZE = 1 << 24
"""The most values of one sample (e.g. 3 x 2048 x 2048 fits)."""

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64)]
"""A registry name."""
FieldName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
"""An option or metric name."""
Distribution = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$", max_length=100)
]
"""A Python distribution name (PEP 508)."""
Version = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+!_-]{0,63}$")]
"""A version string (PEP 440 characters)."""
FileName = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.safetensors$", max_length=120)
]
"""A weight file: a plain name inside the folder (no directory, no drive, no ``..``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class PluginRecord(_Strict):
    """What a saved model records of the plugin that provided its architecture."""

    name: Name | None = None
    distribution: Distribution | None = None
    version: Version | None = None


class WeightFiles(_Strict):
    """The weight file of each role."""

    generator: FileName
    discriminator: FileName | None = None


License = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")]
"""A licence identifier (SPDX, e.g. ``Apache-2.0``)."""


class SpreadRecord(_Strict):
    """A model's figures over several training seeds and the tolerance band of each."""

    seeds: list[int] = Field(min_length=1, max_length=100)
    mean: dict[FieldName, float] = Field(default_factory=dict, max_length=64)
    std: dict[FieldName, float] = Field(default_factory=dict, max_length=64)
    band: dict[FieldName, list[float]] = Field(default_factory=dict, max_length=64)

    @field_validator("band")
    @classmethod
    def _pairs(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        for key, pair in value.items():
            if len(pair) != 2 or not pair[0] <= pair[1]:
                raise ValueError(f"band {key} must be [low, high] with low <= high")
        return value


class FolderConfig(_Strict):
    """A model folder's ``config.json`` (format ``ganzoo``)."""

    format: Literal["ganzoo"]
    ganzoo_version: Version | None = None
    architecture: Name
    architecture_plugin: PluginRecord | None = None
    config: dict[FieldName, Any] = Field(default_factory=dict, max_length=64)
    dataset: Name
    dataset_spec: dict[FieldName, Any] | None = None
    metrics: dict[FieldName, float] = Field(default_factory=dict, max_length=64)
    reproduce: str | None = Field(None, max_length=2000)
    files: WeightFiles
    license: License | None = None
    spread: SpreadRecord | None = None
    checkpoint: str | None = Field(
        None, max_length=2000, description="How the weights' checkpoint was chosen (one line)."
    )

    @field_validator("config")
    @classmethod
    def _bounded_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        if expanded_size(value, MAX_OPTION_NODES) > MAX_OPTION_NODES:
            raise ValueError(f"holds over {MAX_OPTION_NODES} values")
        _check_values(value)
        return value

    @field_validator("dataset_spec")
    @classmethod
    def _bounded_data(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if expanded_size(value, MAX_OPTION_NODES) > MAX_OPTION_NODES:
            raise ValueError(f"holds over {MAX_OPTION_NODES} values")
        _check_values(value, limit=2000)  # a spec's summary and description are prose
        shape = value.get("shape")
        if shape is not None:
            if not isinstance(shape, list) or not 1 <= len(shape) <= 4:
                raise ValueError("shape must be a list of 1 to 4 sizes")
            if not all(isinstance(s, int) and 1 <= s <= MAX_SIDE for s in shape):
                raise ValueError(f"every size of shape must be in 1..{MAX_SIDE}, got {shape}")
            if math.prod(shape) > MAX_SAMPLE_SIZE:
                raise ValueError(f"a sample of shape {shape} has over {MAX_SAMPLE_SIZE} values")
        classes = value.get("num_classes")
        if classes is not None and not (isinstance(classes, int) and 2 <= classes <= 100_000):
            raise ValueError("num_classes must be in 2..100000")
        return value

    @field_validator("reproduce", "checkpoint")
    @classmethod
    def _one_printable_line(cls, value: str | None) -> str | None:
        if value is not None and clean(value, 2000) != value:
            raise ValueError("must be one line of printable characters")
        return value


def _check_values(node: Any, depth: int = 0, limit: int = 200) -> None:
    """Options hold JSON values: short printable strings, finite numbers, shallow nesting."""
    if depth > 6:
        raise ValueError("is nested too deeply")
    if isinstance(node, dict):
        for k, v in node.items():
            _check_values(k, depth + 1, limit)
            _check_values(v, depth + 1, limit)
    elif isinstance(node, list):
        for v in node:
            _check_values(v, depth + 1, limit)
    elif isinstance(node, str):
        if len(node) > limit or clean(node, limit) != node:
            raise ValueError("holds a string that is too long or not printable")
    elif isinstance(node, float) and not math.isfinite(node):
        raise ValueError("holds a number that is not finite")
    elif isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**53:
        raise ValueError("holds an integer out of range")


def validate_folder_config(raw: Any, where: str) -> FolderConfig:
    """Validate a parsed ``config.json`` as a whole.

    Args:
        raw: The parsed JSON.
        where: The file, for the message.

    Returns:
        The validated config.

    Raises:
        WeightsError: any field is missing, of the wrong type or out of bounds (one line
            naming each, with bounded previews of the values).
    """
    if not isinstance(raw, dict):
        raise WeightsError(f"{where} is not a ganzoo config (not a JSON object)")
    if raw.get("format") != "ganzoo":
        raise WeightsError(f"{where} is not a ganzoo config (its 'format' is not 'ganzoo')")
    try:
        return FolderConfig.model_validate(raw)
    except ValidationError as err:
        raise WeightsError(
            format_validation_error(err, f"config.json at {where}")
            + "; the folder or repo was not written by `ganzoo push`/save_pretrained, or was "
            "changed since"
        ) from None
