"""``ganzoo push`` and ``ganzoo pull``: the Hugging Face Hub from the command line.

torch and huggingface_hub are imported inside the commands only, so ``ganzoo list`` stays fast.
"""

from __future__ import annotations

import typer

from ganzoo.cli.output import table


def push_command(
    source: str = typer.Argument(
        ..., help="A training run directory, a model folder, or a pretrained model's name."
    ),
    repo: str = typer.Option(..., "--repo", help="Hub repo id, owner/name (created if needed)."),
    private: bool = typer.Option(False, "--private", help="Create the repo private."),
    revision: str | None = typer.Option(
        None, "--revision", help="Branch to commit to (created from main if new)."
    ),
    reproduce: str | None = typer.Option(
        None, "--reproduce", help="The command that reproduces the weights (for the model card)."
    ),
) -> None:
    """Push a model to the Hub in one commit. The token comes from HF_TOKEN or `hf auth login`."""
    from ganzoo.hub import push

    url = push(source, repo, private=private, revision=revision, reproduce=reproduce)
    oid = getattr(url, "oid", None) or str(url).rstrip("/").rsplit("/", 1)[-1]
    typer.echo(f"pushed {source} to {repo}" + (f" (branch {revision})" if revision else ""))
    typer.echo(f"commit {oid}: {url}")
    typer.echo(f'load it with: ganzoo.load("hf-hub:{repo}", revision="{oid}")')


def pull_command(
    repo: str = typer.Argument(..., help="Hub repo id, owner/name."),
    revision: str | None = typer.Option(
        None, "--revision", help="Branch, tag or commit id (default: main)."
    ),
) -> None:
    """Download a model repo into the Hugging Face cache; print its folder and a summary."""
    from ganzoo.hub_client import pull
    from ganzoo.loading import load_local_dir
    from ganzoo.model_folder import read_folder_config

    folder = pull(repo, revision=revision)
    config = read_folder_config(folder)
    model = load_local_dir(folder)
    typer.echo(str(folder))
    n_g = sum(p.numel() for p in model.generator.parameters())
    n_d = sum(p.numel() for p in model.discriminator.parameters()) if model.discriminator else 0
    plugin = config.get("architecture_plugin") or {}
    shape = "x".join(str(s) for s in model.data.shape)
    rows = [
        ["architecture", f"{config['architecture']} ({plugin.get('distribution') or '?'})"],
        ["dataset", f"{model.data.name} ({model.data.modality}, {shape})"],
        ["config", ", ".join(f"{k}={v}" for k, v in (config.get("config") or {}).items())],
        ["parameters", f"G {n_g:,}" + (f", D {n_d:,}" if model.discriminator else "")],
        ["metrics", ", ".join(f"{k}={v:.4g}" for k, v in (config.get("metrics") or {}).items())],
        ["reproduce", config.get("reproduce") or ""],
        ["ganzoo", str(config.get("ganzoo_version", "?"))],
    ]
    table(f"hf-hub:{repo}" + (f"@{revision}" if revision else ""), ["field", "value"], rows)


def register(app: typer.Typer) -> None:
    """Add push and pull."""
    app.command("push")(push_command)
    app.command("pull")(pull_command)
