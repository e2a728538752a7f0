"""From a spec to objects: the one low layer that everything which builds goes through.

The public façade (`ganzoo.api`), loading (`ganzoo.loading`), training, metrics and
diagnostics all build here; this module imports only the registry, the specs and the import
helper, never a higher layer. Torch is imported only when a builder is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from ganzoo.errors import ConfigError, DataError, WrongKindError, format_validation_error
from ganzoo.imports import import_string
from ganzoo.registry import get_registry
from ganzoo.specs import (
    ArchitectureSpec,
    DatasetSpec,
    ExtractorSpec,
    LossSpec,
    MetricSpec,
    Spec,
)

if TYPE_CHECKING:
    from ganzoo.gan import GANModel


def config_model(spec: Spec) -> type[BaseModel] | None:
    """The config model a buildable spec names (imported), or None for an entry without options."""
    config_path = getattr(spec, "config", None)
    if not isinstance(config_path, str):
        return None
    return import_string(config_path, f"{spec.kind} {spec.name!r}")  # type: ignore[no-any-return]


def config_defaults(spec: Spec) -> dict[str, Any]:
    """The default options of ``spec``, read from its config model (the one place they live).

    Imports only the config model, which for built-in entries is torch-free, so listings can
    show the defaults without building anything.

    Args:
        spec: An architecture, loss, diagnostic or data set spec.

    Returns:
        ``{option: default}`` as JSON-ready values, for every option that has a default (a
        required option has none to show); ``{}`` for an entry without options.
    """
    config_cls = config_model(spec)
    if config_cls is None:
        return {}
    return {
        name: to_jsonable_python(field.get_default(call_default_factory=True))
        for name, field in config_cls.model_fields.items()
        if not field.is_required()
    }


def make_config(spec: Spec, overrides: dict[str, Any]) -> BaseModel | None:
    """Validate ``overrides`` against the spec's config model, whose field defaults fill the rest."""
    config_cls = config_model(spec)
    if config_cls is None:
        if overrides:
            raise ConfigError(
                f"{spec.kind} {spec.name!r} takes no options (got {sorted(overrides)})"
            )
        return None
    try:
        return config_cls(**overrides)
    except ValidationError as err:
        raise ConfigError(
            format_validation_error(err, f"options for {spec.kind} {spec.name!r}")
        ) from None


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of data set ``name`` (an error suggests close names)."""
    return get_registry().get(name, "dataset").spec  # type: ignore[return-value]


def has_option(data: str | DatasetSpec, field: str) -> bool:
    """Whether data set ``data`` (a name or its spec) takes the build option ``field``."""
    spec = dataset_spec(data) if isinstance(data, str) else data
    cls = config_model(spec)
    return cls is not None and field in cls.model_fields


def at_model_resolution(model_data: DatasetSpec, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` plus the ``resolution`` of a model trained on its data set at another side.

    A model sized for MNIST at 32 px (``--resolution 32``) is compared with MNIST built at 32
    px, so every metric and diagnostic sees samples and references of one shape.
    """
    registered = dataset_spec(model_data.name)
    if (
        "resolution" in options
        or model_data.shape is None
        or registered.shape is None
        or tuple(model_data.shape[1:]) == tuple(registered.shape[1:])
        or not has_option(registered, "resolution")
    ):
        return options
    return {**options, "resolution": int(model_data.shape[-1])}


def architecture_spec(name: str) -> ArchitectureSpec:
    """The spec of architecture ``name`` (an error suggests close names)."""
    return get_registry().get(name, "architecture").spec  # type: ignore[return-value]


def loss_spec(name: str) -> LossSpec:
    """The spec of loss ``name``: what D's scores are under it, whether it saturates."""
    return get_registry().get(name, "loss").spec  # type: ignore[return-value]


def data_spec_of(data: Any, default: str | None = None) -> DatasetSpec:
    """The spec that sizes networks for ``data``.

    Args:
        data: A registered data set name, a path to a folder of images or an array file, a
            ``DatasetSpec``, built data (``TensorData``), or a tensor, numpy array or
            ``torch.utils.data.Dataset`` (sized from its samples and labels); None: ``default``.
        default: The name used for None (an architecture's default data set).

    Raises:
        DataError: The data cannot size a network (a registered data set whose shape comes
            from its files, with no files given; an object ganzoo cannot train on).
    """
    if data is None:
        data = default
    if isinstance(data, str):
        from ganzoo.data.sources import resolve_data_argument

        registered = data in get_registry().names("dataset")
        name, options, _ = resolve_data_argument(data, registered)
        if options:  # an existing path: its files say the shape
            return build_entry(name, **options).spec  # type: ignore[no-any-return]
        data = dataset_spec(name)
    if isinstance(data, DatasetSpec):
        if data.shape is None:
            raise DataError(
                f"data set {data.name!r} takes its shape from its files: build it first and "
                f"pass the result, e.g. data=ganzoo.build({data.name!r}, path=...)"
            )
        return data
    spec = getattr(data, "spec", None)
    if isinstance(spec, DatasetSpec) and spec.shape is not None:  # built data (TensorData)
        return spec
    from ganzoo.data.objects import as_data

    return as_data(data).spec


def build_architecture(spec: ArchitectureSpec, data: Any = None, **overrides: Any) -> GANModel:
    """Build an untrained generator/discriminator pair of ``spec`` sized for ``data``.

    ``data`` is anything `data_spec_of` takes (default: the architecture's default data set).
    """
    from ganzoo.gan import GANModel

    data_spec = data_spec_of(data, spec.default_data)
    if data_spec.modality not in spec.modalities:
        raise DataError(
            f"architecture {spec.name!r} works on {' or '.join(spec.modalities)} data, but data set "
            f"{data_spec.name!r} is {data_spec.modality} data; pick another data set or architecture"
        )
    if spec.conditional and data_spec.num_classes is None:
        raise DataError(
            f"architecture {spec.name!r} is conditional and needs class labels, but data set "
            f"{data_spec.name!r} has none; use an unconditional architecture"
        )
    config = make_config(spec, overrides)
    builder = import_string(spec.builder, f"architecture {spec.name!r}")
    generator, discriminator = builder(config, data_spec)
    return GANModel(generator, discriminator, arch=spec, config=config, data=data_spec)


def build_entry(name: str, /, **overrides: Any) -> Any:
    """Build any registered entry but a pretrained model, by name.

    Architectures are built with `build_architecture` (``data=`` picks the data set); data sets,
    metrics and extractors are called as ``builder(config, spec)``; losses and diagnostics as
    ``builder(config)``.

    Raises:
        ConfigError: an override is not a field of the entry's config model, or has a bad value.
        WrongKindError: ``name`` is a pretrained model, which is loaded (``ganzoo.load``), not built.
        UnknownNameError: ``name`` is not registered (the message suggests close names).
    """
    spec = get_registry().get(name).spec
    if spec.kind == "model":
        raise WrongKindError(f"{name!r} is a pretrained model: use ganzoo.load({name!r})")
    if isinstance(spec, ArchitectureSpec):
        return build_architecture(spec, **overrides)
    config = make_config(spec, overrides)
    builder = import_string(spec.builder, f"{spec.kind} {name!r}")
    if isinstance(spec, DatasetSpec | MetricSpec | ExtractorSpec):
        return builder(config, spec)  # these builders are told which entry they build
    return builder(config)
