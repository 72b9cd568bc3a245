"""The values that flow through spprov: config -> plan -> apply -> state."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from spprov.errors import Location
from spprov.regions import AccountKind, Environment, Region

DEFAULT_AUTHORIZATION_LIFETIME_DAYS = 365
DEFAULT_RENEWAL_WINDOW_DAYS = 30
STATE_FORMAT = 1


@dataclass(frozen=True)
class App:
    """An SP-API application (LWA client) that credentials are authorized for."""

    name: str
    application_id: str
    client_id: str
    redirect_uri: str
    draft: bool = False
    # None: private / self-authorized apps whose authorization does not expire.
    authorization_lifetime_days: int | None = DEFAULT_AUTHORIZATION_LIFETIME_DAYS
    renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Credential:
    """One declared credential: a selling partner's authorization of an app in a region."""

    name: str
    app: str
    kind: AccountKind
    consent_url: str
    sp_api_endpoint: str
    region: Region
    environment: Environment
    description: str | None = None
    selling_partner_id: str | None = None
    authorization_version: int = 1
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Desired:
    """Everything the credential files declare; credentials sorted by name."""

    apps: dict[str, App]
    credentials: tuple[Credential, ...]

    def credential(self, name: str) -> Credential | None:
        """The declared credential with this name, or None."""
        return next((c for c in self.credentials if c.name == name), None)


class AuthorizationMethod(enum.StrEnum):
    """How the stored refresh token was obtained."""

    WEBSITE = "website"
    SELF = "self"


@dataclass(frozen=True)
class Record:
    """The readable (non-secret) fields of one state file; reading it decrypts nothing."""

    name: str
    app: str
    client_id: str
    region: Region
    consent_url: str
    sp_api_endpoint: str
    authorization_method: AuthorizationMethod
    authorization_version: int
    authorized_at: datetime
    description: str | None = None
    selling_partner_id: str | None = None
    format: int = STATE_FORMAT
    path: Path | None = field(default=None, compare=False)
