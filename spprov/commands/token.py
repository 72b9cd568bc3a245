"""`spprov token NAME`: a fresh access token on stdout, for scripts."""

from __future__ import annotations

import click

from spprov import context as ctxmod
from spprov.errors import UsageError
from spprov.lwa import ClientCredentials
from spprov.workspace import Workspace


@click.command("token")
@click.argument("name")
@click.pass_context
def command(ctx: click.Context, name: str) -> None:
    """Print a fresh access token for credential NAME (and nothing else) on stdout."""
    workspace = Workspace(ctxmod.get(ctx))
    try:
        record = workspace.store.records().get(name)
        if record is None:
            raise UsageError(f"{name}: no state file; run `spprov apply` or "
                             f"`spprov authorize {name}` first")
        refresh_token = workspace.store.decrypt(name).refresh_token
        client = ClientCredentials(record.client_id, workspace.client_secret(record.app))
        access_token = workspace.lwa().access_token(client, refresh_token)
    finally:
        workspace.close()
    click.echo(access_token.reveal())
