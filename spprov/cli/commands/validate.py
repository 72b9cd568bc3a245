"""`spprov validate [PATH...]`: check credential files; no network, no decryption."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.cli.annotations import echo_problems
from spprov.cli.options import base_option
from spprov.cli.outputs import write_output
from spprov.cli.reviewbase import use_base
from spprov.cli.workspace import Workspace, current, no_garbage_collection
from spprov.declaration.checking import PathCheck, check_path
from spprov.errors import ExitCode
from spprov.escape import log_line, log_lines
from spprov.render.facts import plural
from spprov.render.problems import codequality_json, validation_json
from spprov.render.review import TRUST_HEADING, trust_line
from spprov.usecases.review import trust_review

CODEQUALITY = "gitlab-codequality"


@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print every problem (file, line, column, code, message) as JSON.")
@click.option("--format", "report", type=(click.Choice([CODEQUALITY]), str),
              metavar="FORMAT FILE",
              help="Also write a report: `--format gitlab-codequality FILE` (GitLab's Code "
                   "Quality JSON, empty when valid).")
@base_option
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], as_json: bool,
            report: tuple[str, str] | None, base: str | None) -> ExitCode:
    """Check credential files (each PATH on its own: a file, or a folder as a whole).

    Without PATH: --config, else credentials.yaml, else credentials/. Problems go to
    stderr as FILE:LINE:COL: message (and as annotations when GITHUB_ACTIONS=true);
    exit 1 when any PATH is invalid. With --base REF (the default in a pull/merge request
    job) it also reads REF's .sops.yaml and lists what the working tree's changes in it.
    """
    context = contexts.get(ctx)
    targets = [context.here / path for path in paths] or [context.config_path()]
    workspace = current(ctx)
    if use_base(workspace, base) is not None:
        _show_trust_review(workspace)
    variables = workspace.template_variables()
    with no_garbage_collection():  # as for every other command that loads the declaration
        checks = [check_path(target, context.display, variables) for target in targets]
    if as_json:
        click.echo(validation_json(checks))
    else:
        for check in checks:
            _show(check, workspace.environ)
    if report is not None:
        write_output(context.here / report[1], report[1], codequality_json(checks) + "\n")
    return ExitCode.OK if all(c.valid for c in checks) else ExitCode.ERROR


def _show_trust_review(workspace: Workspace) -> None:
    """Each change the working tree makes to the base's trust root, one line on stderr."""
    changes, problems = trust_review(workspace.store)
    for change in changes:
        click.echo(log_line(f"{TRUST_HEADING}: {trust_line(change)}"), err=True)
    for problem in problems:
        click.echo(log_line(f"{TRUST_HEADING}: {problem}"), err=True)


def _show(check: PathCheck, environ: Mapping[str, str]) -> None:
    if check.missing is not None:
        click.echo(log_lines(f"spprov: {check.missing}"), err=True)
    elif check.problems:
        echo_problems(check.problems, environ)
    else:
        click.echo(f"valid: {plural(check.credentials, 'credential')}, "
                   f"{plural(check.apps, 'app')} ({check.shown})")
