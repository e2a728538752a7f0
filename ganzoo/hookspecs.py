"""The plugin contract: one hook per kind of registry entry.

A plugin is a module (or object) with ``@hookimpl`` functions, named by an entry point in the
``ganzoo`` group of its distribution:

```toml
# pyproject.toml of your package
[project.entry-points.ganzoo]
pacgan = "ganzoo_pacgan.plugin"
```

```python
# ganzoo_pacgan/plugin.py
from ganzoo import hookimpl
from ganzoo.specs import ArchitectureSpec

@hookimpl
def register_architectures(register):
    register(ArchitectureSpec(name="pacgan", summary="...", builder="ganzoo_pacgan.model:build"))
```

Rules every hook follows:

* A hook receives one argument, ``register``, and calls it once per entry with a spec from
  [`ganzoo.specs`][ganzoo.specs] of the hook's kind. It returns nothing.
* Hooks must be cheap: they build specs and import nothing heavy (no torch). Builders are named by
  import strings and imported only when the entry is built.
* Names are global across kinds: a name means one thing everywhere. Registering a name another
  plugin already holds fails your plugin with an error that names both.
* A plugin whose module fails to import, or whose hook raises or registers something invalid, is
  skipped as a whole (none of its entries are kept) and reported by ``ganzoo plugins``; the other
  plugins are unaffected. ``GANZOO_STRICT_PLUGINS=1`` turns that into an error.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

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

PROJECT = "ganzoo"
"""The pluggy project name, which is also the entry-point group plugins are found in."""
hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks the hook specifications below."""
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin's hook implementations (``from ganzoo import hookimpl``)."""


@hookspec
def register_architectures(register: Callable[[ArchitectureSpec], None]) -> None:
    """Register generator/discriminator pairs.

    The spec's ``builder`` is called as ``builder(config, data)`` where ``config`` is an instance of
    the spec's ``config`` model (its field defaults updated with the user's overrides) and ``data``
    is the [`DatasetSpec`][ganzoo.specs.DatasetSpec] trained on. It returns
    ``(generator, discriminator)``, instances of [`Generator`][ganzoo.interfaces.Generator] and
    [`Discriminator`][ganzoo.interfaces.Discriminator].

    Args:
        register: Call it once per entry with an [`ArchitectureSpec`][ganzoo.specs.ArchitectureSpec].
    """


@hookspec
def register_losses(register: Callable[[LossSpec], None]) -> None:
    """Register GAN objectives.

    The builder is called as ``builder(config)`` and returns a
    [`GANLoss`][ganzoo.interfaces.GANLoss]. The spec declares what D's scores are under the loss
    (``scores``: "logits" or "critic") and whether G's objective saturates (``saturating``); the
    progress display and the detectors read these, never the loss's name.

    Args:
        register: Call it once per entry with a [`LossSpec`][ganzoo.specs.LossSpec].
    """


@hookspec
def register_diagnostics(register: Callable[[DiagnosticSpec], None]) -> None:
    """Register training-failure detectors.

    The builder is called as ``builder(config)`` and returns a
    [`Diagnostic`][ganzoo.interfaces.Diagnostic]. ``enabled_by_default`` decides whether
    ``ganzoo train`` attaches it without being asked.

    Args:
        register: Call it once per entry with a [`DiagnosticSpec`][ganzoo.specs.DiagnosticSpec].
    """


@hookspec
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register data sets.

    The builder is called as ``builder(config, spec)``, where ``spec`` is the ``DatasetSpec``
    being built (so one builder can serve several entries and never looks its own spec up). It
    returns a ``ganzoo.data.tensor_data.TensorData`` that carries ``spec``: the whole data set as
    one tensor scaled to [-1, 1] (plus labels if it has classes).

    Args:
        register: Call it once per entry with a [`DatasetSpec`][ganzoo.specs.DatasetSpec].
    """


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register pretrained models: an architecture entry, its config, and pinned weight files.

    Args:
        register: Call it once per entry with a [`ModelSpec`][ganzoo.specs.ModelSpec].
    """


@hookspec
def register_metrics(register: Callable[[MetricSpec], None]) -> None:
    """Register evaluation metrics for ``ganzoo evaluate --metrics NAME``.

    The builder is called as ``builder(config, spec)``, where ``spec`` is the ``MetricSpec``
    being built, and returns a [`Metric`][ganzoo.interfaces.Metric]. Evaluation calls its
    ``compute(generated, reference)`` with two [`SampleSet`][ganzoo.interfaces.SampleSet] objects (the
    samples, and a real reference split of the same data set) and records the returned
    ``{key: value}`` (keys as declared in ``spec.outputs``), the same for the real-vs-real floor,
    and ``spec.params`` in the result's protocol. The spec says which data a metric fits
    (``modalities``, ``datasets``, ``needs``), the extractor whose features it reads (its
    ``SampleSet.features``; raw values where ``raw_fallback`` allows), the samples it needs
    (``min_samples``), and for which data sets it is part of the default set (``default_on``,
    ``fallback``).

    Args:
        register: Call it once per entry with a [`MetricSpec`][ganzoo.specs.MetricSpec].
    """


@hookspec
def register_extractors(register: Callable[[ExtractorSpec], None]) -> None:
    """Register feature extractors that metrics name in ``MetricSpec.extractor``.

    The builder is called as ``builder(config, spec)`` and returns a
    [`FeatureExtractor`][ganzoo.interfaces.FeatureExtractor]. Its weights must be checked against
    ``spec.sha256`` when they load: a result's protocol records that hash (and
    ``spec.protocol_name``) as the extractor its numbers came from. ``modalities`` and
    ``datasets`` say which data it fits.

    Args:
        register: Call it once per entry with an [`ExtractorSpec`][ganzoo.specs.ExtractorSpec].
    """


@hookspec
def register_loggers(register: Callable[[LoggerSpec], None]) -> None:
    """Register experiment loggers for ``ganzoo train --log NAME``.

    The builder is called as ``builder(config)`` and returns a
    [`Callback`][ganzoo.training.callbacks.Callback] the run reports to: subclass
    [`ExperimentLogger`][ganzoo.training.loggers.ExperimentLogger] and implement its five
    ``write_*`` methods and ``close`` to get scalars, sample grids, alarms and hyperparameters
    in the shape every built-in logger sends them. A logger whose library is optional lists it
    in ``requires`` (import names) and says how to get it in ``install``; import the library in
    the builder, never in the plugin module, so ``ganzoo list`` stays fast.

    Args:
        register: Call it once per entry with a [`LoggerSpec`][ganzoo.specs.LoggerSpec].
    """


HOOKS: dict[str, str] = {
    "architecture": "register_architectures",
    "loss": "register_losses",
    "diagnostic": "register_diagnostics",
    "dataset": "register_datasets",
    "model": "register_models",
    "metric": "register_metrics",
    "extractor": "register_extractors",
    "logger": "register_loggers",
}
"""Hook name of each kind."""
