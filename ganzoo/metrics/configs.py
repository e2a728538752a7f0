"""Options of the built-in feature extractors (torch-free: ``ganzoo info`` reads their defaults)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InceptionConfig(BaseModel):
    """Options of the ``inception-v3`` extractor.

    Where the weights come from, in order: ``weights``, else ``$GANZOO_INCEPTION_WEIGHTS``, else
    torch-fidelity's file in the torch hub cache (``$TORCH_HOME/hub/checkpoints``), else a download
    from torch-fidelity's release URL into that cache (when ``download`` is true). Every file is
    checked against the pinned sha256 before it is loaded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: str | None = Field(
        None,
        description="Path of weights-inception-2015-12-05-6726825d.pth (the FID Inception "
        "weights torch-fidelity downloads); None: $GANZOO_INCEPTION_WEIGHTS or the torch hub cache.",
    )
    download: bool = Field(
        True, description="Download the weights with torch-fidelity's URL when no file is found."
    )
    batch_size: int = Field(50, ge=1, description="Images per forward pass.")
    device: str | None = Field(None, description="e.g. cpu or cuda (None: cuda when available).")
