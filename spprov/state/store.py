"""StateStore: the repository's encrypted state, one SOPS file per credential and per app.

Listing reads readable fields only; decrypting reads the files in-process
(``spprov.state.sopsreader``, no sops process) and writing goes through the sops binary
(``spprov.state.writer``), under the repository lock. An update edits a temporary copy
with ``sops set --idempotent`` field by field, so unchanged values keep their ciphertext
and a no-op changes no byte.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from spprov import hints
from spprov.const import SOPS_CONFIG, STATE_SUFFIX
from spprov.errors import SpprovError, StateError
from spprov.hints import run_authorize
from spprov.model import KeyChange, Record
from spprov.repofiles import NotRegularFileError, check_folders, check_if_present, read_regular
from spprov.secret import Secret
from spprov.state import statefile
from spprov.state.keyring import MAX_STATE_BYTES, Keyring
from spprov.state.lock import RepositoryLock, remove_stale_temps, sync_folder
from spprov.state.sops import Sops
from spprov.state.sopsreader import DelegateToSops, OtherKeyTypes, SopsReader
from spprov.state.statefile import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY
from spprov.state.writer import StateWriter

CREDENTIALS_DIR = "credentials"
APPS_DIR = "apps"
# A write outside an explicit lock() waits this long for another run to finish.
WRITE_WAIT_SECONDS = 10.0
# What the pre-flight check encrypts in place of the refresh token (the length of one).
PREFLIGHT_TOKEN = "Atzr|" + "0" * 400  # noqa: S105 - a stand-in, not a secret


@dataclass(frozen=True)
class StoredSecrets:
    """A decrypted state file: its (MAC-checked) record and refresh token."""

    record: Record
    refresh_token: Secret


@dataclass(frozen=True)
class AppSecret:
    """An app's LWA client secret and when it was set."""

    app: str
    client_secret: Secret
    set_at: datetime
    times: statefile.SecretTimes | None = None  # None: set by hand, not by a rotation


@dataclass(frozen=True)
class StoredState:
    """What the state folder holds: readable records, and files that cannot be read."""

    records: dict[str, Record]
    unreadable: dict[str, str]  # name (from the file name) -> one line: file and reason


