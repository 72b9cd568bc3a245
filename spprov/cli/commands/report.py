"""`spprov report --html FILE --ics FILE`: the fleet report, from readable fields only."""

from __future__ import annotations

import click

from spprov.cli import context as contexts
from spprov.cli.options import parse_time
from spprov.cli.outputs import write_output
from spprov.cli.workspace import current, utc_now
from spprov.errors import ExitCode, UsageError
from spprov.reconcile.fleet import readable_health
from spprov.render.report.html import report_html
from spprov.render.report.ics import report_ics


@click.command("report")
@click.option("--html", "html_file", metavar="FILE", help="Write the HTML page to FILE.")
@click.option("--ics", "ics_file", metavar="FILE", help="Write the iCalendar to FILE.")
@click.option("--at", "at", metavar="TIME", help="Judge expiries as of this ISO 8601 time.")
@click.pass_context
def command(ctx: click.Context, html_file: str | None, ics_file: str | None,
            at: str | None) -> ExitCode:
    """Write the fleet report: a self-contained HTML page (renewals per week for 12 months
    by app, what expires first, client secret ages, problems by kind) and/or an iCalendar
    of every renewal window and rotation deadline. No network, nothing decrypted."""
    if not (html_file or ics_file):
        raise UsageError("say what to write: --html FILE, --ics FILE or both")
    workspace, context = current(ctx), contexts.get(ctx)
    health = readable_health(workspace.desired, workspace.store, workspace.environ,
                             parse_time(at) if at else utc_now())
    if html_file:
        write_output(context.here / html_file, html_file, report_html(health))
        context.err(f"wrote {html_file} ({len(health.credentials)} credentials, "
                    f"{len(health.apps)} apps)")
    if ics_file:
        write_output(context.here / ics_file, ics_file, report_ics(health).decode("utf-8"))
        context.err(f"wrote {ics_file}")
    return ExitCode.OK
