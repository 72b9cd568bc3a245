"""`spprov keys list | add RECIPIENT | remove RECIPIENT`: who can read the state
(``spprov.usecases.keys``), then every state file re-encrypted for it."""

from __future__ import annotations

import click

from spprov.cli.rekeying import rekey_all
from spprov.cli.workspace import current
from spprov.const import SOPS_CONFIG
from spprov.errors import ExitCode
from spprov.state.store import StateStore
from spprov.usecases import keys


@click.group("keys")
def command() -> None:
    """List, add and remove the age recipients that can read the state."""


@command.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> ExitCode:
    """Each recipient, how many state files it can open, and which files lag behind."""
    listing = keys.key_listing(current(ctx).store)
    click.echo(f"recipients in {SOPS_CONFIG}:")
    for recipient, opened in listing.trusted.items():
        click.echo(f"  {recipient}  opens {opened} of {listing.total} state files")
    if listing.strangers:
        click.echo(f"not in {SOPS_CONFIG} (removed or foreign):")
        for recipient, opened in listing.strangers.items():
            click.echo(f"  {recipient}  opens {opened} of {listing.total} state files")
    if not listing.behind:
        click.echo(f"all {listing.total} state files match {SOPS_CONFIG}")
        return ExitCode.OK
    click.echo(f"behind {SOPS_CONFIG} ({len(listing.behind)} of {listing.total}): run "
               "`spprov rekey`")
    for shown, problems in listing.behind:
        click.echo(f"  {shown}: {'; '.join(problems)}")
    return ExitCode.OK


@command.command("add")
@click.argument("recipient")
@click.pass_context
def add(ctx: click.Context, recipient: str) -> ExitCode:
    """Add an age recipient to .sops.yaml and re-encrypt (data keys are kept)."""
    edit, checked = keys.adding(recipient)
    return _change(current(ctx).store, edit, f"added {checked}")


@command.command("remove")
@click.argument("recipient")
@click.pass_context
def remove(ctx: click.Context, recipient: str) -> ExitCode:
    """Remove an age recipient from .sops.yaml and re-encrypt under new data keys."""
    store = current(ctx).store
    return _change(store, keys.removing(store, recipient), f"removed {recipient.strip()}")


def _change(store: StateStore, edit: keys.Edit, done: str) -> ExitCode:
    with store.writer.lock():
        changed = keys.edit_recipients(store, edit)
        click.echo(f"{done} in {SOPS_CONFIG}" if changed else f"{SOPS_CONFIG} unchanged")
        failed = rekey_all(store)
    return ExitCode.ERROR if failed else ExitCode.OK
