"""What the commands that hand a credential's secrets to another program share (`token`,
`export`): the guard against writing them to a terminal, and loading one stored credential
with its app's client secret.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from spprov.cli.workspace import Workspace
from spprov.const import NAME, NAME_PATTERN
from spprov.errors import UsageError
from spprov.hints import authorize_command, unknown_credential
from spprov.render.exports import ExportedCredential


def refuse_terminal(what: str, reveal: bool) -> None:
    """Refuse to write secrets to a terminal (scroll-back, screen sharing) unless --reveal."""
    if sys.stdout.isatty() and not reveal:
        raise UsageError(f"{what} writes secrets; redirect it to a file or a pipe, "
                         "or add --reveal to show them on this terminal")


def load_credential(workspace: Workspace, name: str,
                    next_step: Callable[[str], str]) -> ExportedCredential:
    """Decrypt NAME's state file (its MAC proves the record) and find its app's secret.

    ``next_step`` spells the command again for a suggested name, when NAME is a typo.
    """
    if not NAME.match(name):
        raise UsageError(f"{name!r} is not a credential name ({NAME_PATTERN})")
    if not workspace.store.files.present(workspace.store.files.path_of(name)):
        raise UsageError(_not_stored(workspace, name, next_step))
    stored = workspace.store.reader.decrypt(name)
    return ExportedCredential(stored.record, stored.refresh_token,
                              workspace.client_secret(stored.record.app))


def _not_stored(workspace: Workspace, name: str, next_step: Callable[[str], str]) -> str:
    if name in workspace.declared_names():
        return (f"{name}: no state file; run `spprov apply` or "
                f"`{authorize_command(name)}` first")
    where = (f"declared in {workspace.config_shown()} or stored in "
             f"{workspace.context.display(workspace.context.state_dir)}")
    return unknown_credential(name, workspace.stored_names(), where,
                              lambda close: f"run `{next_step(close)}`")
