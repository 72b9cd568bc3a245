"""The global options every command receives, and where files are."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import click

from spprov.const import SOPS_CONFIG, STATE_SUFFIX
from spprov.errors import ConfigError, Location, Problem, UsageError
from spprov.escape import log_lines
from spprov.repofiles import NotRegularFileError, check_folders

DEFAULT_CONFIG_FILE = "credentials.yaml"
# Read as credentials.yaml is when it is the only one: pre-commit, Compose and GitLab
# accept both spellings too, and `spprov init` must not add a second, example file.
ALTERNATE_CONFIG_FILE = "credentials.yml"
DEFAULT_CONFIG_DIR = "credentials"
DEFAULT_STATE_DIR = "state"


@dataclass(frozen=True)
class Context:
    """Global options, resolved against the repository root found from ``-C DIR``."""

    directory: Path  # the repository root: where credentials.yaml and .sops.yaml are
    config_option: Path | None
    state_dir: Path
    verbosity: int = 0
    quiet: bool = False
    color: bool = True
    working_dir: Path | None = None  # where the user is; paths they type are relative to it
    state_dir_option: str | None = None
    lock_timeout: float = 0.0  # --lock-timeout: how long to wait for another run's lock
    command: str = "spprov"  # this run's command line, recorded in the lock it holds

    @property
    def here(self) -> Path:
        """The folder paths given on the command line are relative to."""
        return self.working_dir or self.directory

    def rooted_at(self, directory: Path) -> Context:
        """The same options with ``directory`` as the repository root (for `spprov init`)."""
        if self.state_dir_option is not None:
            state_dir = self.here / self.state_dir_option
        else:
            state_dir = directory / DEFAULT_STATE_DIR
        return replace(self, directory=directory, state_dir=state_dir)

    def config_path(self) -> Path:
        """``--config`` if given, else ``credentials.yaml`` (or ``credentials.yml``), else
        ``credentials/``."""
        if self.config_option is not None:
            try:  # a folder of the repository on the way must not be a link
                check_folders(self.config_option, self.directory)
            except NotRegularFileError as exc:
                where = Location(self.display(self.config_option), 1, 1)
                raise ConfigError([Problem(where, exc.reason, "unreadable-file")]) from None
            return self.config_option
        default_file = self.directory / DEFAULT_CONFIG_FILE
        alternate = self.directory / ALTERNATE_CONFIG_FILE
        if os.path.lexists(alternate):
            if os.path.lexists(default_file):
                raise UsageError(f"both {DEFAULT_CONFIG_FILE} and {ALTERNATE_CONFIG_FILE} are "
                                 "in the repository; keep one, or pass --config PATH")
            return alternate
        default_dir = self.directory / DEFAULT_CONFIG_DIR
        if os.path.lexists(default_file) or not default_dir.is_dir():
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
            click.echo(log_lines(message), err=True)

    def style(self, text: str, **styles: object) -> str:
        """Colour text when colour is on (a terminal, no --no-color, no NO_COLOR)."""
        return click.style(text, **styles) if self.color else text  # type: ignore[arg-type]


def non_interactive_env(environ: Mapping[str, str]) -> bool:
    """True when the environment says no person is there (CI=true)."""
    return environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def stdin_is_terminal() -> bool:
    """True when a person can type answers."""
    return sys.stdin is not None and sys.stdin.isatty()


def find_root(start: Path) -> Path | None:
    """The repository root, found as Git finds its own: the nearest folder at or above
    ``start`` with credentials.yaml or .sops.yaml, else with a credentials/ folder that
    holds declarations (state/credentials/ holds encrypted files and does not count).

    The walk stops at a Git repository's top (a folder with .git) so that a stray file
    above the repository is never taken for its root.
    """
    folders = _up_to_repository_top(start)
    for folder in folders:
        if any((folder / name).is_file()
               for name in (DEFAULT_CONFIG_FILE, ALTERNATE_CONFIG_FILE, SOPS_CONFIG)):
            return folder
    for folder in folders:
        if _holds_declarations(folder / DEFAULT_CONFIG_DIR):
            return folder
    return None


def _up_to_repository_top(start: Path) -> list[Path]:
    folders = []
    for folder in (start, *start.parents):
        folders.append(folder)
        if (folder / ".git").exists():
            break
    return folders


def _holds_declarations(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    return any(path.name.endswith((".yaml", ".yml", ".yaml.j2"))
               and not path.name.endswith(STATE_SUFFIX) for path in folder.iterdir())


def make_context(
    directory: str | None,
    config: str | None,
    state_dir: str | None,
    verbosity: int,
    quiet: bool,
    no_color: bool,
    environ: Mapping[str, str],
    lock_timeout: float = 0.0,
    command: str = "spprov",
) -> Context:
    """Resolve the global options into a Context; each problem is one line."""
    start = Path(directory or ".").resolve()
    if not start.exists():
        raise UsageError(f"-C {directory}: no such directory")
    if not start.is_dir():
        raise UsageError(f"-C {directory}: not a directory")
    root = find_root(start) or start
    state_path = start / state_dir if state_dir else root / DEFAULT_STATE_DIR
    if state_path.exists() and not state_path.is_dir():
        raise UsageError(f"--state-dir {state_dir or DEFAULT_STATE_DIR}: {state_path} is not "
                         "a directory; point --state-dir at the folder of the state files")
    color = not no_color and "NO_COLOR" not in environ and sys.stdout.isatty()
    return Context(
        directory=root,
        config_option=(start / config) if config else None,
        state_dir=state_path,
        verbosity=verbosity,
        quiet=quiet,
        color=color,
        working_dir=start,
        state_dir_option=state_dir,
        lock_timeout=lock_timeout,
        command=command,
    )


def get(ctx: click.Context) -> Context:
    """The global options of this invocation (held by its Workspace)."""
    context = getattr(ctx.find_root().obj, "context", None)
    assert isinstance(context, Context)
    return context
