"""`spprov rekey`: re-encrypt every state file for the recipients .sops.yaml names now."""

from __future__ import annotations

import click

from spprov.cli.rekeying import rekey_all
from spprov.cli.workspace import current
from spprov.errors import ExitCode


@click.command("rekey")
@click.pass_context
def command(ctx: click.Context) -> ExitCode:
    """Re-encrypt every state file for the current .sops.yaml recipients.

    Run it after adding or removing a recipient (a teammate, a CI key) in .sops.yaml.
    An added recipient only changes the data key's wrapping (values keep their
    ciphertext); a removed one also gets every value a new data key (sops rotate).
    """
    return ExitCode.ERROR if rekey_all(current(ctx).store) else ExitCode.OK
