"""Files a command writes where the user asked (reports): never through a link."""

from __future__ import annotations

from pathlib import Path

from spprov.errors import UsageError
from spprov.repofiles import NotRegularFileError, write_regular


def write_output(path: Path, shown: str, text: str) -> None:
    """Write ``text`` to ``path`` (a report FILE option); one line when it cannot be."""
    try:
        write_regular(path, text.encode("utf-8"))
    except NotRegularFileError as exc:
        raise UsageError(f"{exc.message(shown)}; nothing was written") from None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot write the file: {exc.strerror}") from None
