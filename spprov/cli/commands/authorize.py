"""`spprov authorize NAME`: authorize one credential now."""

from __future__ import annotations

import sys

import click

from spprov.amazon.authorize import (
    DEFAULT_TIMEOUT_SECONDS,
    Authorization,
    Keep,
    import_refresh_token,
)
from spprov.amazon.lwa import ClientCredentials
from spprov.cli.context import non_interactive_env, stdin_is_terminal
from spprov.cli.workspace import Workspace, current, utc_now
from spprov.errors import UsageError
from spprov.hints import authorize_command, unknown_credential
from spprov.model import Credential
from spprov.reconcile.records import authorized_record, preflight_record
from spprov.secret import Secret


@click.command("authorize")
@click.argument("name")
@click.option("--refresh-token-stdin", is_flag=True,
              help="Import a self-authorized refresh token read from standard input.")
@click.option("--authorization-timeout", type=click.FloatRange(1), default=DEFAULT_TIMEOUT_SECONDS,
              show_default=True, metavar="SECONDS", help="How long to wait for the consent.")
@click.pass_context
def command(ctx: click.Context, name: str, refresh_token_stdin: bool,
            authorization_timeout: float) -> None:
    """Run the authorization of credential NAME (consent in a browser, or an import)."""
    workspace = current(ctx)
    credential = workspace.desired.credential(name)
    if credential is None:
        flag = " --refresh-token-stdin" if refresh_token_stdin else ""
        raise UsageError(unknown_credential(
            name, workspace.desired.by_name, f"declared in {workspace.config_shown()}",
            lambda close: f"run `{authorize_command(close)}{flag}`"))
    app = workspace.desired.apps[credential.app]

    def keep(authorization: Authorization) -> None:
        record = authorized_record(credential, app, authorization, utc_now())
        workspace.store.writer.write(record, authorization.refresh_token)

    with workspace.store.writer.lock():
        workspace.store.writer.check_writable(preflight_record(credential, app, utc_now()))
        authorization = _authorization(workspace, credential, refresh_token_stdin,
                                       authorization_timeout, keep)
    partner = authorization.selling_partner_id or "an unrecorded selling partner"
    click.echo(f"{name}: authorized by {partner}; state written to "
               f"{workspace.context.display(workspace.store.files.path_of(name))}")


def _authorization(workspace: Workspace, credential: Credential, from_stdin: bool,
                   timeout: float, keep: Keep) -> Authorization:
    app = workspace.desired.apps[credential.app]
    client = ClientCredentials(app.client_id, workspace.client_secret(app.name), app.name)
    if from_stdin:
        token = Secret(sys.stdin.readline().strip())
        authorization = import_refresh_token(workspace.lwa(), credential, client, token)
        keep(authorization)
        return authorization
    if non_interactive_env(workspace.environ):
        raise UsageError(f"{credential.name}: CI=true means no person is here to consent; "
                         "run `spprov authorize` on a laptop or use --refresh-token-stdin")
    terminal = stdin_is_terminal()
    authorizer = workspace.authorizer(can_paste=terminal, timeout=timeout)
    if not authorizer.can_authorize(app):
        raise UsageError(f"{credential.name}: the app's redirect URI is not a loopback address, "
                         "so the redirected address must be pasted, and no terminal is attached")
    return authorizer.authorize(credential, app, client, keep)
