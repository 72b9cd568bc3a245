"""The pre-commit secret check: no plaintext state file and no secret value in a commit.

It reads files only (no sops process, no network) and never prints what it found: a
finding names the file, line and column and the kind of secret, so the log of a hook
run cannot leak the secret it stopped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from spprov.const import (
    ACCESS_TOKEN_PREFIX,
    AGE_IDENTITY_PREFIX,
    CLIENT_SECRET_PREFIX,
    REFRESH_TOKEN_PREFIX,
    SOPS_CONFIG,
    STATE_SUFFIX,
)
from spprov.repofiles import NotRegularFileError, open_regular
from spprov.state.statefile import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY

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

    The file is read in pieces, so a file of any size is searched to its end. Text in
    UTF-16 (what PowerShell and Windows tools write) is decoded as such; binary files are
    searched too (a token pasted into a spreadsheet or an image's metadata is still a leak),
    their line and column counting newline bytes. Base64 runs are decoded and searched
    (a Kubernetes Secret's ``data:``, a CI variable export).
    """
    try:
        fd = open_regular(path)
    except NotRegularFileError as exc:
        # Git commits a link as its target's name, never the target's bytes: nothing to
        # scan (and a link to /dev/zero is never read); a state file must be a file.
        return [Finding(name, 1, 1, exc.reason)] if state_file else []
    except OSError as exc:
        return [Finding(name, 1, 1, f"cannot be read ({exc.strerror}); nothing was checked")]
    with os.fdopen(fd, "rb") as handle:
        os.set_blocking(fd, True)
        try:
            findings, head, binary = _scan_stream(handle, name)
        except OSError as exc:
            return [Finding(name, 1, 1, f"cannot be read ({exc.strerror}); nothing was "
                                        "checked")]
    if state_file and not binary:
        findings += state_file_problems(head, name)
    return sorted(set(findings), key=lambda f: (f.line, f.column, f.message))


CHUNK_BYTES = 1 << 20
# Kept from one piece to the next when a piece ends inside a long word (no white space),
# so a secret that straddles the cut is still found whole.
OVERLAP_CHARS = 16 * 1024
# A state file's own checks read its beginning (spprov's state files are a few KB).
STATE_FILE_CHARS = 1 << 20


def _scan_stream(handle: BinaryIO, name: str) -> tuple[list[Finding], str, bool]:
    """(findings, the text's beginning, whether the file is binary) of a whole stream."""
    first = handle.read(CHUNK_BYTES)
    encoding, binary = _encoding(first)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    cursor = _Cursor()
    findings: list[Finding] = []
    head, pending, data = "", "", first
    while True:
        last = not data
        pending += decoder.decode(data, final=last)
        if len(head) < STATE_FILE_CHARS:
            head += pending[: STATE_FILE_CHARS - len(head)]
        cut = len(pending) if last else _cut(pending)
        findings += _findings(pending, cut, cursor, name)
        cursor.advance(pending[:cut])
        pending = pending[cut:]
        if last:
            return findings, head.removeprefix("\ufeff"), binary
        data = handle.read(CHUNK_BYTES)


def _encoding(first: bytes) -> tuple[str, bool]:
    """The codec of a file from its first bytes, and whether it is binary."""
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    sample = first[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.4 and even.count(0) < len(even) * 0.05:
            return "utf-16-le", False
        if even.count(0) > len(even) * 0.4 and odd.count(0) < len(odd) * 0.05:
            return "utf-16-be", False
    binary = b"\0" in first
    return ("latin-1" if binary else "utf-8"), binary


def _cut(text: str) -> int:
    """Where to end this piece: after its last white space (no secret or base64 run holds
    one), or OVERLAP_CHARS before its end when a word runs that long."""
    keep_from = max(len(text) - OVERLAP_CHARS, 0)
    space = max(text.rfind(ch, keep_from) for ch in " \n\t\r")
    return space + 1 if space >= 0 else keep_from


class _Cursor:
    """Line and column of the text before the current piece."""

    def __init__(self) -> None:
        self.line = 1
        self.column = 1  # column of the piece's first character

    def advance(self, consumed: str) -> None:
        newlines = consumed.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(consumed) - consumed.rfind("\n")
        else:
            self.column += len(consumed)

    def position(self, text: str, offset: int) -> tuple[int, int]:
        newlines = text.count("\n", 0, offset)
        if not newlines:
            return self.line, self.column + offset
        return self.line + newlines, offset - text.rfind("\n", 0, offset)


def _findings(text: str, cut: int, cursor: _Cursor, name: str) -> list[Finding]:
    """Secrets in ``text`` whose first character lies before ``cut``."""
    found = [(start, kind, "") for start, kind in _secrets_in(text) if start < cut]
    for match in _BASE64.finditer(text, 0, len(text)):
        if match.start() >= cut:
            break
        found += [(match.start(), kind, ", base64-encoded,")
                  for kind in _base64_secrets(match.group())]
    return [Finding(name, *cursor.position(text, start), f"{kind}{how} in plain text; "
                    f"{ADVICE} and revoke it if it was ever pushed")
            for start, kind, how in found]


def _secrets_in(text: str) -> Iterator[tuple[int, str]]:
    for kind, pattern in SECRET_PATTERNS:
        for match in pattern.finditer(text):
            yield match.start(), kind


# Standard and URL-safe base64 of at least 24 characters (18 bytes: "Atzr|" and more).
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{24,}={0,2}")
MAX_BASE64_CHARS = 1 << 20


def _base64_secrets(run: str) -> set[str]:
    """The kinds of secret in the bytes a base64 run decodes to (none if it does not)."""
    data = run.rstrip("=")[:MAX_BASE64_CHARS]
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    padded = data + "=" * (-len(data) % 4)
    try:
        decoded = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return set()
    if not decoded:
        return set()
    encoding, _binary = _encoding(decoded)
    text = decoded.decode(encoding, errors="replace")
    return {kind for _start, kind in _secrets_in(text)}


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
    """Every secret-looking value in ``text`` (plain or base64-encoded)."""
    yield from _findings(text, len(text), _Cursor(), name)


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
