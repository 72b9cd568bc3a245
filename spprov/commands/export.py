"""`spprov export NAME --format F`: hand a credential to another program."""

from __future__ import annotations

import sys

import click

from spprov import context as ctxmod
from spprov.errors import UsageError
from spprov.exports import FORMATS, RENDERERS, ExportedCredential
from spprov.workspace import Workspace


@click.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="env: KEY=value lines; json; python-amazon-sp-api: credentials.yml block.")
@click.option("--reveal", is_flag=True, help="Allow writing the secrets to a terminal.")
@click.pass_context
def command(ctx: click.Context, name: str, fmt: str, reveal: bool) -> None:
    """Write credential NAME with its secrets to stdout (a pipe or a file)."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError("export writes secrets; redirect it to a file or a pipe, "
                         "or add --reveal to show them on this terminal")
    workspace = Workspace(ctxmod.get(ctx))
    try:
        stored = workspace.store.records().get(name)
        if stored is None:
            raise UsageError(f"{name}: no state file; run `spprov apply` first")
        exported = ExportedCredential(stored, workspace.store.decrypt(name).refresh_token,
                                      workspace.client_secret(stored.app))
    finally:
        workspace.close()
    click.echo(RENDERERS[fmt](exported), nl=False)
