"""`spprov app rotate-secret APP`: Amazon rotates the client secret, spprov stores the new one."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import click

from spprov.cli.workspace import Workspace, current, utc_now
from spprov.errors import ExitCode, UsageError
from spprov.hints import client_secret_variable
from spprov.model import App
from spprov.reconcile.planner import days_until

AGE = re.compile(r"^([0-9]{1,5})d$")


@click.command("rotate-secret")
@click.argument("app")
@click.option("--if-older-than", "older_than", metavar="DAYS",
              help="Rotate only when the stored secret is at least this old, e.g. 150d; "
                   "with --on-expiry-notice, rotate when either says so.")
@click.option("--wait", default=300, show_default=True, type=click.IntRange(0, 3600),
              metavar="SECONDS", help="How long to wait for Amazon's notification.")
@click.option("--pending-only", is_flag=True,
              help="Only collect a notification already in the queue; never rotate.")
@click.option("--on-expiry-notice", is_flag=True,
              help="Rotate only when Amazon's APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notice "
                   "for the app waits in the queue (what Amazon recommends; for nightly jobs).")
@click.pass_context
def command(ctx: click.Context, app: str, older_than: str | None, wait: int,
            pending_only: bool, on_expiry_notice: bool) -> ExitCode:
    """Rotate APP's LWA client secret and store the new one encrypted.

    Needs `notifications` (an SQS queue) declared for the app and registered by a person in
    the Developer Console's Notification Preferences ("Application Client New Secret" and,
    for --on-expiry-notice, "Application Client Secret Expiry"), boto3 (the aws extra:
    `pip install boto3` in spprov's environment) and AWS credentials from the usual AWS
    sources. A notification left in the queue by an interrupted run is used first, without
    rotating again; one older
    than the stored secret, or whose secret LWA refuses, is deleted and reported.
    """
    if pending_only and on_expiry_notice:
        raise UsageError("--pending-only and --on-expiry-notice exclude each other")
    workspace = current(ctx)
    declared = _declared(workspace, app)
    now = utc_now()
    old: bool | None = None
    if older_than is not None:
        old = _old_enough(workspace, app, older_than, now, say=not on_expiry_notice)
        if not old and not on_expiry_notice:
            return ExitCode.OK
    from spprov.amazon.sqs import Queue
    from spprov.reconcile.rotation import Rotator, Trigger, rotation_endpoint

    endpoint = rotation_endpoint(workspace.desired, app)
    assert declared.notifications is not None
    queue = Queue(declared.notifications, workspace.environ)
    store = workspace.store
    trigger = Trigger.NEVER if pending_only else (
        Trigger.ON_EXPIRY_NOTICE if on_expiry_notice and not old else Trigger.ALWAYS)
    rotator = Rotator(declared, endpoint, workspace.lwa(), queue, store,
                      lambda: workspace.client_secret(app), utc_now, workspace.context.err,
                      wait, trigger)
    with store.writer.lock(wait=10.0):
        result = rotator.run()
    if result.skipped:
        young = "" if older_than is None else f", and it is younger than {older_than}"
        click.echo(f"app {app}: no APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notice waiting in "
                   f"{queue.shown}{young}; not rotating (--on-expiry-notice)")
        return ExitCode.OK
    shown = workspace.context.display(store.files.app_path(app))
    if not result.rotated_now:
        click.echo(f"app {app}: used the notification of an earlier rotation (none requested "
                   "now)")
    click.echo(f"stored the new client secret of app {app} in {shown}" if result.stored else
               f"the new client secret of app {app} was already stored in {shown}")
    click.echo(_old_secret_line(result.old_secret_expires_at, now))
    if result.new_secret_expires_at is not None:
        when = result.new_secret_expires_at.astimezone(UTC).strftime("%Y-%m-%d")
        click.echo(f"the new client secret expires on {when} (in "
                   f"{days_until(result.new_secret_expires_at, now)} days)")
    variable = client_secret_variable(app)
    if variable in workspace.environ:
        workspace.context.err(f"note: {variable} is set and takes precedence over {shown}: "
                              "update it (e.g. the CI secret) before the old secret stops "
                              "working")
    return ExitCode.OK


def _declared(workspace: Workspace, app: str) -> App:
    declared = workspace.desired.apps.get(app)
    config = workspace.context.display(workspace.context.config_path())
    if declared is None:
        names = ", ".join(sorted(workspace.desired.apps)) or "none"
        raise UsageError(f"app {app} is not declared in {config} (declared: {names})")
    if declared.notifications is None:
        raise UsageError(f"app {app} declares no notifications queue: add `notifications: "
                         f"{{sqs_queue_url: ..., aws_region: ...}}` under apps.{app} in "
                         f"{config} (see docs/lifecycle.md)")
    return declared


def _old_enough(workspace: Workspace, app: str, older_than: str, now: datetime,
                say: bool = True) -> bool:
    """Whether the stored secret's age reaches ``older_than``; says so when it does not."""
    match = AGE.match(older_than)
    if match is None:
        raise UsageError(f"--if-older-than {older_than}: expected a number of days like 150d")
    variable = client_secret_variable(app)
    if workspace.environ.get(variable):
        raise UsageError(f"--if-older-than: the age of app {app}'s client secret is unknown: "
                         f"it comes from {variable}; unset it to judge the stored secret")
    set_at = workspace.store.reader.app_secret_set_at(app)
    if set_at is None:
        raise UsageError(f"--if-older-than: app {app} has no stored client secret: run "
                         f"`spprov app set-secret {app}` first")
    age = days_until(now, set_at)
    if age >= int(match.group(1)):
        return True
    if not say:
        return False
    day = set_at.astimezone(UTC).date().isoformat()
    click.echo(f"client secret of app {app} is {age} days old (set {day}); not rotating "
               f"(--if-older-than {older_than})")
    return False


def _old_secret_line(expires: datetime | None, now: datetime) -> str:
    if expires is None:
        return "the old client secret stops working 7 days after the rotation"
    when = expires.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    days = days_until(expires, now)
    return (f"the old client secret stops working at {when} (in {days} days); until then "
            "both secrets work")
