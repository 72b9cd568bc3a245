"""Writing state files: whole new files, field edits, renames, re-keying and deletion, each
under the repository lock and through the sops runner (which checks every result against
the trusted rule before anything is replaced).

An update edits a temporary copy with ``sops set --idempotent`` field by field, so
unchanged values keep their ciphertext and a no-op changes no byte.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from spprov.errors import StateError
from spprov.model import Record
from spprov.repofiles import read_regular
from spprov.secret import Secret
from spprov.state import statefile
from spprov.state.files import APPS_DIR, CREDENTIALS_DIR, MAX_STATE_BYTES, StateFiles
from spprov.state.lock import (
    RepositoryLock,
    commit,
    copy_beside,
    remove_stale_temps,
    sync_folder,
    write_atomically,
)
from spprov.state.reader import StateReader
from spprov.state.sops import Edits, SopsRunner
from spprov.state.statefile import CLIENT_SECRET_KEY, OPTIONAL_KEYS, REFRESH_TOKEN_KEY

# A write outside an explicit lock() waits this long for another run to finish.
WRITE_WAIT_SECONDS = 10.0
# What the pre-flight check encrypts in place of the refresh token (the length of one).
PREFLIGHT_TOKEN = "Atzr|" + "0" * 400  # noqa: S105 - a stand-in, not a secret
_MISSING: Any = object()


class StateWriter:
    """Writes the state files of one repository, for the keys ``.sops.yaml`` trusts."""

    def __init__(self, files: StateFiles, reader: StateReader, sops: SopsRunner,
                 lock: RepositoryLock, lock_timeout: float = 0.0) -> None:
        self._files = files
        self._reader = reader
        self._sops = sops
        self._lock = lock
        self.lock_timeout = lock_timeout  # --lock-timeout: every wait is at least this long

    @contextlib.contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the repository lock (re-entrant); stale temporary files are removed."""
        with self._lock.held(max(wait, self.lock_timeout)) as first:
            if first:
                remove_stale_temps(self._files.state_dir / CREDENTIALS_DIR)
                remove_stale_temps(self._files.state_dir / APPS_DIR)
            yield

    def write(self, record: Record, refresh_token: Secret | None) -> bool:
        """Write a credential's file; True iff its bytes changed.

        A new refresh token makes a whole new file (a new data key, exactly the trusted
        recipients) that replaces the old one: never ``sops set`` into a file whose key a
        forged ``sops:`` block may share with someone else. Metadata alone is edited in
        place, so the token keeps its ciphertext and a no-op changes no byte.
        """
        path = self._files.path_of(record.name)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            present = self._files.present(path)
            if refresh_token is not None:
                self._create(path, {**statefile.record_fields(record),
                                    REFRESH_TOKEN_KEY: refresh_token.reveal()})
                return True
            if not present:
                raise StateError(f"{self._files.display(path)}: cannot create a state file "
                                 "without a refresh token")
            return self._update(path, statefile.record_fields(record))

    def move(self, old: str, record: Record) -> None:
        """Rename ``old``'s state file to ``record.name``'s and write its readable fields.

        Metadata only (``sops set`` on readable keys): the refresh token's ciphertext and the
        data key stay byte-identical. The new file is complete before the old one goes.
        """
        self._move_file(self._files.path_of(old), self._files.path_of(record.name),
                        statefile.record_fields(record))

    def move_app(self, old: str, new: str) -> None:
        """Rename app ``old``'s client secret file to ``new``'s; the secret is untouched."""
        source = self._files.app_path(old)
        set_at = self._reader.app_secret_set_at(old)
        if set_at is None:
            raise StateError(f"{self._files.display(source)}: no such file; nothing to move")
        times = statefile.secret_times(statefile.readable_fields(self._files.read_text(source)))
        self._move_file(source, self._files.app_path(new),
                        statefile.app_fields(new, set_at, times))

    def check_writable(self, record: Record) -> None:
        """Fail now, not after a consent, when ``record`` could not be stored: its file is
        checked, and the record is encrypted through the path ``write`` takes (its creation
        rule, sops, the check of sops's output), with a stand-in for the refresh token."""
        path = self._files.path_of(record.name)
        with self._writing(path):
            self._files.present(path)
            fields = {**statefile.record_fields(record), REFRESH_TOKEN_KEY: PREFLIGHT_TOKEN}
            self._sops.encrypt(path, Secret(statefile.dump(fields)))

    def delete(self, name: str) -> None:
        """Delete a credential's state file (nothing happens when there is none)."""
        path = self._files.path_of(name)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            if self._files.present(path):
                path.unlink()
                sync_folder(path.parent)

    def rekey_file(self, path: Path) -> str:
        """Re-encrypt one state file for the trusted recipients: how (``unchanged``,
        ``rekeyed``, or ``rekeyed with a new data key`` when a recipient was removed)."""
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            self._files.present(path)
            temp = copy_beside(path)
            try:
                how = self._sops.rekey(temp, path)
                if temp.read_bytes() != read_regular(path, MAX_STATE_BYTES):
                    commit(temp, path)
                return how
            finally:
                temp.unlink(missing_ok=True)

    def set_app_secret(self, app: str, secret: Secret, now: datetime,
                       times: statefile.SecretTimes | None = None) -> bool:
        """Store the app's client secret; ``set_at`` moves only when the secret changed.

        ``times``: what the rotation's notification said of it (a secret set by hand has
        none), so a late notification of an earlier rotation cannot replace it.
        """
        path = self._files.app_path(app)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            current = self._reader.app_secret(app) if self._files.present(path) else None
            if current is not None and current.client_secret.reveal() == secret.reveal():
                return False
            fields = {**statefile.app_fields(app, now, times),
                      CLIENT_SECRET_KEY: secret.reveal()}
            self._create(path, fields)  # a new secret gets a new data key
            return True

    # -- one file -------------------------------------------------------------------------
    def _create(self, path: Path, fields: Mapping[str, object]) -> None:
        """A whole new file (new data key) replacing ``path`` atomically, checked first."""
        write_atomically(path, self._sops.encrypt(path, Secret(statefile.dump(fields))))

    def _update(self, path: Path, wanted: Mapping[str, object]) -> bool:
        """Set the readable fields that differ in a temporary copy; replace the file only
        if a byte changed. The secret keeps its ciphertext."""
        edits = _field_edits(read_regular(path, MAX_STATE_BYTES), wanted)
        if not edits:
            return False
        temp = copy_beside(path)
        try:
            if not self._sops.edit(temp, path, edits):
                return False
            commit(temp, path)
            return True
        finally:
            temp.unlink(missing_ok=True)

    def _move_file(self, source: Path, target: Path, fields: Mapping[str, object]) -> None:
        with self._writing(target), self.lock(WRITE_WAIT_SECONDS):
            if target.exists():
                raise StateError(f"{self._files.display(target)} exists already: cannot move "
                                 f"{self._files.display(source)} there (nothing was changed)")
            self._files.present(source)
            temp = copy_beside(source)
            try:
                self._sops.move(temp, source, target,
                                _field_edits(read_regular(temp, MAX_STATE_BYTES), fields))
                commit(temp, target)
            finally:
                temp.unlink(missing_ok=True)
            source.unlink()
            sync_folder(source.parent)

    @contextlib.contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """Turn a file system refusal (permissions, full disk) into one clear line."""
        try:
            yield
        except OSError as exc:
            raise StateError(
                f"cannot write {self._files.display(path)}: {exc.strerror or exc}; check that "
                "the folder is writable and the disk not full (nothing was changed)") from exc


def _field_edits(current_file: bytes, wanted: Mapping[str, object]) -> Edits:
    """(key, new JSON value or None to remove) for each readable field that differs."""
    try:
        current = statefile.readable_fields(current_file.decode("utf-8"))
    except Exception:  # noqa: BLE001 - unreadable: rewrite every field, sops checks the MAC
        current = {}
    edits: list[tuple[str, Secret | None]] = [
        (key, Secret(json.dumps(value))) for key, value in wanted.items()
        if current.get(key, _MISSING) != value]
    edits += [(key, None) for key in OPTIONAL_KEYS if key in current and key not in wanted]
    return edits
