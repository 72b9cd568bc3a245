"""`spprov rekey`: re-encrypt every state file for the recipients .sops.yaml names now."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from spprov.cli.workspace import current
from spprov.errors import ExitCode, SpprovError
from spprov.escape import log_line
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
def command(ctx: click.Context) -> ExitCode:
    """Re-encrypt every state file for the current .sops.yaml recipients (sops updatekeys).

    Run it after adding or removing a recipient (a teammate, a CI key) in .sops.yaml.
    Only the data key's wrapping changes; every value keeps its ciphertext.
    """
    store = current(ctx).store
    failed = 0
    with store.lock(), ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        files = store.credential_files() + store.app_files()
        for ok, line in pool.map(lambda path: rekey_one(store, path), files):
            click.echo(log_line(line), err=not ok)
            failed += not ok
    return ExitCode.ERROR if failed else ExitCode.OK
