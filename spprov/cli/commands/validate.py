"""`spprov validate [PATH...]`: check credential files; no network, no decryption."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli import context as contexts
from spprov.cli.context import Context
from spprov.cli.workspace import current
from spprov.declaration.loader import ConfigError, ConfigNotFoundError, load_desired
from spprov.declaration.templateenv import TemplateVariables
from spprov.errors import ExitCode
from spprov.escape import log_line, log_lines


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _display(context: Context, path: Path) -> str:
    shown = context.display(path)
    return f"{shown}/" if path.is_dir() and not shown.endswith("/") else shown


def validate_path(context: Context, path: Path, variables: TemplateVariables) -> bool:
    """Check one file or folder; print its summary or its problems. True when valid."""
    try:
        desired = load_desired(path, context.display, variables)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(log_line(str(problem)), err=True)
        return False
    except ConfigNotFoundError as exc:
        click.echo(log_lines(f"spprov: {exc}"), err=True)
        return False
    click.echo(f"valid: {_plural(len(desired.credentials), 'credential')}, "
               f"{_plural(len(desired.apps), 'app')} ({_display(context, path)})")
    return True


@click.command("validate")
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(path_type=Path))
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...]) -> ExitCode:
    """Check credential files (each PATH on its own: a file, or a folder as a whole).

    Without PATH: --config, else credentials.yaml, else credentials/. Problems go to
    stderr as FILE:LINE:COL: message; exit 1 when any PATH is invalid.
    """
    context = contexts.get(ctx)
    targets = [context.here / path for path in paths] or [context.config_path()]
    variables = current(ctx).template_variables()
    results = [validate_path(context, target, variables) for target in targets]
    return ExitCode.OK if all(results) else ExitCode.ERROR
