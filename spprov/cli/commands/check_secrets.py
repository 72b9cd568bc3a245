"""`spprov check-secrets FILE...`: the pre-commit hook that keeps secrets out of commits."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.errors import ExitCode
from spprov.state.precommit import is_state_file, scan_file


@click.command("check-secrets")
@click.argument("files", nargs=-1, metavar="FILE...", type=click.Path(path_type=Path))
@click.pass_context
def command(ctx: click.Context, files: tuple[Path, ...]) -> ExitCode:
    """Refuse plaintext state files and secret values (tokens, client secrets, age keys).

    Each finding goes to stderr as FILE:LINE:COL: message, without the secret; exit 1
    when there is any. Files under --state-dir or named *.sops.yaml must be encrypted.
    """
    context = contexts.get(ctx)
    findings = []
    for file in files:
        path = file if file.is_absolute() else context.here / file
        findings += scan_file(path, str(file), is_state_file(path, context.state_dir))
    for finding in findings:
        click.echo(str(finding), err=True)
    return ExitCode.ERROR if findings else ExitCode.OK
