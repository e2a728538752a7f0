"""Registry metadata: the spec is valid, its builder and config model import, defaults build."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from pydantic import BaseModel, ValidationError

from ganzoo.building import config_defaults, config_model, make_config
from ganzoo.entries import Entry
from ganzoo.imports import import_string
from ganzoo.registry import get_registry
from ganzoo.specs import SPEC_TYPES, Spec
from ganzoo.testing._report import expect, fail, step


def entry_of(name: str, kind: str | None = None) -> Entry:
    """The registered entry ``name`` (of ``kind``), or a `ContractError` saying why it is absent."""
    registry = get_registry()
    if name not in registry:
        failed = [p for p in registry.plugins if p.status != "loaded"]
        why = "; ".join(f"plugin {p.name!r} {p.status}: {p.error}" for p in failed)
        raise fail(
            f"{kind or 'entry'} {name!r}",
            "is not registered" + (f" ({why})" if why else ""),
            "install the plugin that registers it (pip install -e .) and check `ganzoo plugins`",
        )
    entry = registry.get(name)
    expect(
        kind is None or entry.kind == kind,
        f"{kind} {name!r}",
        f"is registered as a {entry.kind}, not a {kind}",
        f"call ganzoo.testing.check_{entry.kind}({name!r}) instead",
    )
    return entry


def check_spec(name: str, kind: str | None = None) -> Spec:
    """Check the registry metadata of entry ``name`` and return its spec.

    The spec validates as its kind's model, its builder and config model import, the config
    model forbids unknown options and, unless it has required options (a path), builds from its defaults alone (what ``ganzoo info``
    shows is what gets built), and the names it refers to (default loss and data set, extractor,
    architecture) are registered entries of the right kind.

    Args:
        name: The registered name.
        kind: The kind it must be (None: any).

    Raises:
        ContractError: Something is wrong; the message says what to fix.
    """
    entry = entry_of(name, kind)
    spec = entry.spec
    where = f"{spec.kind} {name!r} (plugin {entry.plugin!r})"
    try:
        SPEC_TYPES[spec.kind].model_validate(spec.model_dump())
    except ValidationError as err:
        raise fail(
            where, f"its spec does not validate: {err}", "correct the spec's fields"
        ) from None
    expect(
        "\n" not in spec.summary,
        where,
        "its summary spans several lines",
        "keep `summary` to one line and put the rest in `description`",
    )
    builder = getattr(spec, "builder", None)
    if builder is not None:
        with step(where, f"importing its builder {builder!r}", "make `builder` name a callable"):
            target = import_string(builder, where)
        expect(
            callable(target),
            where,
            f"builder {builder!r} is not callable",
            "name a function or class",
        )
    if isinstance(getattr(spec, "config", None), str):  # a model's config is the options' values
        _check_config(spec, where)
    _check_references(spec, where)
    return spec


def _check_config(spec: Spec, where: str) -> None:
    fix = "make `config` name a pydantic model whose fields have valid defaults"
    with step(where, f"importing its config model {spec.config!r}", fix):  # type: ignore[union-attr]
        model = config_model(spec)
    expect(
        isinstance(model, type) and issubclass(model, BaseModel),
        where,
        f"config {spec.config!r} is not a pydantic model",  # type: ignore[union-attr]
        fix,
    )
    assert model is not None
    expect(
        model.model_config.get("extra") == "forbid",
        where,
        f"config model {model.__name__} accepts unknown options, so a misspelt option is ignored",
        "set model_config = ConfigDict(extra='forbid')",
    )
    with step(where, "reading its defaults as JSON (ganzoo info)", "give JSON-able defaults"):
        shown = config_defaults(spec)
    if any(f.is_required() for f in model.model_fields.values()):
        return  # options the user must give (a path): nothing builds from defaults alone
    with step(where, "building its config from the defaults alone", fix):
        built = make_config(spec, {})
    actual = built.model_dump(mode="json") if built is not None else {}
    differ = sorted(k for k, v in shown.items() if actual.get(k) != v)
    expect(
        not differ,
        where,
        f"`ganzoo info` shows defaults that differ from what is built for {differ}",
        "do not change option values in validators; put the value in the field's default",
    )


def _check_references(spec: Spec, where: str) -> None:
    registry = get_registry()

    def refers(name: str | None, kind: str, field: str) -> None:
        if name is None:
            return
        ok = name in registry and registry.get(name).kind == kind
        expect(ok, where, f"{field}={name!r} is not a registered {kind}", f"name a {kind} entry")

    if spec.kind == "architecture":
        refers(spec.default_loss, "loss", "default_loss")
        for loss in spec.compatible_losses:
            refers(loss, "loss", "compatible_losses")
        expect(
            not spec.compatible_losses or spec.default_loss in spec.compatible_losses,
            where,
            f"default_loss {spec.default_loss!r} is not among compatible_losses",
            "add it to compatible_losses or pick another default_loss",
        )
        refers(spec.default_data, "dataset", "default_data")
        data = registry.get(spec.default_data).spec
        expect(
            data.modality in spec.modalities,  # type: ignore[union-attr]
            where,
            f"default_data {spec.default_data!r} is {data.modality} data, but modalities are "  # type: ignore[union-attr]
            f"{spec.modalities}",
            "pick a default data set of a modality the architecture takes",
        )
    elif spec.kind == "metric":
        refers(spec.extractor, "extractor", "extractor")
    elif spec.kind == "model":
        refers(spec.architecture, "architecture", "architecture")
        refers(spec.dataset, "dataset", "dataset")
        arch = registry.get(spec.architecture).spec
        with step(where, "validating its config against the architecture's", "fix `config`"):
            make_config(arch, dict(spec.config))


def check_plugin_loads(plugin: str) -> list[str]:
    """Check that plugin ``plugin`` loaded and that its module imports without torch.

    ``ganzoo list`` imports every plugin module, so a plugin module (and the config models it
    names) must stay free of torch and other heavy imports; this imports them in a fresh
    interpreter and looks.

    Args:
        plugin: The entry-point name (``pacgan = "ganzoo_pacgan.plugin"`` is plugin ``pacgan``).

    Returns:
        The names of the entries the plugin registered.

    Raises:
        ContractError: It did not load, or importing it pulls in torch.
    """
    infos = {p.name: p for p in get_registry().plugins}
    where = f"plugin {plugin!r}"
    expect(plugin in infos, where, "was not found", "install it; entry-point group 'ganzoo'")
    info = infos[plugin]
    expect(info.status == "loaded", where, f"{info.status}: {info.error}", "see `ganzoo plugins`")
    configs = sorted(
        {
            str(getattr(get_registry().get(n).spec, "config", None)).split(":")[0]
            for n in info.entries
            if isinstance(getattr(get_registry().get(n).spec, "config", None), str)
        }
    )
    modules = [str(info.value).split(":")[0], *configs]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "print(','.join(sorted(k for k in ('torch', 'numpy', 'PIL') if k in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    expect(
        out.returncode == 0,
        where,
        f"importing {modules} failed: {out.stderr[-500:]}",
        "fix the import",
    )
    heavy = out.stdout.strip()
    expect(
        "torch" not in heavy,
        where,
        f"importing its module or config models ({', '.join(modules)}) imports {heavy}, and "
        "`ganzoo list` imports every plugin",
        "import torch only in the builder modules that specs name by import string",
    )
    return list(info.entries)


def options_for(name: str, options: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """The options given for entry ``name`` in a ``{name: options}`` table (none: ``{}``)."""
    return dict((options or {}).get(name, {}))
