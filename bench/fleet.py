"""A made-up fleet of any size (no repository behind it), for the report's screenshots
and its benchmark: several apps, renewals spread over the year, a few problems."""

from __future__ import annotations

from datetime import datetime, timedelta

from spprov.health import (
    AppHealth,
    CredentialHealth,
    Finding,
    Health,
    SecretSource,
    Severity,
)

APPS = ("acme", "globex", "initech", "umbrella")
REGIONS = ("na", "eu", "fe")


def sample_health(credentials: int, now: datetime) -> Health:
    """``credentials`` rows over four apps, their authorizations made over the last year."""
    rows = tuple(_credential(i, now) for i in range(credentials))
    apps = tuple(AppHealth(app, SecretSource.STATE, now - timedelta(days=40 + 50 * i),
                           40 + 50 * i, now + timedelta(days=140 - 50 * i),
                           _secret_findings(40 + 50 * i)) for i, app in enumerate(APPS))
    return Health(now, False, rows, apps)


def _credential(index: int, now: datetime) -> CredentialHealth:
    authorized = now - timedelta(days=(index * 37) % 365, hours=index % 24)
    expires = authorized + timedelta(days=365)
    days = (expires - now).days
    findings: tuple[Finding, ...] = ()
    if days <= 30:
        findings = (Finding("renewal-due", Severity.WARNING,
                            f"authorization expires in {days} days"),)
    if index % 97 == 0:
        findings += (Finding("not-authorized", Severity.BROKEN, "declared but not authorized"),)
    return CredentialHealth(
        name=f"seller-{index:05d}", app=APPS[index % len(APPS) if index % 5 else 0],
        region=REGIONS[index % 3], environment="production", kind="seller",
        selling_partner_id=f"A{index:013d}", declared=True, authorized_at=authorized,
        authorization_expires_at=expires, renewal_due_at=expires - timedelta(days=30),
        days_until_expiry=days, findings=findings)


def _secret_findings(age: int) -> tuple[Finding, ...]:
    if age >= 180:
        return (Finding("secret-past-deadline", Severity.BROKEN, f"client secret {age} days old"),)
    if age >= 90:
        return (Finding("secret-old", Severity.WARNING, f"client secret {age} days old"),)
    return ()
