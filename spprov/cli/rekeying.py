"""Re-encrypting every state file for the recipients .sops.yaml names now, a line per
file (`spprov rekey`, and `spprov keys add/remove` after they change .sops.yaml)."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.const import SOPS_CONCURRENCY
from spprov.errors import SpprovError
from spprov.escape import log_line
from spprov.interrupts import helper_pool
from spprov.state.store import StateStore


def rekey_one(store: StateStore, path: Path) -> tuple[bool, str]:
    """(ok, line to print) for one file."""
    shown = store.files.display(path)
    try:
        how = store.writer.rekey_file(path)
    except SpprovError as exc:
        return False, str(exc)
    return True, f"{how} {shown}"


def rekey_all(store: StateStore) -> int:
    """Rekey every state file, printing one line each; how many failed."""
    failed = 0
    with store.writer.lock(), helper_pool(SOPS_CONCURRENCY) as pool:
        files = store.files.credential_files() + store.files.app_files()
        for path in files:  # a broken .sops.yaml is one line, not one per file
            store.trust.rule_for(path)
        for ok, line in pool.map(lambda path: rekey_one(store, path), files):
            click.echo(log_line(line), err=not ok)
            failed += not ok
    return failed
