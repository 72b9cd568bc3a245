"""The health of credentials and apps as values: what `spprov status` shows and judges.

The judgement itself (which findings a credential has) is made in spprov.reconcile.assess;
renderers read only these values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from spprov.model import TokenCheck


class Severity(enum.IntEnum):
    """How bad a finding is; `status` exits 1 when anything is BROKEN."""

    OK = 0
    WARNING = 1
    BROKEN = 2

    @property
    def label(self) -> str:
        """``ok``, ``warning`` or ``broken``."""
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code (for JSON), how bad it is, and what to do."""

    code: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Probe:
    """What `--refresh` learned for one credential: its token and the sellers call."""

    token: TokenCheck
    region_ok: bool | None = None  # None: the sellers call was not made
    message: str | None = None


class SecretSource(enum.StrEnum):
    """Where an app's client secret comes from."""

    STATE = "state"
    ENVIRONMENT = "environment"
    MISSING = "missing"


@dataclass(frozen=True)
class AppSecretInfo:
    """How one app's secret is provided (readable facts only, nothing decrypted)."""

    source: SecretSource
    set_at: datetime | None = None
    problem: str | None = None  # its state file could not be read


@dataclass(frozen=True)
class CredentialHealth:
    """One row of `spprov status` for a credential."""

    name: str
    app: str | None
    region: str | None
    environment: str | None
    kind: str | None
    selling_partner_id: str | None
    declared: bool
    authorized_at: datetime | None
    authorization_expires_at: datetime | None
    renewal_due_at: datetime | None
    days_until_expiry: int | None
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> Severity:
        """The worst finding's severity (OK when there is none)."""
        return max((f.severity for f in self.findings), default=Severity.OK)


@dataclass(frozen=True)
class AppHealth:
    """One row of `spprov status` for an app's client secret."""

    name: str
    secret_source: SecretSource
    secret_set_at: datetime | None
    secret_age_days: int | None
    rotate_by: datetime | None
    findings: tuple[Finding, ...]

    @property
    def severity(self) -> Severity:
        """The worst finding's severity (OK when there is none)."""
        return max((f.severity for f in self.findings), default=Severity.OK)


@dataclass(frozen=True)
class Health:
    """Every row, and whether the tokens were checked."""

    generated_at: datetime
    refreshed: bool
    credentials: tuple[CredentialHealth, ...]
    apps: tuple[AppHealth, ...]
    state_problems: tuple[str, ...] = ()

    def broken(self) -> bool:
        """True when a CI job should fail: any broken row or unreadable state file."""
        severities = [r.severity for r in self.credentials] + [r.severity for r in self.apps]
        return bool(self.state_problems) or Severity.BROKEN in severities
