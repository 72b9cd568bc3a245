"""`spprov status`: every credential's and app's health, as a table or JSON; exit 1 if broken."""

from __future__ import annotations

from datetime import datetime

import click

from spprov.cli.options import concurrency_option, parse_time
from spprov.cli.progress import Progress
from spprov.cli.workspace import Workspace, current, utc_now
from spprov.errors import ExitCode
from spprov.health import Health, Probe
from spprov.reconcile.advice import secret_info
from spprov.reconcile.assess import assess
from spprov.reconcile.probes import probe_credentials
from spprov.render.status import status_json, status_text


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
    health = collect_health(current(ctx), now, refresh, concurrency)
    click.echo(status_json(health) if as_json else status_text(health))
    return ExitCode.ERROR if health.broken() else ExitCode.OK


def collect_health(workspace: Workspace, now: datetime, refresh: bool,
                   concurrency: int) -> Health:
    """Read the declaration, the readable state and (with ``refresh``) probe every token."""
    desired = workspace.desired
    stored = workspace.store.reader.read_all()
    records = stored.records
    secrets = {app: secret_info(app, workspace.store, workspace.environ) for app in desired.apps}
    probes: dict[str, Probe] | None = None
    if refresh:
        names = [c.name for c in desired.credentials if c.name in records]
        progress = Progress.on_stderr(len(names), "checking tokens", workspace.context.quiet)
        try:
            probes = probe_credentials(names, records, workspace.store, workspace.lwa(),
                                       workspace.client_secret, concurrency, progress.advance)
        finally:
            progress.finish()
    return assess(desired, records, secrets, now, probes, stored.unreadable)

