"""`spprov app set-secret APP`: store an app's LWA client secret, read from stdin."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import click

from spprov.cli import context as contexts
from spprov.cli.commands import rotate
from spprov.cli.context import stdin_is_terminal
from spprov.cli.workspace import Workspace, current
from spprov.const import NAME, NAME_PATTERN
from spprov.declaration.loader import ConfigError, ConfigNotFoundError
from spprov.errors import UsageError
from spprov.hints import client_secret_variable
from spprov.model import App
from spprov.secret import Secret
from spprov.usecases.secrets import try_secret

log = logging.getLogger("spprov.app")


def read_secret(app: str) -> Secret:
    """The secret from stdin: a hidden prompt on a terminal, else one line piped in."""
    if stdin_is_terminal():
        typed = click.prompt(f"client secret of app {app}", hide_input=True, err=True,
                             confirmation_prompt=True, show_default=False)
        return _one_line(str(typed))
    return _one_line(sys.stdin.read())


def _one_line(text: str) -> Secret:
    value = text.removesuffix("\n").removesuffix("\r")
    if not value.strip():
        raise UsageError("no client secret on stdin: pipe it in, e.g. "
                         "`spprov app set-secret APP < secret.txt`")
    if "\n" in value or "\r" in value:
        raise UsageError("the client secret on stdin has several lines; give it on one line")
    return Secret(value)


def check_app(workspace: Workspace, app: str, need: bool = False) -> App | None:
    """The declared app; refuse a name that cannot be an app, or an undeclared one (a typo).

    Without ``need``, a declaration that cannot be read is no obstacle (None): storing a
    secret offline must not wait for the declaration to be fixed or written.
    """
    if not NAME.match(app):
        raise UsageError(f"{app!r} is not an app name ({NAME_PATTERN})")
    try:
        desired = workspace.desired
    except (ConfigError, ConfigNotFoundError) as exc:
        if need:
            raise UsageError(f"{_first_line(exc)} (the secret is tried with the client_id "
                             f"declared for app {app}; --no-check stores it untried)") from None
        log.info("not checking that app %s is declared: %s", app, exc)
        return None
    if app not in desired.apps:
        declared = ", ".join(sorted(desired.apps)) or "none"
        raise UsageError(f"app {app} is not declared in {workspace.config_shown()} "
                         f"(declared: {declared})")
    return desired.apps[app]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@click.group("app")
def command() -> None:
    """Manage apps' LWA client secrets."""


command.add_command(rotate.command)


@command.command("set-secret")
@click.argument("app")
@click.option("--no-check", is_flag=True,
              help="Store the secret without trying it with LWA (offline use).")
@click.pass_context
def set_secret(ctx: click.Context, app: str, no_check: bool) -> None:
    """Store APP's client secret, read from stdin, encrypted in state/apps/APP.sops.yaml.

    On a terminal the secret is asked for with hidden input. It is first tried with a
    grantless client_credentials grant (nothing is stored when LWA refuses it). The time
    it is set is recorded (readable) so spprov can warn before Amazon's 180-day rotation
    deadline (`spprov app rotate-secret APP` rotates it). SPPROV_APP_<APP>_CLIENT_SECRET,
    when set, takes precedence over the stored secret.
    """
    context = contexts.get(ctx)
    declared = check_app(current(ctx), app, need=not no_check)
    secret = read_secret(app)
    if declared is not None and not no_check:
        try_secret(current(ctx).lwa(), declared, secret)
    store = current(ctx).store
    changed = store.writer.set_app_secret(app, secret, datetime.now(UTC).replace(microsecond=0))
    shown = context.display(store.files.app_path(app))
    if changed:
        click.echo(f"stored client secret of app {app} in {shown}")
    else:
        click.echo(f"client secret of app {app} unchanged in {shown}")
    variable = client_secret_variable(app)
    if variable in current(ctx).environ:
        context.err(f"note: {variable} is set and takes precedence over {shown}")
