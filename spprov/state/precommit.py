"""The pre-commit secret check: no plaintext state file and no secret value in a commit.

It reads files only (no sops process, no network) and never prints what it found: a
finding names the file, line and column and the kind of secret, so the log of a hook
run cannot leak the secret it stopped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spprov.state.agekeys import SECRET_KEY_PREFIX
from spprov.state.statefile import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY, SUFFIX

MAX_SCAN_BYTES = 10 * 1024 * 1024

# Kinds of secret and how each looks; the lengths keep prose like "Atzr|..." out.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (f"an age identity ({SECRET_KEY_PREFIX}1...)",
     re.compile(re.escape(SECRET_KEY_PREFIX) + r"1[0-9A-Z]{50,}")),
    ("an LWA refresh token (Atzr|...)", re.compile(r"Atzr\|[A-Za-z0-9_\-.~+/=%|]{16,}")),
    ("an LWA access token (Atza|...)", re.compile(r"Atza\|[A-Za-z0-9_\-.~+/=%|]{16,}")),
    ("an LWA client secret (amzn1.oa2-cs....)", re.compile(r"amzn1\.oa2-cs\.[A-Za-z0-9.]{16,}")),
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
    """Everything wrong with one file; a state file must also be SOPS-encrypted."""
    try:
        data = path.read_bytes()[:MAX_SCAN_BYTES]
    except OSError:
        return []  # deleted or unreadable files are not being committed as text
    if b"\0" in data:
        return []
    text = data.decode("utf-8", errors="replace")
    findings = list(secret_values(text, name))
    if state_file:
        findings += state_file_problems(text, name)
    return sorted(findings, key=lambda f: (f.line, f.column))


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
    """Whether ``path`` is one of spprov's state files (under the state folder or *.sops.yaml)."""
    if path.name.endswith(SUFFIX):
        return True
    try:
        path.resolve().relative_to(state_dir.resolve())
    except ValueError:
        return False
    return path.suffix in (".yaml", ".yml")


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
