"""`spprov verify`: decrypt every state file and check it (``spprov.usecases.verify``)."""

from __future__ import annotations

import click

from spprov.cli.options import base_option
from spprov.cli.reviewbase import use_base
from spprov.cli.workspace import current
from spprov.errors import ExitCode
from spprov.escape import log_line
from spprov.usecases.verify import verify


@click.command("verify")
@base_option
@click.pass_context
def command(ctx: click.Context, base: str | None) -> ExitCode:
    """Check every state file: keys, MAC, encrypted secrets, name and the declaration.

    Per file: its recipients equal the ones .sops.yaml names, it names no key service
    .sops.yaml does not use (refused before anything is contacted), the secret fields are
    encrypted, the MAC holds, the name matches the file name, and the declaration agrees
    by the planner's rules. Prints one line per problem (FILE: message), exits 1 if any.
    With --base REF (the default in a pull/merge request job) .sops.yaml is REF's.
    """
    workspace = current(ctx)
    use_base(workspace, base)
    verification = verify(workspace.store, workspace.desired)
    for line in verification.problems:
        click.echo(log_line(line), err=True)
    checked = len(verification.results)
    if verification.failed:
        click.echo(f"{verification.failed} of {checked} state files failed verification",
                   err=True)
        return ExitCode.ERROR
    click.echo(f"verified {checked} state file{'' if checked == 1 else 's'}")
    return ExitCode.OK
