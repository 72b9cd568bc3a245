"""`spprov status`: every credential's and app's health, as a table or JSON; exit 1 if broken."""

from __future__ import annotations

from collections.abc import Mapping

import click

from spprov.cli.options import concurrency_option, parse_time
from spprov.cli.progress import Progress
from spprov.cli.workspace import Workspace, current, utc_now
from spprov.errors import ExitCode
from spprov.health import Probe
from spprov.model import Record
from spprov.reconcile.probes import probe_credentials
from spprov.render.status import status_json, status_text
from spprov.usecases.status import Prober, collect_health


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.option("--refresh", is_flag=True,
              help="Exchange every declared credential's refresh token and call the sellers "
                   "API with it (network, decryption).")
@click.option("--at", "at", metavar="TIME", help="Judge expiries as of this ISO 8601 time.")
@concurrency_option
@click.pass_context
def command(ctx: click.Context, as_json: bool, refresh: bool, at: str | None,
            concurrency: int) -> ExitCode:
    """Show every credential and app with its problems; exit 1 when something is broken."""
    now = parse_time(at) if at else utc_now()
    workspace = current(ctx)
    probe = _probe(workspace, concurrency) if refresh else None
    health = collect_health(workspace.desired, workspace.store, workspace.environ, now, probe)
    click.echo(status_json(health) if as_json else status_text(health))
    return ExitCode.ERROR if health.broken() else ExitCode.OK


def _probe(workspace: Workspace, concurrency: int) -> Prober:
    """Probe tokens with a progress line on stderr."""
    def probe(names: list[str], records: Mapping[str, Record]) -> dict[str, Probe]:
        progress = Progress.on_stderr(len(names), "checking tokens", workspace.context.quiet)
        try:
            return probe_credentials(names, records, workspace.store, workspace.lwa(),
                                     workspace.client_secret, concurrency, progress.advance)
        finally:
            progress.finish()
    return probe
