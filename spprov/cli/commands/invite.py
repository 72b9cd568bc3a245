"""`spprov invite NAME...`: invitation links a seller opens to consent through the relay."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import click

from spprov.cli.workspace import current, plan_for, utc_now
from spprov.errors import ExitCode, UsageError
from spprov.escape import log_line

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``1s``, ``30m``, ``12h``, ``7d`` or ``2w``."""
    found = re.fullmatch(r"([1-9][0-9]{0,6})([smhdw])", text.strip())
    if found is None:
        raise UsageError(f"--expires {text!r}: not a duration; write e.g. 30m, 12h or 7d")
    return timedelta(seconds=int(found[1]) * _UNITS[found[2]])


@click.command("invite")
@click.option("--expires", default="7d", show_default=True, metavar="DURATION",
              help="How long the links work (e.g. 30m, 12h, 7d).")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@click.pass_context
def command(ctx: click.Context, expires: str, as_json: bool, names: tuple[str, ...]) -> ExitCode:
    """Invite sellers to consent: one link per credential that waits for a consent.

    The link opens the app's relay (`relay:` in the app's declaration); the invitation is
    recorded under state/invitations/ (never the link's secret, which is printed once).
    """
    lifetime = parse_duration(expires)
    workspace = current(ctx)
    workspace.desired  # noqa: B018 - loads and validates the declaration first
    invited = []
    with workspace.store.writer.lock():
        plan = plan_for(workspace, utc_now(), names)
        inviter = workspace.inviter(lifetime)
        for change in plan.changes:
            if change.name not in names:
                continue
            if not change.action.needs_person:
                click.echo(log_line(f"{change.name}: needs no consent ({change.action.value}); "
                                    "nothing to invite"), err=True)
                continue
            invited.append(inviter.invite(change))
    if as_json:
        click.echo(json.dumps({"format_version": 1, "invitations": [
            {"name": i.name, "link": i.link, "invitation_id": i.record.invitation_id,
             "relay": i.record.relay, "action": i.record.action,
             "expires_at": i.record.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
            for i in invited]}, indent=2))
    else:
        for item in invited:
            click.echo(f"{item.name}: {item.link}")
    return ExitCode.OK
