"""The ``README.md`` model card of a saved or pushed ganzoo model.

YAML front matter (``library_name: ganzoo``, tags, data set, metrics as ``model-index``) followed by
the sample grid, the metrics table, the reproduce command and how to load the model. Written from
the folder's ``config.json`` alone, so it never imports torch. Scalars are written as JSON strings,
which are valid YAML, so no YAML library is needed.
"""

from __future__ import annotations

import json
from typing import Any

from ganzoo.text import clean, fence, table_cell

SAMPLES_FILE = "samples.png"
"""The sample grid (64 samples, seed 0) the card shows."""


def _q(value: Any) -> str:
    """A YAML scalar: JSON quoting is valid YAML and escapes everything that needs it."""
    return json.dumps(value)


def front_matter(
    config: dict[str, Any], repo_id: str | None = None, modality: str = "image"
) -> str:
    """The YAML metadata block (between ``---`` lines) the Hub indexes."""
    arch = config["architecture"]
    dataset = config["dataset"]
    metrics: dict[str, float] = config.get("metrics") or {}
    tags = list(dict.fromkeys(["gan", "ganzoo", arch, dataset]))
    lines = ["---", "library_name: ganzoo", "tags:"]
    lines += [f"- {_q(t)}" for t in tags]
    lines += ["datasets:", f"- {_q(dataset)}"]
    if config.get("license"):
        lines.append(f"license: {_q(str(config['license']).lower())}")
    if modality == "image":
        lines.append("pipeline_tag: unconditional-image-generation")
    if metrics:
        task = "unconditional-image-generation" if modality == "image" else "other"
        lines.append("metrics:")
        lines += [f"- {_q(k)}" for k in metrics]
        lines += [
            "model-index:",
            f"- name: {_q(repo_id or f'{arch}-{dataset}')}",
            "  results:",
            "  - task:",
            f"      type: {task}",
            "      name: Unconditional generation",
            "    dataset:",
            f"      name: {_q(dataset)}",
            f"      type: {_q(dataset)}",
            "    metrics:",
        ]
        for k, v in metrics.items():
            lines += [f"    - type: {_q(k)}", f"      name: {_q(k)}", f"      value: {_q(v)}"]
    lines.append("---")
    return "\n".join(lines)


def render(config: dict[str, Any], repo_id: str | None = None, modality: str = "image") -> str:
    """The whole model card for a folder whose ``config.json`` holds ``config``.

    ``repo_id`` (when pushing) titles the card and fills the load example; ``modality`` (the
    data set's, ``"image"`` or ``"points"``) picks the Hub pipeline tag.
    """
    arch = config["architecture"]
    dataset = config["dataset"]
    plugin = config.get("architecture_plugin") or {}
    metrics: dict[str, float] = config.get("metrics") or {}
    reproduce = config.get("reproduce")
    arch, dataset = clean(arch, 64), clean(dataset, 64)
    title = repo_id or f"{arch} on {dataset}"
    source = f"hf-hub:{repo_id}" if repo_id else "local-dir:PATH/TO/THIS/FOLDER"
    parts = [
        front_matter(config, repo_id, modality),
        "",
        f"# {title}",
        "",
        f"A **{arch}** GAN trained on **{dataset}**, saved by ganzoo "
        f"{config.get('ganzoo_version', '')}.",
    ]
    dist = plugin.get("distribution")
    if dist and dist != "torch-ganzoo":
        parts += [
            "",
            # written at save time from the installed plugin's metadata, not from a repo's text
            f"The architecture comes from the plugin {_code(plugin.get('name'))}: "
            f"{_code(f'pip install {dist}')} (version {clean(plugin.get('version'), 64)} saved it).",
        ]
    parts += ["", "## Samples", "", f"![64 samples, seed 0]({SAMPLES_FILE})", ""]
    parts += ["## Metrics", ""]
    spread = config.get("spread") or {}
    if metrics and spread:
        mean, std, band = spread.get("mean", {}), spread.get("std", {}), spread.get("band", {})
        seeds = len(spread.get("seeds", []))
        parts += [
            f"| metric | these weights | mean ± std over {seeds} training seeds | tolerance band |",
            "| --- | --- | --- | --- |",
        ]
        parts += [
            f"| {table_cell(k)} | {_number(v)} | "
            + (f"{_number(mean[k])} ± {_number(std[k])}" if k in mean and k in std else "-")
            + " | "
            + (f"{_number(band[k][0])} .. {_number(band[k][1])}" if k in band else "-")
            + " |"
            for k, v in metrics.items()
        ]
    elif metrics:
        parts += ["| metric | value |", "| --- | --- |"]
        parts += [f"| {table_cell(k)} | {_number(v)} |" for k, v in metrics.items()]
    else:
        parts.append("No metrics were recorded for these weights.")
    if config.get("checkpoint"):
        parts += ["", f"Checkpoint: {clean(config['checkpoint'], 2000)}."]
    parts += ["", "## Reproduce", ""]
    if reproduce:  # a fence the command cannot close, whatever backticks it holds
        parts += [fence(reproduce, "bash")]
    else:
        parts.append("No reproduce command was recorded.")
    if config.get("license"):
        parts += [
            "",
            "## Licence",
            "",
            f"The weights are released under {_code(config['license'])}.",
        ]
    cfg = json.dumps(config.get("config", {}), indent=2, sort_keys=True)
    parts += [
        "",
        "## Use",
        "",
        "```python",
        "import ganzoo",
        "",
        f'model = ganzoo.load("{source}")',
        "samples = model.sample(16, seed=0)  # values in [-1, 1]",
        "```",
        "",
        "Architecture config:",
        "",
        fence(cfg, "json"),
        "",
    ]
    return "\n".join(parts)


def _code(text: Any) -> str:
    """``text`` as inline code that cannot be closed from inside (backticks and bars removed)."""
    return "`" + clean(text, 100).replace("`", "'").replace("|", "/") + "`"


def _number(value: Any) -> str:
    """A metric value in the table: six significant digits, or the value cleaned if not a number."""
    return f"{value:.6g}" if isinstance(value, int | float) else table_cell(value)
