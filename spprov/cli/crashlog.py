"""The traceback of an internal error, kept in a log file as pre-commit keeps its own.

Only the traceback is written (file, line, function and the exception's message), never
local variables, so no secret held in a variable reaches the file; messages that could
carry one hold a Secret, whose text is '***'.
"""

from __future__ import annotations

import os
import platform
import traceback
from pathlib import Path


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/spprov``, else ``~/.cache/spprov``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spprov"


def write_crash_log(exc: BaseException, version: str, command: str) -> Path:
    """Write the report of ``exc`` to the cache folder (mode 0600) and return its path."""
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spprov.log"
    report = [
        "### spprov internal error",
        f"spprov {version}, Python {platform.python_version()}, {platform.platform()}",
        f"command: spprov {command}",  # only the command's name: arguments are the user's data
        "",
        *traceback.format_exception(exc),
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as log:
        log.write("\n".join(line.rstrip("\n") for line in report) + "\n")
    return path
