"""`spprov token NAME`: a fresh access token on stdout, for scripts."""

from __future__ import annotations

import click

from spprov.amazon.lwa import ClientCredentials
from spprov.cli.handout import load_credential, refuse_terminal
from spprov.cli.workspace import current


@click.command("token")
@click.argument("name")
@click.option("--reveal", is_flag=True, help="Allow writing the token to a terminal.")
@click.pass_context
def command(ctx: click.Context, name: str, reveal: bool) -> None:
    """Print a fresh access token for credential NAME (and nothing else) on stdout."""
    refuse_terminal("token", reveal)
    workspace = current(ctx)
    exported = load_credential(workspace, name, lambda close: f"spprov token {close}")
    record = exported.record
    client = ClientCredentials(record.client_id, exported.client_secret, record.app)
    access_token = workspace.lwa().access_token(client, exported.refresh_token, label=name)
    click.echo(access_token.reveal())
