"""`spprov rekey`: re-encrypt every state file for the recipients .sops.yaml names now."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.errors import SpprovError
from spprov.state.store import StateStore

CONCURRENCY = 8


def rekey_one(store: StateStore, path: Path) -> tuple[bool, str]:
    """(ok, line to print) for one file."""
    shown = store.display(path)
    try:
        changed = store.rekey_file(path)
    except SpprovError as exc:
        return False, str(exc)
    return True, f"{'rekeyed' if changed else 'unchanged'} {shown}"


@click.command("rekey")
@click.pass_context
def command(ctx: click.Context) -> None:
    """Re-encrypt every state file for the current .sops.yaml recipients (sops updatekeys).

    Run it after adding or removing a recipient (a teammate, a CI key) in .sops.yaml.
    Only the data key's wrapping changes; every value keeps its ciphertext.
    """
    context = contexts.get(ctx)
    store = StateStore(context.directory, context.state_dir)
    failed = 0
    with store.lock(), ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        files = store.credential_files() + store.app_files()
        for ok, line in pool.map(lambda path: rekey_one(store, path), files):
            click.echo(line, err=not ok)
            failed += not ok
    ctx.exit(1 if failed else 0)
