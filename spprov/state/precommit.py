"""The pre-commit secret check: no plaintext state file and no secret value in a commit.

It reads files only (no sops process, no network) and never prints what it found: a
finding names the file, line and column and the kind of secret, so the log of a hook
run cannot leak the secret it stopped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spprov.const import (
    ACCESS_TOKEN_PREFIX,
    AGE_IDENTITY_PREFIX,
    CLIENT_SECRET_PREFIX,
    REFRESH_TOKEN_PREFIX,
    SOPS_CONFIG,
    STATE_SUFFIX,
)
from spprov.repofiles import NotRegularFileError, read_regular
from spprov.state.statefile import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY

MAX_SCAN_BYTES = 10 * 1024 * 1024
# Folders never walked when a folder is given: Git's own database.
SKIPPED_FOLDERS = frozenset({".git"})

# Kinds of secret and how each looks; the lengths keep prose like "Atzr|..." out. The "|"
# of a token may be URL-encoded (%7C) when it was copied out of a URL or a log.
_PIPE = r"(?:\||%7[Cc])"
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (f"an age identity ({AGE_IDENTITY_PREFIX}1...)",
     re.compile(re.escape(AGE_IDENTITY_PREFIX) + r"1[0-9A-Z]{50,}")),
    (f"an LWA refresh token ({REFRESH_TOKEN_PREFIX}...)",
     re.compile(rf"{REFRESH_TOKEN_PREFIX[:-1]}{_PIPE}[A-Za-z0-9_\-.~+/=%|]{{16,}}")),
    (f"an LWA access token ({ACCESS_TOKEN_PREFIX}...)",
     re.compile(rf"{ACCESS_TOKEN_PREFIX[:-1]}{_PIPE}[A-Za-z0-9_\-.~+/=%|]{{16,}}")),
    (f"an LWA client secret ({CLIENT_SECRET_PREFIX}...)",
     re.compile(re.escape(CLIENT_SECRET_PREFIX) + r"[A-Za-z0-9.]{16,}")),
)
_SECRET_KEY_LINE = re.compile(
    rf"^({REFRESH_TOKEN_KEY}|{CLIENT_SECRET_KEY}):[ \t]*(\S.*)?$", re.MULTILINE)
_SOPS_BLOCK = re.compile(r"^sops:[ \t]*$", re.MULTILINE)
ADVICE = "remove it from the commit"


@dataclass(frozen=True)
class Finding:
    """One thing that must not be committed, printed as ``FILE:LINE:COL: message``."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def scan_file(path: Path, name: str, state_file: bool) -> list[Finding]:
    """Everything wrong with one file; a state file must also be SOPS-encrypted.

    Binary files are searched for secrets too (a token pasted into a spreadsheet or an
    image's metadata is still a leak); their line and column count newline bytes.
    """
    try:
        data = read_regular(path, MAX_SCAN_BYTES)[:MAX_SCAN_BYTES]
    except NotRegularFileError as exc:
        # Git commits a link as its target's name, never the target's bytes: nothing to
        # scan (and a link to /dev/zero is never read); a state file must be a file.
        return [Finding(name, 1, 1, exc.reason)] if state_file else []
    except OSError as exc:
        return [Finding(name, 1, 1, f"cannot be read ({exc.strerror}); nothing was checked")]
    binary = b"\0" in data
    text = data.decode("latin-1" if binary else "utf-8", errors="replace")
    findings = list(secret_values(text, name))
    if state_file and not binary:
        findings += state_file_problems(text, name)
    return sorted(findings, key=lambda f: (f.line, f.column))


def files_to_check(path: Path, name: str) -> Iterator[tuple[Path, str]]:
    """``path`` itself, or every file under it when it is a folder (sorted, recursively).

    Symbolic links are not followed: Git stores a link as its target's name, so what a
    link points at is not part of the commit (and may be anywhere on the machine).
    """
    if path.is_symlink():
        return
    if not path.is_dir():
        yield path, name
        return
    for folder, folders, files in os.walk(path):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS)
        for file in sorted(files):
            found = Path(folder) / file
            if not found.is_symlink():
                yield found, Path(name, found.relative_to(path)).as_posix()


def secret_values(text: str, name: str) -> Iterator[Finding]:
    """Every secret-looking value in ``text``."""
    for kind, pattern in SECRET_PATTERNS:
        for match in pattern.finditer(text):
            line, column = _position(text, match.start())
            yield Finding(name, line, column, f"{kind} in plain text; {ADVICE} and revoke it "
                                              "if it was ever pushed")


def state_file_problems(text: str, name: str) -> Iterator[Finding]:
    """A state file without encryption, or with a secret field in plain text."""
    if not _SOPS_BLOCK.search(text):
        yield Finding(name, 1, 1, "a state file without a sops: block (decrypted?); "
                                  "commit only files that spprov wrote encrypted")
    for match in _SECRET_KEY_LINE.finditer(text):
        value = (match.group(2) or "").strip()
        if not value.startswith("ENC["):
            line, column = _position(text, match.start(2) if match.group(2) else match.start())
            yield Finding(name, line, column, f"{match.group(1)} is not encrypted (no ENC[...]); "
                                              f"{ADVICE}")


def is_state_file(path: Path, state_dir: Path) -> bool:
    """Whether ``path`` is one of spprov's state files (under the state folder or *.sops.yaml).

    ``.sops.yaml`` is sops's configuration (written by `spprov init`), never a state file.
    """
    if path.name == SOPS_CONFIG:
        return False
    if path.name.endswith(STATE_SUFFIX):
        return True
    try:
        path.resolve().relative_to(state_dir.resolve())
    except ValueError:
        return False
    return path.suffix in (".yaml", ".yml")


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
