"""`spprov show PLANFILE`: what a saved plan does, and whether it is still current."""

from __future__ import annotations

import click

from spprov.cli import context as contexts
from spprov.cli.workspace import current
from spprov.errors import ExitCode, UsageError
from spprov.reconcile import savedplan
from spprov.reconcile.showplan import view_saved_plan
from spprov.render.saved import show_json, show_markdown, show_text


@click.command("show")
@click.argument("plan_file", metavar="PLANFILE")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.option("--markdown", is_flag=True, help="Markdown for a pull-request comment.")
@click.pass_context
def command(ctx: click.Context, plan_file: str, as_json: bool, markdown: bool) -> ExitCode:
    """Show the saved plan PLANFILE (from `spprov plan --out`) and whether it is current.

    No network, no decryption, nothing written; exit 0 whether current or stale (the JSON
    says which in `current`).
    """
    if as_json and markdown:
        raise UsageError("choose one of --json and --markdown")
    workspace = current(ctx)
    context = contexts.get(ctx)
    saved = savedplan.load(context.here / plan_file, plan_file)
    view = view_saved_plan(saved, context, workspace.template_variables(),
                           lambda: (workspace.desired, workspace.store.reader.read_all(),
                                    workspace.store.files.stored_apps()))
    if as_json:
        click.echo(show_json(view))
    elif markdown:
        click.echo(show_markdown(view))
    else:
        click.echo(show_text(view, color=context.color))
    return ExitCode.OK
