"""The built-in zoo, registered exactly as a third-party plugin registers its entries.

Entry point (in ganzoo's own pyproject.toml):

```toml
[project.entry-points.ganzoo]
builtin = "ganzoo.builtin"
```
"""

from __future__ import annotations

from collections.abc import Callable

from ganzoo.hookspecs import hookimpl
from ganzoo.specs import (
    ArchitectureSpec,
    DatasetSpec,
    DiagnosticSpec,
    ExtractorSpec,
    LoggerSpec,
    LossSpec,
    MetricSpec,
    ModelSpec,
)


@hookimpl
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    """Register the built-in architectures (``ganzoo/models/catalog.py``)."""
    from ganzoo.models.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)


@hookimpl
def register_losses(register: Callable[[LossSpec], None]) -> None:
    """Register the built-in losses (``ganzoo/losses/catalog.py``)."""
    from ganzoo.losses.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)


@hookimpl
def register_diagnostics(register: Callable[[DiagnosticSpec], None]) -> None:
    """Register the built-in diagnostics (``ganzoo/diagnostics/catalog.py``)."""
    from ganzoo.diagnostics.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)


@hookimpl
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register the built-in data sets (``ganzoo/data/catalog.py``)."""
    from ganzoo.data.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)


@hookimpl
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register the built-in pretrained models (``ganzoo/pretrained/catalog.py``)."""
    from ganzoo.pretrained.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)


@hookimpl
def register_metrics(register: Callable[[MetricSpec], None]) -> None:
    """Register the built-in metrics (``ganzoo/metrics/catalog.py``)."""
    from ganzoo.metrics.catalog import METRICS

    for spec in METRICS:
        register(spec)


@hookimpl
def register_extractors(register: Callable[[ExtractorSpec], None]) -> None:
    """Register the built-in feature extractors (``ganzoo/metrics/catalog.py``)."""
    from ganzoo.metrics.catalog import EXTRACTORS

    for spec in EXTRACTORS:
        register(spec)


@hookimpl
def register_loggers(register: Callable[[LoggerSpec], None]) -> None:
    """Register the built-in experiment loggers (``ganzoo/training/loggers/catalog.py``)."""
    from ganzoo.training.loggers.catalog import ENTRIES

    for spec in ENTRIES:
        register(spec)
