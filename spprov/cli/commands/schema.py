"""`spprov schema`: print the JSON Schema of credential files (the copy installed with spprov)."""

from __future__ import annotations

import click

from spprov.declaration.schema import packaged_schema


@click.command("schema")
def command() -> None:
    """Print the JSON Schema of credential files, for editors and other validators.

    `spprov init` keeps a copy in .spprov/credentials.schema.json; redirect this output
    there after an upgrade, or run `spprov init` again.
    """
    click.echo(packaged_schema(), nl=False)
