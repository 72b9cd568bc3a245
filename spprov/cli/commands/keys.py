"""`spprov keys list | add RECIPIENT | remove RECIPIENT`: who can read the state.

``.sops.yaml`` is the trust root: these commands edit its recipients (one per line) and
then re-encrypt every state file. Adding keeps each file's data key; removing gives every
file a new one, since the person removed may have kept the old (see docs/security.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli.rekeying import rekey_all
from spprov.cli.workspace import current
from spprov.const import SOPS_CONFIG
from spprov.errors import ExitCode, StateError
from spprov.state import sopsedit, trust
from spprov.state.store import StateStore


@click.group("keys")
def command() -> None:
    """List, add and remove the age recipients that can read the state."""


@command.command("list")
@click.pass_context
def list_keys(ctx: click.Context) -> ExitCode:
    """Each recipient, how many state files it can open, and which files lag behind."""
    store = current(ctx).store
    files = store.files.credential_files() + store.files.app_files()
    found = [(path, store.trust.file_keys(path), store.trust.rule_for(path)) for path in files]
    trusted = set().union(*(rule.recipients for _, _, rule in found)) if found \
        else set(_rule(store).recipients)
    opened = {r: sum(1 for _, keys, _ in found if r in keys.recipients)
              for r in trusted.union(*(keys.recipients for _, keys, _ in found))}
    total = len(found)
    click.echo(f"recipients in {SOPS_CONFIG}:")
    for recipient in sorted(trusted):
        click.echo(f"  {recipient}  opens {opened[recipient]} of {total} state files")
    strangers = sorted(set(opened) - trusted)
    if strangers:
        click.echo(f"not in {SOPS_CONFIG} (removed or foreign):")
        for recipient in strangers:
            click.echo(f"  {recipient}  opens {opened[recipient]} of {total} state files")
    behind = [(store.files.display(path), trust.key_problems(keys, rule))
              for path, keys, rule in found]
    behind = [(shown, problems) for shown, problems in behind if problems]
    if not behind:
        click.echo(f"all {total} state files match {SOPS_CONFIG}")
        return ExitCode.OK
    click.echo(f"behind {SOPS_CONFIG} ({len(behind)} of {total}): run `spprov rekey`")
    for shown, problems in behind:
        click.echo(f"  {shown}: {'; '.join(problems)}")
    return ExitCode.OK


@command.command("add")
@click.argument("recipient")
@click.pass_context
def add(ctx: click.Context, recipient: str) -> ExitCode:
    """Add an age recipient to .sops.yaml and re-encrypt (data keys are kept)."""
    checked = trust.check_recipient(recipient.strip(), "RECIPIENT")
    return _change(current(ctx).store, lambda now: [*now, checked] if checked not in now
                   else now, f"added {checked}")


@command.command("remove")
@click.argument("recipient")
@click.pass_context
def remove(ctx: click.Context, recipient: str) -> ExitCode:
    """Remove an age recipient from .sops.yaml and re-encrypt under new data keys."""
    store = current(ctx).store
    target = recipient.strip()
    present = _rule(store).recipients
    if target not in present:
        raise StateError(f"{trust.recipient_excerpt(target)} is not a recipient in "
                         f"{SOPS_CONFIG} "
                         "(`spprov keys list` shows them)")
    if present == {target}:
        raise StateError(f"{target} is the only recipient in {SOPS_CONFIG}: add another "
                         "first, or nobody could decrypt the state")
    return _change(store, lambda now: [r for r in now if r != target], f"removed {target}")


def _change(store: StateStore, edit: sopsedit.Edit, done: str) -> ExitCode:
    """Edit the recipients of every rule that covers state, check the result, rekey."""
    text = sopsedit.read(store.files.repo_root)
    root = trust.TrustRoot.from_text(text)
    rules = {index for index in (root.rule_index(store.files.display(p)) for p in _samples(store))
             if index is not None}
    if not rules:
        raise StateError(f"no creation rule in {SOPS_CONFIG} matches "
                         f"{store.files.display(store.files.path_of('NAME'))}: run `spprov init`")
    new_text = sopsedit.edited(text, rules, edit)
    new_root = trust.TrustRoot.from_text(new_text)
    for path in _samples(store):  # every new value must parse and hold only age recipients
        new_root.rule_for(store.files.display(path))
    with store.writer.lock():
        if new_text != text:
            sopsedit.save(store.files.repo_root, new_text)
        click.echo(f"{done} in {SOPS_CONFIG}" if new_text != text
                   else f"{SOPS_CONFIG} unchanged")
        failed = rekey_all(store)
    return ExitCode.ERROR if failed else ExitCode.OK


def _rule(store: StateStore) -> trust.TrustedRule:
    return store.trust.rule_for(store.files.path_of("NAME"))


def _samples(store: StateStore) -> list[Path]:
    """Paths of state files, real and future, whose rules the edit must cover."""
    return [store.files.path_of("NAME"), store.files.app_path("NAME"),
            *store.files.credential_files(), *store.files.app_files()]


