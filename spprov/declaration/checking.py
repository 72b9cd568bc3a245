"""`validate` as a value: what each checked path holds, or every problem found in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spprov.declaration.loader import ConfigError, ConfigNotFoundError, load_desired
from spprov.declaration.sources import Display
from spprov.declaration.templateenv import TemplateVariables
from spprov.errors import Problem


@dataclass(frozen=True)
class PathCheck:
    """One checked file or folder: its counts when valid, else its problems."""

    shown: str  # the path as the user reads it (a folder ends with /)
    problems: tuple[Problem, ...] = ()
    missing: str | None = None  # nothing to check there: why, in one line
    credentials: int = 0
    apps: int = 0

    @property
    def valid(self) -> bool:
        """True when the path was read and has no problem."""
        return not self.problems and self.missing is None


def check_path(path: Path, display: Display, variables: TemplateVariables) -> PathCheck:
    """Load and check one file or folder; never raises for what a person can fix."""
    shown = display(path)
    if path.is_dir() and not shown.endswith("/"):
        shown += "/"
    try:
        desired = load_desired(path, display, variables)
    except ConfigError as exc:
        return PathCheck(shown, problems=tuple(exc.problems))
    except ConfigNotFoundError as exc:
        return PathCheck(shown, missing=str(exc))
    return PathCheck(shown, credentials=len(desired.credentials), apps=len(desired.apps))
