"""The global options every command receives, and where files are."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from spprov.errors import UsageError

DEFAULT_CONFIG_FILE = "credentials.yaml"
DEFAULT_CONFIG_DIR = "credentials"


@dataclass(frozen=True)
class Context:
    """Global options, resolved against ``-C DIR``."""

    directory: Path
    config_option: Path | None
    state_dir: Path
    verbosity: int = 0
    quiet: bool = False
    color: bool = True

    def config_path(self) -> Path:
        """``--config`` if given, else ``credentials.yaml``, else ``credentials/``."""
        if self.config_option is not None:
            return self.config_option
        default_file = self.directory / DEFAULT_CONFIG_FILE
        default_dir = self.directory / DEFAULT_CONFIG_DIR
        if default_file.exists() or not default_dir.is_dir():
            return default_file
        return default_dir

    def display(self, path: Path) -> str:
        """A path as the user should read it: relative to the working folder when inside."""
        try:
            return str(path.relative_to(self.directory))
        except ValueError:
            return str(path)

    def err(self, message: str) -> None:
        """A diagnostic line on stderr (silenced by -q unless it is an error)."""
        if not self.quiet:
            click.echo(message, err=True)

    def style(self, text: str, **styles: object) -> str:
        """Colour text when colour is on (a terminal, no --no-color, no NO_COLOR)."""
        return click.style(text, **styles) if self.color else text  # type: ignore[arg-type]


def non_interactive_env() -> bool:
    """True when the environment says no person is there (CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def stdin_is_terminal() -> bool:
    """True when a person can type answers."""
    return sys.stdin is not None and sys.stdin.isatty()


def make_context(
    directory: str | None,
    config: str | None,
    state_dir: str,
    verbosity: int,
    quiet: bool,
    no_color: bool,
) -> Context:
    """Resolve the global options into a Context."""
    base = Path(directory or ".").resolve()
    if not base.is_dir():
        raise UsageError(f"-C {directory}: no such directory")
    config_path = (base / config) if config else None
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    return Context(
        directory=base,
        config_option=config_path,
        state_dir=base / state_dir,
        verbosity=verbosity,
        quiet=quiet,
        color=color,
    )


def get(ctx: click.Context) -> Context:
    """The global options of this invocation (held by its Workspace)."""
    context = getattr(ctx.find_root().obj, "context", None)
    assert isinstance(context, Context)
    return context
