"""What spprov and its relay say to each other: invitations, sealed grants and hashes.

One home for the wire format, read by both sides: the relay (``spprov.relay.app``) and the
admin client that ``spprov invite`` and ``spprov apply`` use (``spprov.relay.client``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

import pyrage
from pyrage import x25519

from spprov.errors import SpprovError
from spprov.secret import Secret

TOKEN_ENV = "SPPROV_RELAY_TOKEN"  # noqa: S105 - a variable name, not a secret
LINK_PATH = "/i/"
ADMIN_PATH = "/admin"
HEALTH_PATH = "/healthz"
FORMAT_VERSION = 1
SECRET_BYTES = 32
# Invitation IDs are public (the repository records them): short, random, no secret.
INVITATION_ID_BYTES = 9


class RelayError(SpprovError):
    """The relay refused a request, or answered something spprov cannot use."""


class GrantError(SpprovError):
    """A sealed grant that cannot be opened or does not match what the repository invited."""


def new_secret() -> str:
    """An unpredictable single-use value: a link's secret, a ``state``, a browser cookie."""
    return secrets.token_urlsafe(SECRET_BYTES)


def new_invitation_id() -> str:
    """A public invitation ID, e.g. ``inv-Xb3...``."""
    return "inv-" + secrets.token_urlsafe(INVITATION_ID_BYTES)


def secret_hash(value: str) -> str:
    """What the relay stores instead of a secret: its SHA-256 (the secrets are 256-bit
    random, so a copy of the database cannot be searched for them)."""
    return hashlib.sha256(value.encode()).hexdigest()


def iso(moment: datetime) -> str:
    """A UTC time as the wire carries it: ``2026-12-03T15:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: object, what: str) -> datetime:
    """A wire time back; a RelayError names the field otherwise."""
    if not isinstance(text, str):
        raise RelayError(f"{what} is not a time")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise RelayError(f"{what} is not a UTC time like 2026-12-03T15:00:00Z") from None
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Invitation:
    """What the relay needs to run one seller's consent; nothing secret is in it."""

    invitation_id: str
    link_hash: str
    credential: str
    description: str | None
    app: str
    application_id: str
    client_id: str
    redirect_uri: str
    draft: bool
    consent_url: str
    sp_api_endpoint: str
    region: str
    account_kind: str
    selling_partner_id: str | None
    recipients: tuple[str, ...]
    expires_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The invitation as the admin API carries it."""
        data = asdict(self)
        data["recipients"] = list(self.recipients)
        data["expires_at"] = iso(self.expires_at)
        return {"format_version": FORMAT_VERSION, **data}

    @classmethod
    def from_json(cls, data: object) -> Invitation:
        """An invitation from the admin API; RelayError when a field is missing or wrong."""
        fields = _object(data, "invitation")
        strings = ("invitation_id", "link_hash", "credential", "app", "application_id",
                   "client_id", "redirect_uri", "consent_url", "sp_api_endpoint", "region",
                   "account_kind")
        values: dict[str, Any] = {name: _string(fields, name) for name in strings}
        values["description"] = _optional_string(fields, "description")
        values["selling_partner_id"] = _optional_string(fields, "selling_partner_id")
        draft = fields.get("draft")
        if not isinstance(draft, bool):
            raise RelayError("invitation field draft must be true or false")
        recipients = fields.get("recipients")
        if (not isinstance(recipients, list) or not recipients
                or not all(isinstance(r, str) for r in recipients)):
            raise RelayError("invitation field recipients must be a list of age recipients")
        for recipient in recipients:
            _recipient(recipient)
        return cls(**values, draft=draft, recipients=tuple(recipients),
                   expires_at=parse_iso(fields.get("expires_at"), "invitation expires_at"))


@dataclass(frozen=True)
class Grant:
    """What a seller's consent produced: sealed by the relay, opened by the repository."""

    invitation_id: str
    credential: str
    application_id: str
    client_id: str
    redirect_uri: str
    region: str
    sp_api_endpoint: str
    selling_partner_id: str
    refresh_token: Secret
    authorized_at: datetime
    marketplaces: tuple[str, ...]

    def _plaintext(self) -> bytes:
        data = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}
        data.update(refresh_token=self.refresh_token.reveal(),
                    authorized_at=iso(self.authorized_at), marketplaces=list(self.marketplaces))
        return json.dumps({"format_version": FORMAT_VERSION, **data}).encode()

    def __repr__(self) -> str:
        return f"Grant({self.invitation_id}, {self.credential}, {self.selling_partner_id})"


def seal(grant: Grant, recipients: tuple[str, ...]) -> str:
    """The grant encrypted with age to ``recipients`` (armored text); only their identities
    open it."""
    keys = [_recipient(recipient) for recipient in recipients]
    return str(pyrage.encrypt(grant._plaintext(), keys, armored=True).decode())


def open_sealed(sealed: str, identities: tuple[x25519.Identity, ...]) -> Grant:
    """A sealed grant opened with the repository's identities; GrantError otherwise."""
    try:
        plaintext = pyrage.decrypt(sealed.encode(), list(identities))
    except Exception:  # noqa: BLE001 - pyrage raises its own untyped errors
        raise GrantError("it is not sealed for this repository's age recipients (none of "
                         "the available identities opens it)") from None
    try:
        data = _object(json.loads(plaintext), "grant")
        if data.get("format_version") != FORMAT_VERSION:
            raise RelayError(f"grant format_version {data.get('format_version')!r} is not "
                             f"{FORMAT_VERSION}")
        strings = ("invitation_id", "credential", "application_id", "client_id",
                   "redirect_uri", "region", "sp_api_endpoint", "selling_partner_id")
        values: dict[str, Any] = {name: _string(data, name) for name in strings}
        marketplaces = data.get("marketplaces")
        if not isinstance(marketplaces, list) or not all(isinstance(m, str)
                                                         for m in marketplaces):
            raise RelayError("grant field marketplaces must be a list of IDs")
        return Grant(**values, refresh_token=Secret(_string(data, "refresh_token")),
                     authorized_at=parse_iso(data.get("authorized_at"), "grant authorized_at"),
                     marketplaces=tuple(marketplaces))
    except (ValueError, RelayError) as exc:
        raise GrantError(f"its contents are not a grant ({exc})") from None


def _recipient(text: str) -> x25519.Recipient:
    try:
        return x25519.Recipient.from_str(text)
    except Exception:  # noqa: BLE001 - pyrage raises its own untyped errors
        raise RelayError(f"{text[:70]!r} is not an age recipient") from None


def _object(data: object, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RelayError(f"the {what} is not a JSON object")
    return data


def _string(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise RelayError(f"field {name} must be a non-empty string")
    return value


def _optional_string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 4096:
        raise RelayError(f"field {name} must be a string or null")
    return value
