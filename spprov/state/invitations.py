"""Invitation records: which seller was invited, until when, through which relay.

One readable YAML file per credential, ``state/invitations/NAME.yaml``, committed with the
state so a pull request shows every invitation. A record never holds the link's secret:
the link is printed once, and the relay keeps only its hash. Records are written like any
repository file (a temporary file renamed into place, never through a link).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spprov.errors import StateError
from spprov.repofiles import NotRegularFileError, check_folders, read_regular_text, write_regular
from spprov.state.lock import TEMP_PREFIX, sync_folder
from spprov.yamlfile import YamlError, dump, parse

INVITATIONS_DIR = "invitations"
SUFFIX = ".yaml"
FORMAT = 1
MAX_RECORD_BYTES = 4096
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_HEADER = ("# An invitation for a seller's consent through the app's relay (spprov invite).\n"
           "# The link's secret is not here: the relay keeps only its hash.\n")


@dataclass(frozen=True)
class InvitationRecord:
    """One credential's pending invitation."""

    credential: str
    invitation_id: str
    relay: str
    action: str
    invited_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the link no longer works."""
        return self.expires_at <= now


class InvitationRecords:
    """The invitation records under ``state_dir/invitations``."""

    def __init__(self, repo_root: Path, state_dir: Path) -> None:
        self.repo_root = repo_root
        self.folder = state_dir / INVITATIONS_DIR

    def path_of(self, name: str) -> Path:
        """The record of credential ``name``."""
        return self.folder / f"{name}{SUFFIX}"

    def all(self) -> dict[str, InvitationRecord]:
        """Every readable record, by credential; a record that cannot be read is an error."""
        if not self.folder.is_dir():
            return {}
        records = {}
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            if not path.name.startswith(TEMP_PREFIX):
                record = self._read(path)
                records[record.credential] = record
        return records

    def _read(self, path: Path) -> InvitationRecord:
        shown = path.relative_to(self.repo_root) if path.is_relative_to(self.repo_root) \
            else path
        try:
            check_folders(path, self.repo_root)
            fields = parse(read_regular_text(path, MAX_RECORD_BYTES)).value
            if not isinstance(fields, dict) or fields.get("format") != FORMAT:
                raise ValueError(f"not an invitation record of format {FORMAT}")
            record = InvitationRecord(
                _text(fields, "credential"), _text(fields, "invitation_id"),
                _text(fields, "relay"), _text(fields, "action"),
                _time(fields, "invited_at"), _time(fields, "expires_at"))
        except NotRegularFileError as exc:
            raise StateError(exc.message(str(shown))) from None
        except (OSError, ValueError, YamlError) as exc:
            raise StateError(f"{shown}: cannot read the invitation record ({exc}); delete "
                             "it and invite again with `spprov invite`") from None
        if f"{record.credential}{SUFFIX}" != path.name:
            raise StateError(f"{shown}: the record is for credential {record.credential!r}, "
                             "not the one its file name says; delete it and invite again")
        return record

    def write(self, record: InvitationRecord) -> None:
        """Create or replace a credential's record, durably."""
        self.folder.mkdir(parents=True, exist_ok=True)
        check_folders(self.path_of("x"), self.repo_root)
        document = {"format": FORMAT, "credential": record.credential,
                    "invitation_id": record.invitation_id, "relay": record.relay,
                    "action": record.action,
                    "invited_at": record.invited_at.astimezone(UTC).strftime(_TIME),
                    "expires_at": record.expires_at.astimezone(UTC).strftime(_TIME)}
        temporary = self.folder / f"{TEMP_PREFIX}{record.credential}{SUFFIX}"
        write_regular(temporary, (_HEADER + dump(document)).encode())
        os.replace(temporary, self.path_of(record.credential))
        sync_folder(self.folder)

    def delete(self, name: str) -> None:
        """Remove a credential's record (collected, or no longer needed)."""
        path = self.path_of(name)
        if path.exists() or path.is_symlink():
            path.unlink()
            sync_folder(self.folder)


def _text(fields: dict[str, object], key: str) -> str:
    value = fields.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is missing")
    return value


def _time(fields: dict[str, object], key: str) -> datetime:
    try:
        return datetime.strptime(_text(fields, key), _TIME).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{key} is not a time like 2026-12-03T15:00:00Z") from None
