"""`spprov render PATH`: print a template's rendered text (what validate checks)."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.cli.workspace import current
from spprov.declaration.loader import render_template


@click.command("render")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def command(ctx: click.Context, path: Path) -> None:
    """Print the text of PATH after rendering (*.j2 with Jinja2; plain YAML as it is).

    Line numbers in `spprov validate` messages about a template are lines of this text.
    """
    context = contexts.get(ctx)
    variables = current(ctx).template_variables()
    click.echo(render_template(context.here / path, context.display, variables), nl=False)
