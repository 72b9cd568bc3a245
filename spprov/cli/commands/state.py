"""`spprov state list|show NAME`: the state files' readable fields; nothing decrypted."""

from __future__ import annotations

import click

from spprov.cli.workspace import current
from spprov.errors import ExitCode
from spprov.escape import log_line
from spprov.reconcile.stateview import list_state, show_state
from spprov.render.stateview import (
    state_list_json,
    state_list_text,
    state_show_json,
    state_show_text,
)
from spprov.usecases.verify import guarded, verify_app, verify_credential


@click.group("state")
def command() -> None:
    """Read the state files as Terraform's `state list` and `state show` do."""


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> ExitCode:
    """Every state file's address (credentials/NAME, apps/APP); exit 1 if one cannot be
    read (each such file is named on stderr)."""
    entries = list_state(current(ctx).store.files)
    text = state_list_json(entries) if as_json else state_list_text(entries)
    if text:
        click.echo(text)
    for entry in entries:
        if entry.problem is not None:
            click.echo(log_line(f"unreadable: {entry.problem}"), err=True)
    return ExitCode.ERROR if any(e.problem for e in entries) else ExitCode.OK


@command.command("show")
@click.argument("address", metavar="NAME")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.option("--verify", is_flag=True,
              help="Also decrypt the file and check it as `spprov verify` does (MAC, keys, "
                   "secrets, the declaration); exit 1 on a problem. Nothing is printed of "
                   "the decrypted values.")
@click.pass_context
def show_command(ctx: click.Context, address: str, as_json: bool, verify: bool) -> ExitCode:
    """One state file's readable fields (NAME, credentials/NAME or apps/APP); encrypted
    values are shown as (sensitive value) and, without --verify, never decrypted."""
    workspace = current(ctx)
    view = show_state(workspace.store.files, address)
    click.echo(state_show_json(view) if as_json else state_show_text(view))
    if not verify:
        return ExitCode.OK
    kind, _, name = view.address.partition("/")
    files = workspace.store.files
    path, check = ((files.app_path(name), verify_app) if kind == "apps"
                   else (files.path_of(name), verify_credential))
    problems = guarded(check, workspace.store, path, workspace.desired)
    for line in problems:
        click.echo(log_line(line), err=True)
    click.echo(log_line(f"{view.file}: {'failed verification' if problems else 'verified'}"),
               err=True)
    return ExitCode.ERROR if problems else ExitCode.OK