class StateStore:
    """Lists, reads, writes and deletes the state files under ``state_dir``."""

    def __init__(self, repo_root: Path, state_dir: Path, environ: Mapping[str, str],
                 lock: RepositoryLock | None = None, lock_timeout: float = 0.0) -> None:
        self.repo_root = repo_root.resolve()
        self.state_dir = state_dir if state_dir.is_absolute() else self.repo_root / state_dir
        # sops sees the credentials of exactly the key types the trusted .sops.yaml uses.
        self.sops = Sops(self.repo_root, environ,
                         key_types=lambda: self.keyring.trust_root().key_types())
        self.reader = SopsReader(environ)
        self._lock = lock or RepositoryLock(self.repo_root)
        self.lock_timeout = lock_timeout  # --lock-timeout: every wait is at least this long
        self.keyring = Keyring(self.repo_root, self.display)
        self.writer = StateWriter(self.sops, self.keyring, self.display)

    # -- paths ---------------------------------------------------------------------------
    def path_of(self, name: str) -> Path:
        """The state file of credential ``name``."""
        return self.state_dir / CREDENTIALS_DIR / f"{name}{STATE_SUFFIX}"

    def app_path(self, app: str) -> Path:
        """The client secret file of ``app``."""
        return self.state_dir / APPS_DIR / f"{app}{STATE_SUFFIX}"

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the repository root."""
        return self.sops.relative(path)

    def credential_files(self) -> list[Path]:
        """Every credential state file, sorted (temporary files left out)."""
        return _state_files(self.state_dir / CREDENTIALS_DIR)

    def app_files(self) -> list[Path]:
        """Every app secret file, sorted."""
        return _state_files(self.state_dir / APPS_DIR)

    def stored_apps(self) -> list[str]:
        """The apps that have a client secret file (from file names; nothing is read)."""
        return [path.name.removesuffix(STATE_SUFFIX) for path in self.app_files()]

    # -- reading -------------------------------------------------------------------------
    def read_all(self) -> StoredState:
        """The readable fields of every credential state file, and the files that cannot be
        read (by the name their file gives them); no sops process runs."""
        records: dict[str, Record] = {}
        unreadable: dict[str, str] = {}
        self.keyring.forget()
        for path in self.credential_files():
            try:
                record = self.read_record(path)
            except StateError as exc:
                unreadable[path.name.removesuffix(STATE_SUFFIX)] = str(exc)
                continue
            records[record.name] = record
        return StoredState(records, unreadable)

    def records(self) -> dict[str, Record]:
        """The readable fields of every credential state file that can be read."""
        return self.read_all().records

    def read_record(self, path: Path) -> Record:
        """One state file's readable fields (no decryption, so no MAC check)."""
        display = self.display(path)
        try:
            document = statefile.whole_document(self.read_text(path))
        except StateError:
            raise
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{display}: cannot read ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - YAML errors are one line about the file
            raise StateError(f"{display}: {statefile.error_line(exc)}") from None
        self.keyring.remember(path, document)
        return statefile.parse_record(statefile.readable_part(document), path, display)

    def decrypt(self, name: str) -> StoredSecrets:
        """Decrypt one credential's state file; its MAC proves the readable fields too."""
        path = self.path_of(name)
        display = self.display(path)
        if not self.present(path):
            raise StateError(f"{display}: no such state file: run `spprov apply` first")
        self.keyring.guard(path)
        document = self.read_document(path)
        record = statefile.parse_record(document, path, display)
        token = document.get(REFRESH_TOKEN_KEY)
        if not isinstance(token, str) or not token:
            raise StateError(f"{display}: no refresh_token: {run_authorize(name)}")
        return StoredSecrets(record, Secret(token))

    def read_document(self, path: Path) -> dict[str, Any]:
        """A state file decrypted in-process, its MAC checked. The sops binary reads it only
        when the person's identities come from a source only sops reads (a key command, SSH
        keys), or the file is for KMS/PGP/... keys that the .sops.yaml rule names too."""
        display = self.display(path)
        self.present(self.repo_root / SOPS_CONFIG)  # a linked .sops.yaml: refused
        if not self.present(path):
            raise StateError(f"{display}: no such state file")
        try:
            return self.reader.read(path, display)
        except DelegateToSops:
            return self.sops.decrypt(path)
        except OtherKeyTypes as exc:
            if not self.keyring.trust_root().configures(display, exc.key_types):
                raise
            return self.sops.decrypt(path)

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the repository lock (re-entrant); stale temporary files are removed."""
        with self._lock.held(max(wait, self.lock_timeout)) as first:
            if first:
                remove_stale_temps(self.state_dir / CREDENTIALS_DIR)
                remove_stale_temps(self.state_dir / APPS_DIR)
            yield

    def write(self, record: Record, refresh_token: Secret | None) -> bool:
        """Write a credential's file; True iff its bytes changed.

        A new refresh token makes a whole new file (a new data key, exactly the trusted
        recipients) that replaces the old one: never ``sops set`` into a file whose key a
        forged ``sops:`` block may share with someone else. Metadata alone is edited in
        place, so the token keeps its ciphertext and a no-op changes no byte.
        """
        path = self.path_of(record.name)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            present = self.present(path)
            if refresh_token is not None:
                fields = {**statefile.record_fields(record),
                          REFRESH_TOKEN_KEY: refresh_token.reveal()}
                self.writer.create(path, fields)
                return True
            if not present:
                raise StateError(f"{self.display(path)}: cannot create a state file "
                                 "without a refresh token")
            return self.writer.update(path, statefile.record_fields(record))

    def key_changes(self) -> tuple[KeyChange, ...]:
        """Where .sops.yaml differs from what the state files are encrypted for."""
        return self.keyring.key_changes(self.credential_files() + self.app_files())

    def move(self, old: str, record: Record) -> None:
        """Rename ``old``'s state file to ``record.name``'s and write its readable fields.

        Metadata only (``sops set`` on readable keys): the refresh token's ciphertext and the
        data key stay byte-identical. The new file is complete before the old one goes.
        """
        self._move_file(self.path_of(old), self.path_of(record.name),
                        statefile.record_fields(record))

    def move_app(self, old: str, new: str) -> None:
        """Rename app ``old``'s client secret file to ``new``'s; the secret is untouched."""
        source = self.app_path(old)
        set_at = self.app_secret_set_at(old)
        if set_at is None:
            raise StateError(f"{self.display(source)}: no such file; nothing to move")
        times = statefile.secret_times(statefile.readable_fields(self.read_text(source)))
        self._move_file(source, self.app_path(new), statefile.app_fields(new, set_at, times))

    def _move_file(self, source: Path, target: Path, fields: Mapping[str, object]) -> None:
        with self._writing(target), self.lock(WRITE_WAIT_SECONDS):
            if target.exists():
                raise StateError(f"{self.display(target)} exists already: cannot move "
                                 f"{self.display(source)} there (nothing was changed)")
            self.writer.copy_to(source, target, fields)
            source.unlink()
            sync_folder(source.parent)

    def check_writable(self, record: Record) -> None:
        """Fail now, not after a consent, when ``record`` could not be stored: its file is
        checked, and the record is encrypted through the path ``write`` takes (its creation
        rule, sops, the check of sops's output), with a stand-in for the refresh token."""
        path = self.path_of(record.name)
        with self._writing(path):
            self.present(path)
            fields = {**statefile.record_fields(record), REFRESH_TOKEN_KEY: PREFLIGHT_TOKEN}
            self.writer.check_encryptable(path, fields)

    def delete(self, name: str) -> None:
        """Delete a credential's state file (nothing happens when there is none)."""
        path = self.path_of(name)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            if self.present(path):
                path.unlink()
                sync_folder(path.parent)

    def rekey_file(self, path: Path) -> str:
        """Re-encrypt one state file for the trusted recipients: how (``unchanged``,
        ``rekeyed``, or ``rekeyed with a new data key`` when a recipient was removed)."""
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            self.present(path)
            return self.writer.rekey(path)

    # -- app client secrets --------------------------------------------------------------
    def app_secret_set_at(self, app: str) -> datetime | None:
        """When the app's client secret was set (readable field, no decryption), or None."""
        path = self.app_path(app)
        if not self.present(path):
            return None
        display = self.display(path)
        try:
            fields = statefile.readable_fields(self.read_text(path))
            return statefile.check_app_fields(fields, path)
        except StateError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parse error is one line about the file
            raise StateError(f"{display}: {statefile.error_line(exc)}") from None

    def app_secret(self, app: str) -> AppSecret | None:
        """The app's decrypted client secret, or None when it has no file."""
        path = self.app_path(app)
        if not self.present(path):
            return None
        display = self.display(path)
        self.keyring.guard(path)
        document = self.read_document(path)
        try:
            set_at = statefile.check_app_fields(document, path)
            times = statefile.secret_times(document)
        except ValueError as exc:
            raise StateError(f"{display}: {exc}") from None
        secret = document.get(CLIENT_SECRET_KEY)
        if not isinstance(secret, str) or not secret:
            raise StateError(f"{display}: no client_secret: run `spprov app set-secret {app}`")
        return AppSecret(app, Secret(secret), set_at, times)

    def set_app_secret(self, app: str, secret: Secret, now: datetime,
                       times: statefile.SecretTimes | None = None) -> bool:
        """Store the app's client secret; ``set_at`` moves only when the secret changed.

        ``times``: what the rotation's notification said of it (a secret set by hand has
        none), so a late notification of an earlier rotation cannot replace it.
        """
        path = self.app_path(app)
        with self._writing(path), self.lock(WRITE_WAIT_SECONDS):
            current = self.app_secret(app) if self.present(path) else None
            if current is not None and current.client_secret.reveal() == secret.reveal():
                return False
            fields = {**statefile.app_fields(app, now, times), CLIENT_SECRET_KEY: secret.reveal()}
            self.writer.create(path, fields)  # a new secret gets a new data key
            return True

    # -- links and special files --------------------------------------------------------
    def present(self, path: Path) -> bool:
        """True for a regular state file, False for none; a link, FIFO, device or a file in
        a linked folder is refused with one line naming it, before anything reads it."""
        try:
            check_folders(path, self.repo_root)
            return check_if_present(path)
        except NotRegularFileError as exc:
            raise StateError(exc.message(self.display(path))) from None

    def read_text(self, path: Path) -> str:
        """A state file's text: a regular file of at most MAX_STATE_BYTES, never a link."""
        if not self.present(path):
            raise FileNotFoundError(2, "no such file")
        data = read_regular(path, MAX_STATE_BYTES)
        if len(data) > MAX_STATE_BYTES:
            raise StateError(f"{self.display(path)}: larger than {MAX_STATE_BYTES} bytes; not "
                             "a state file (restore it from Git)")
        return data.decode("utf-8")

    # -- internals -----------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        """Turn a file system refusal (permissions, full disk) into one clear line."""
        try:
            yield
        except OSError as exc:
            raise StateError(
                f"cannot write {self.display(path)}: {exc.strerror or exc}; check that the "
                "folder is writable and the disk not full (nothing was changed)") from exc


def resolve_client_secret(app: str, store: StateStore, environ: Mapping[str, str]) -> Secret:
    """The app's client secret: ``SPPROV_APP_<APP>_CLIENT_SECRET`` first, else its file."""
    variable = hints.client_secret_variable(app)
    value = environ.get(variable, "").rstrip("\r\n")
    if value:
        return Secret(value)
    stored = store.app_secret(app)
    if stored is not None:
        return stored.client_secret
    raise SpprovError(f"no client secret for app {app}: set {variable} or run "
                      f"`spprov app set-secret {app}` (it reads the secret from stdin)")


def _state_files(folder: Path) -> list[Path]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [folder / name for name in sorted(names)
            if name.endswith(STATE_SUFFIX) and not name.startswith(".")]
