"""`spprov check-secrets PATH...`: the pre-commit hook that keeps secrets out of commits."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.errors import ExitCode
from spprov.escape import log_line
from spprov.state.precommit import Finding, files_to_check, is_state_file, scan_file


@click.command("check-secrets")
@click.argument("paths", nargs=-1, metavar="PATH...", type=click.Path(path_type=Path))
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...]) -> ExitCode:
    """Refuse plaintext state files and secret values (tokens, client secrets, age keys).

    Each PATH is a file, or a folder checked recursively (symbolic links and .git are
    skipped). Each finding goes to stderr as FILE:LINE:COL: message, without the secret;
    exit 1 when there is any, or when a PATH does not exist. Files under --state-dir or
    named *.sops.yaml (but not .sops.yaml, sops's configuration) must be encrypted.
    """
    context = contexts.get(ctx)
    findings: list[Finding] = []
    for given in paths:
        path = given if given.is_absolute() else context.here / given
        if not path.exists() and not path.is_symlink():
            findings.append(Finding(str(given), 1, 1, "no such file or folder; nothing was "
                                                      "checked"))
            continue
        for file, name in files_to_check(path, str(given)):
            findings += scan_file(file, name, is_state_file(file, context.state_dir))
    for finding in findings:
        click.echo(log_line(str(finding)), err=True)
    return ExitCode.ERROR if findings else ExitCode.OK
