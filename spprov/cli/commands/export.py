"""`spprov export NAME --format F`: hand a credential to another program."""

from __future__ import annotations

import click

from spprov.cli.handout import load_credential, refuse_terminal
from spprov.cli.workspace import current
from spprov.render.exports import FORMATS, RENDERERS


@click.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="env: KEY=value lines; json; python-amazon-sp-api: credentials.yml block.")
@click.option("--reveal", is_flag=True, help="Allow writing the secrets to a terminal.")
@click.pass_context
def command(ctx: click.Context, name: str, fmt: str, reveal: bool) -> None:
    """Write credential NAME with its secrets to stdout (a pipe or a file)."""
    refuse_terminal("export", reveal)
    exported = load_credential(current(ctx), name,
                               lambda close: f"spprov export {close} --format {fmt}")
    click.echo(RENDERERS[fmt](exported), nl=False)
