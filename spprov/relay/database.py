"""The relay's SQLite database: invitations, pending ``state`` values and sealed grants.

Only hashes of the link secrets, ``state`` values and browser cookies are stored, and grants
only sealed, so a copy of the file yields nothing usable. Each thread has its own connection
(WAL mode, ``synchronous=FULL``): a grant is on disk before the seller sees success.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spprov.relay.protocol import Invitation, RelayError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invitations (
    invitation_id TEXT PRIMARY KEY,
    link_hash TEXT NOT NULL UNIQUE,
    details TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS states (
    state_hash TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at REAL
);
CREATE TABLE IF NOT EXISTS grants (
    invitation_id TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    stored_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class StoredInvitation:
    """An invitation as the relay keeps it, with when it was used (None: not yet)."""

    invitation: Invitation
    used_at: float | None


@dataclass(frozen=True)
class PendingState:
    """A consent started from an invitation in one browser."""

    invitation_id: str
    browser_hash: str
    expires_at: float


class RelayDatabase:
    """The relay's one SQLite file; safe to use from many threads at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connection().executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- invitations ---------------------------------------------------------------------
    def add_invitation(self, invitation: Invitation) -> None:
        """Record a new invitation; the same one twice is fine, a clash is a RelayError."""
        details = json.dumps(invitation.to_json(), sort_keys=True)
        with self._transaction() as db:
            row = db.execute("SELECT details FROM invitations WHERE invitation_id = ? OR "
                             "link_hash = ?", (invitation.invitation_id,
                                               invitation.link_hash)).fetchone()
            if row is not None:
                if row[0] == details:
                    return
                raise RelayError(f"invitation {invitation.invitation_id} already exists "
                                 "with other details")
            db.execute("INSERT INTO invitations VALUES (?, ?, ?, ?, NULL)",
                       (invitation.invitation_id, invitation.link_hash, details,
                        invitation.expires_at.timestamp()))

    def invitation_by_link(self, link_hash: str) -> StoredInvitation | None:
        """The invitation a link's secret opens."""
        return self._invitation("link_hash", link_hash)

    def invitation(self, invitation_id: str) -> StoredInvitation | None:
        """The invitation with this ID."""
        return self._invitation("invitation_id", invitation_id)

    def _invitation(self, column: str, value: str) -> StoredInvitation | None:
        row = self._connection().execute(
            f"SELECT details, used_at FROM invitations WHERE {column} = ?",  # noqa: S608
            (value,)).fetchone()
        if row is None:
            return None
        return StoredInvitation(Invitation.from_json(json.loads(row[0])), row[1])

    def delete_invitation(self, invitation_id: str) -> None:
        """Forget an invitation, its pending states and its grant (collected or revoked)."""
        with self._transaction() as db:
            for table in ("grants", "states", "invitations"):
                db.execute(f"DELETE FROM {table} WHERE invitation_id = ?",  # noqa: S608
                           (invitation_id,))

    # -- states --------------------------------------------------------------------------
    def add_state(self, state_hash: str, invitation_id: str, browser_hash: str,
                  expires_at: float) -> None:
        """Remember a consent started in one browser."""
        with self._transaction() as db:
            db.execute("INSERT INTO states VALUES (?, ?, ?, ?, NULL)",
                       (state_hash, invitation_id, browser_hash, expires_at))

    def use_state(self, state_hash: str, now: float) -> PendingState | None | bool:
        """Mark a state used: its consent, None if unknown, False if already used."""
        with self._transaction() as db:
            row = db.execute("SELECT invitation_id, browser_hash, expires_at, used_at FROM "
                             "states WHERE state_hash = ?", (state_hash,)).fetchone()
            if row is None:
                return None
            if row[3] is not None:
                return False
            db.execute("UPDATE states SET used_at = ? WHERE state_hash = ?", (now, state_hash))
        return PendingState(row[0], row[1], row[2])

    # -- grants --------------------------------------------------------------------------
    def store_grant(self, invitation_id: str, sealed: str, now: float) -> bool:
        """Keep a sealed grant and mark its invitation used, in one durable transaction;
        False when the invitation already has one (or is gone)."""
        with self._transaction() as db:
            used = db.execute("UPDATE invitations SET used_at = ? WHERE invitation_id = ? AND "
                              "used_at IS NULL", (now, invitation_id)).rowcount
            if used != 1:
                return False
            db.execute("INSERT INTO grants VALUES (?, ?, ?)", (invitation_id, sealed, now))
        return True

    def sealed_grants(self, invitation_ids: list[str]) -> dict[str, str]:
        """The sealed grants of these invitations that have one."""
        found: dict[str, str] = {}
        db = self._connection()
        for start in range(0, len(invitation_ids), 500):
            chunk = invitation_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for invitation_id, sealed in db.execute(
                    f"SELECT invitation_id, sealed FROM grants "  # noqa: S608
                    f"WHERE invitation_id IN ({marks})", chunk):
                found[invitation_id] = sealed
        return found

    def close(self) -> None:
        """Close this thread's connection."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def open_database(path: Path) -> RelayDatabase:
    """The database at ``path``, created when missing; a RelayError says why it cannot."""
    try:
        return RelayDatabase(path)
    except sqlite3.Error as exc:
        raise RelayError(f"{path}: cannot open the relay database ({exc})") from None
