"""Reading state files: readable fields without decrypting (for plans and listings), and
decrypted documents whose MAC proves the readable fields too.

Decrypting happens in-process (``spprov.state.sopsreader``, no sops process); the sops
binary reads a file only when the person's identities come from a source only sops reads,
or the file is for KMS/PGP/... keys that its .sops.yaml rule names too. Either way the file
has met the trust check first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from spprov import hints
from spprov.const import SOPS_CONFIG
from spprov.errors import SpprovError, StateError
from spprov.hints import run_authorize
from spprov.model import KeyChange, Record
from spprov.secret import Secret
from spprov.state import statefile
from spprov.state.files import StateFiles, name_of
from spprov.state.sops import SopsRunner
from spprov.state.sopsreader import DelegateToSops, OtherKeyTypes, SopsReader
from spprov.state.statefile import CLIENT_SECRET_KEY, REFRESH_TOKEN_KEY
from spprov.state.trusted import Trust, signature


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


class StateReader:
    """Reads the state files of one repository; thread-safe."""

    def __init__(self, files: StateFiles, trusted: Trust, decrypter: SopsReader,
                 sops: SopsRunner) -> None:
        self._files = files
        self._trusted = trusted
        self._decrypter = decrypter
        self._sops = sops

    def read_all(self) -> StoredState:
        """The readable fields of every credential state file, and the files that cannot be
        read (by the name their file gives them); no sops process runs."""
        records: dict[str, Record] = {}
        unreadable: dict[str, str] = {}
        for path in self._files.credential_files():
            try:
                record = self.read_record(path)
            except StateError as exc:
                unreadable[name_of(path)] = str(exc)
                continue
            records[record.name] = record
        return StoredState(records, unreadable)

    def records(self) -> dict[str, Record]:
        """The readable fields of every credential state file that can be read."""
        return self.read_all().records

    def read_record(self, path: Path) -> Record:
        """One state file's readable fields (no decryption, so no MAC check)."""
        display = self._files.display(path)
        read = signature(path)
        try:
            document = statefile.whole_document(self._files.read_text(path))
        except StateError:
            raise
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{display}: cannot read ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - YAML errors are one line about the file
            raise StateError(f"{display}: {statefile.error_line(exc)}") from None
        self._trusted.remember(path, read, document)
        return statefile.parse_record(statefile.readable_part(document), path, display)

    def decrypt(self, name: str) -> StoredSecrets:
        """Decrypt one credential's state file; its MAC proves the readable fields too."""
        path = self._files.path_of(name)
        display = self._files.display(path)
        if not self._files.present(path):
            raise StateError(f"{display}: no such state file: run `spprov apply` first")
        document = self.read_document(path)
        record = statefile.parse_record(document, path, display)
        token = document.get(REFRESH_TOKEN_KEY)
        if not isinstance(token, str) or not token:
            raise StateError(f"{display}: no refresh_token: {run_authorize(name)}")
        return StoredSecrets(record, Secret(token))

    def read_document(self, path: Path) -> dict[str, Any]:
        """A state file decrypted, its MAC checked, after the trust check: a file naming a
        key service .sops.yaml does not use is refused before anything is contacted."""
        display = self._files.display(path)
        self._files.present(self._files.repo_root / SOPS_CONFIG)  # a linked one: refused
        if not self._files.present(path):
            raise StateError(f"{display}: no such state file")
        self._trusted.guard(path)
        try:
            return self._decrypter.read(path, display)
        except DelegateToSops:
            return self._sops.decrypt(path)
        except OtherKeyTypes as exc:
            if not self._trusted.root().configures(display, exc.key_types):
                raise
            return self._sops.decrypt(path)

    def key_changes(self) -> tuple[KeyChange, ...]:
        """Where .sops.yaml differs from what the state files are encrypted for."""
        return self._trusted.key_changes(self._files.credential_files()
                                         + self._files.app_files())

    def app_secret_set_at(self, app: str) -> datetime | None:
        """When the app's client secret was set (readable field, no decryption), or None."""
        path = self._files.app_path(app)
        if not self._files.present(path):
            return None
        try:
            fields = statefile.readable_fields(self._files.read_text(path))
            return statefile.check_app_fields(fields, path)
        except StateError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parse error is one line about the file
            raise StateError(f"{self._files.display(path)}: {statefile.error_line(exc)}"
                             ) from None

    def app_secret(self, app: str) -> AppSecret | None:
        """The app's decrypted client secret, or None when it has no file."""
        path = self._files.app_path(app)
        if not self._files.present(path):
            return None
        display = self._files.display(path)
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


def resolve_client_secret(app: str, reader: StateReader, environ: Mapping[str, str]) -> Secret:
    """The app's client secret: ``SPPROV_APP_<APP>_CLIENT_SECRET`` first, else its file."""
    variable = hints.client_secret_variable(app)
    value = environ.get(variable, "").rstrip("\r\n")
    if value:
        return Secret(value)
    stored = reader.app_secret(app)
    if stored is not None:
        return stored.client_secret
    raise SpprovError(f"no client secret for app {app}: set {variable} or run "
                      f"`spprov app set-secret {app}` (it reads the secret from stdin)")
