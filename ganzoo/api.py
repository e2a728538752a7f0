"""The public functions: list, inspect, build, load and train registry entries.

A thin façade over the layers below: the registry (``list_entries``, ``info``), building
(``build``), loading (``load``) and training (``train``). Nothing inside the package imports
this module; only ``ganzoo/__init__.py`` (lazily) and the CLI do. ``list_entries`` and ``info``
never import torch; ``build``, ``load`` and ``train`` import torch only when called.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ganzoo import loading
from ganzoo.building import build_entry, config_defaults
from ganzoo.entries import Entry
from ganzoo.registry import get_registry
from ganzoo.specs import Spec

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


class EntryInfo(Mapping[str, Any]):
    """One registered entry as the public API shows it: its spec, its plugin, its defaults.

    `list_entries` returns a list of these and `info` returns one. Read it as an object
    (``e.spec``, ``e.plugin``, ``e.defaults``, and the spec's fields as attributes:
    ``e.name``, ``e.kind``, ``e.summary``, ``e.modalities``, ...) or as a mapping, which is
    the JSON that ``ganzoo info NAME --json`` prints (the spec's fields as JSON values,
    ``plugin``, and ``defaults`` for an entry built from options).

    Args:
        entry: The registry's entry (its spec and the plugin that registered it).
    """

    def __init__(self, entry: Entry) -> None:
        self.spec: Spec = entry.spec
        """The entry's spec (an ``ArchitectureSpec``, ``LossSpec``, ...)."""
        self.plugin: str = entry.plugin
        """The plugin that registered it (``builtin`` for ganzoo's own)."""

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """Its options' defaults, read from its config model (``{}`` when it takes none)."""
        return (
            config_defaults(self.spec)
            if isinstance(getattr(self.spec, "config", None), str)
            else {}
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``ganzoo info --json``: spec fields, ``plugin``, ``defaults`` if it has options."""
        return dict(self._json)

    @cached_property
    def _json(self) -> dict[str, Any]:
        data = {"plugin": self.plugin, **self.spec.model_dump(mode="json")}
        if isinstance(data.get("config"), str):  # a buildable entry names its config model
            data["defaults"] = self.defaults
        return data

    def __getattr__(self, name: str) -> Any:
        """The spec's field ``name`` (``e.modalities`` is ``e.spec.modalities``)."""
        if name.startswith("_") or name == "spec":
            raise AttributeError(name)
        try:
            return getattr(self.spec, name)
        except AttributeError:
            raise AttributeError(
                f"{self.spec.kind} entry {self.spec.name!r} has no {name!r}"
            ) from None

    def __getitem__(self, key: str) -> Any:
        """A value of the JSON form (``info("dcgan")["defaults"]``)."""
        return self._json[key]

    def __iter__(self) -> Iterator[str]:
        """The keys of the JSON form."""
        return iter(self._json)

    def __len__(self) -> int:
        """The number of keys of the JSON form."""
        return len(self._json)

    def __eq__(self, other: object) -> bool:
        """Equal to another `EntryInfo` of the same spec and plugin, or to its JSON dict."""
        if isinstance(other, EntryInfo):
            return (self.spec, self.plugin) == (other.spec, other.plugin)
        return isinstance(other, Mapping) and dict(self._json) == dict(other)

    # defining __eq__ leaves __hash__ None: like the dict it compares equal to, it is unhashable

    def __dir__(self) -> list[str]:
        """Its own attributes and the spec's fields (for tab completion)."""
        return sorted({*super().__dir__(), *type(self.spec).model_fields})

    def __repr__(self) -> str:
        """``<architecture 'dcgan' (builtin): DCGAN ...>``."""
        return f"<{self.spec.kind} {self.spec.name!r} ({self.plugin}): {self.spec.summary}>"


def list_entries(kind: str | None = None, pattern: str | None = None) -> list[EntryInfo]:
    """Every registered entry of ``kind`` whose name matches ``pattern``.

    Args:
        kind: One of ``architecture``, ``loss``, ``diagnostic``, ``dataset``, ``model``,
            ``metric``, ``extractor``, ``logger`` (plurals work too), or None for all kinds.
        pattern: A shell-style pattern (``*``, ``?``) the name must match; None for all.

    Returns:
        One [`EntryInfo`][ganzoo.api.EntryInfo] per entry (what `info` returns), sorted by
        kind, then naturally by name.
    """
    return [EntryInfo(e) for e in get_registry().list(kind, pattern)]


def info(name: str) -> EntryInfo:
    """Everything the registry knows of ``name``, without importing torch.

    Args:
        name: A registered name of any kind.

    Returns:
        Its [`EntryInfo`][ganzoo.api.EntryInfo]: the spec, the plugin that registered it and,
        for an entry built from options, ``defaults`` read from its config model. As a mapping
        it is what ``ganzoo info NAME --json`` prints.

    Raises:
        UnknownNameError: ``name`` is not registered (the message suggests close names).
    """
    return EntryInfo(get_registry().get(name))


def build(name: str, /, **overrides: Any) -> Any:
    """Build an entry from its spec: an architecture, loss, diagnostic, data set, metric or extractor.

    Overrides are validated against the entry's config model; a bad one raises
    [`ConfigError`][ganzoo.errors.ConfigError] naming the field. For an architecture, ``data=``
    picks the data set (its shape and classes size the networks) and the result is an untrained
    [`GANModel`][ganzoo.gan.GANModel].

    Raises:
        ConfigError: An override is not a field of the entry's config model, or has a bad value.
        WrongKindError: ``name`` is a pretrained model, which is loaded (`load`), not built.
        UnknownNameError: ``name`` is not registered (the message suggests close names).
    """
    return build_entry(name, **overrides)


def load(
    name: str,
    pretrained: bool = True,
    device: Any = None,
    revision: str | None = None,
    parts: str | Iterable[str] | None = None,
    **overrides: Any,
) -> GANModel:
    """A ready model by name.

    * ``"dcgan-mnist"`` (a registered pretrained model): its weights, from the copy bundled in the
      package, else the Hugging Face Hub (sha256-checked).
    * ``"hf-hub:owner/repo"``: any repo that ``ganzoo push`` made (``revision`` pins a commit,
      branch or tag).
    * ``"local-dir:PATH"`` or a training run directory: the same layout on disk.
    * an architecture name with ``pretrained=False``: an untrained model (``data=`` picks the data).

    ``parts`` asks for the networks that fine-tuning needs besides the sampling generator:
    ``"discriminator"`` (in ``model.discriminator``), ``"ema_generator"`` (in
    ``model.ema_generator``), ``"generator"`` (G as trained, in ``model.generator``), several of
    them, or ``"all"``; each is pinned and checked like the generator, and a part the model does
    not publish is a ``WeightsError`` listing those it does. A registered model's discriminator
    may live on the Hub only: it is downloaded (and cached) when asked for.

    ```python
    model = ganzoo.load("hf-hub:alice/gan-ring8", parts=["generator", "discriminator"])
    ```

    Each source has one resolver in ``ganzoo.loading``; the model comes back in eval mode.
    """
    return loading.load(
        name, pretrained=pretrained, device=device, revision=revision, parts=parts, **overrides
    )


def train(
    architecture: str,
    /,
    data: Any = None,
    *,
    out: str | None = None,
    callbacks: list[Any] | None = None,
    progress: bool = True,
    threads: int | None = None,
    **config: Any,
) -> GANModel:
    """Train ``architecture`` in one call and return the trained model.

    A convenience over [`Trainer`][ganzoo.training.loop.Trainer]: it builds the
    ``TrainConfig`` from the keyword arguments, attaches what ``ganzoo train`` attaches (the
    metrics log, the diagnostics, a progress line every 10 records unless ``progress=False``)
    and the given ``callbacks``, runs, and loads the result from the run directory (the EMA
    generator when the run kept one).

    ```python
    model = ganzoo.train("gan", data="ring-8", steps=500, batch_size=256, out="runs/ring")
    model = ganzoo.train("dcgan", data=my_images, steps=1000, ema=0.999)   # a tensor
    ```

    Args:
        architecture: A registered architecture.
        data: A registered data set name, a path to an image folder or array file, or data in
            Python (a tensor, numpy array, ``torch.utils.data.Dataset`` or ``TensorData``);
            None: the architecture's default data set.
        out: The run directory (default ``runs/<arch>-<data>-<time>``).
        callbacks: More [`Callback`][ganzoo.training.callbacks.Callback] objects (e.g.
            ``ganzoo.build("tensorboard")``).
        progress: Print a progress line every 10 records (and alarms).
        threads: CPU threads for torch (None: torch's default; see ``--threads``).
        **config: Any other ``TrainConfig`` field: ``steps``, ``epochs``, ``batch_size``,
            ``loss``, ``seed``, ``ema``, ``architecture_options={...}``, ``data_options``, ...;
            ``init="dcgan-mnist"`` starts G, D and the EMA from a trained model's weights
            (`ganzoo.loading.start_model`) instead of a fresh initialisation.

    Returns:
        The trained model, in eval mode.

    Raises:
        ConfigError: A keyword is not a ``TrainConfig`` field (an architecture option goes in
            ``architecture_options``) or has a bad value.
    """
    from ganzoo.errors import ConfigError
    from ganzoo.hardware import set_threads
    from ganzoo.training.callbacks import Alarms, MetricsLogger, PlainLog
    from ganzoo.training.config import TrainConfig
    from ganzoo.training.loop import Trainer
    from ganzoo.training.watch import DiagnosticsCallback, build_diagnostics

    set_threads(threads)
    unknown = sorted(set(config) - set(TrainConfig.model_fields))
    if unknown:
        options = set(config_defaults(get_registry().get(architecture, "architecture").spec))
        hint = [k for k in unknown if k in options]
        raise ConfigError(
            f"ganzoo.train got unknown keyword(s) {', '.join(unknown)}"
            + (f"; {', '.join(hint)} go in architecture_options={{...}}" if hint else "")
            + f"; TrainConfig's fields are: {', '.join(TrainConfig.model_fields)}"
        )
    named = data is None or isinstance(data, str) or hasattr(data, "__fspath__")
    fields = {"architecture": architecture, "out": out, **config}
    if named and data is not None:
        fields["data"] = str(data)
    train_config = _train_config(fields)
    start = loading.start_model(train_config.init) if train_config.init else None
    trainer = Trainer.create(train_config, data=None if named else data, init=start)
    try:
        trainer.run_dir.mkdir(parents=True, exist_ok=True)
        attached: list[Any] = [MetricsLogger(trainer.run_dir / "metrics.jsonl")]
        diagnostics = build_diagnostics(train_config.diagnostics)
        if diagnostics:
            attached.append(DiagnosticsCallback(diagnostics, train_config.diagnostics_policy))
        attached += list(callbacks or [])
        attached.append(PlainLog(every=10) if progress else Alarms())
        trainer.callbacks.extend(attached)
        trainer.run()
    finally:
        trainer.close()
    return loading.load(str(trainer.run_dir))


def _train_config(fields: dict[str, Any]) -> Any:
    """``TrainConfig(**fields)``, a validation error as one ``ConfigError``."""
    from pydantic import ValidationError

    from ganzoo.errors import ConfigError, format_validation_error
    from ganzoo.training.config import TrainConfig

    try:
        return TrainConfig(**fields)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "ganzoo.train's config")) from None
