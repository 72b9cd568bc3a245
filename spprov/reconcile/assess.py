"""The health of every credential and app, as values: what `spprov status` shows.

Pure: the declaration, the readable state, how each app's client secret is provided,
the moment and (with ``--refresh``) what the probes learned go in; rows come out.
Thresholds: an authorization is due inside its app's renewal window and broken once
expired; a client secret is a warning from 90 days after it was set and broken from
180 days (Amazon's rotation deadline).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from spprov.const import SECRET_DEADLINE_DAYS
from spprov.health import (
    AppHealth,
    AppSecretInfo,
    CredentialHealth,
    Finding,
    Health,
    Probe,
    SecretSource,
    Severity,
)
from spprov.hints import authorize_command, client_secret_variable, rotate_secret_command
from spprov.model import Action, App, Change, Desired, Record, TokenCheck
from spprov.reconcile.planner import build_plan, days_until, expiry_text
from spprov.regions import consent_kind, endpoint

SECRET_WARNING_DAYS = 90


def assess(desired: Desired, records: Mapping[str, Record],
           secrets: Mapping[str, AppSecretInfo], now: datetime,
           probes: Mapping[str, Probe] | None = None,
           unreadable: Mapping[str, str] | None = None) -> Health:
    """The health of every declared or stored credential and every declared app at ``now``.

    ``unreadable`` (name -> why) are the state files that exist but cannot be read: judged
    by the planner as `plan` judges them (blocked), never as "not authorized yet".
    """
    unreadable = unreadable or {}
    plan = build_plan(desired, records, now, unreadable=unreadable)
    refreshed = probes is not None
    probes = probes or {}
    credentials = tuple(_credential(change, desired.apps, now, probes.get(change.name))
                        for change in plan.changes)
    apps = tuple(app_health(name, secrets.get(name, AppSecretInfo(SecretSource.MISSING)), now)
                 for name in sorted(desired.apps))
    return Health(now, refreshed, credentials, apps, tuple(unreadable.values()))


def renewal_finding(expires: datetime | None, app: App | None,
                    now: datetime) -> Finding | None:
    """``renewal_due`` inside the app's renewal window, ``expired`` from the expiry on."""
    if expires is None or app is None:
        return None
    if now >= expires:
        return Finding("expired", Severity.BROKEN,
                       f"{expiry_text(expires, now)}; renew with spprov apply")
    if now >= expires - timedelta(days=app.renewal_window_days):
        return Finding("renewal_due", Severity.WARNING,
                       f"{expiry_text(expires, now)}; renew with spprov apply")
    return None


def app_health(name: str, info: AppSecretInfo, now: datetime) -> AppHealth:
    """One app's row: where its secret comes from and how close it is to the deadline."""
    if info.problem is not None:
        finding = Finding("secret_unreadable", Severity.BROKEN, info.problem)
        return AppHealth(name, info.source, None, None, None, (finding,))
    if info.source is SecretSource.MISSING:
        finding = Finding("secret_missing", Severity.BROKEN,
                          f"no client secret: set {secret_variable(name)} or run "
                          f"spprov app set-secret {name}")
        return AppHealth(name, info.source, None, None, None, (finding,))
    if info.source is SecretSource.ENVIRONMENT or info.set_at is None:
        return AppHealth(name, info.source, None, None, None, ())
    age = days_until(now, info.set_at)
    rotate_by = info.set_at + timedelta(days=SECRET_DEADLINE_DAYS)
    found = secret_age_finding(name, info.set_at, now)
    return AppHealth(name, info.source, info.set_at, age, rotate_by,
                     (found,) if found else ())


def secret_age_finding(app: str, set_at: datetime, now: datetime) -> Finding | None:
    """A warning from 90 days after the secret was set, broken from 180 days."""
    age = days_until(now, set_at)
    deadline = set_at + timedelta(days=SECRET_DEADLINE_DAYS)
    day = deadline.astimezone(UTC).date().isoformat()
    command = rotate_secret_command(app)
    if now >= deadline:
        return Finding("secret_expired", Severity.BROKEN,
                       f"client secret set {_days(age)} ago, past the 180-day deadline "
                       f"({day}); rotate it with {command}")
    if now >= set_at + timedelta(days=SECRET_WARNING_DAYS):
        return Finding("secret_rotation_due", Severity.WARNING,
                       f"client secret set {_days(age)} ago; rotate it before {day} "
                       f"(180-day deadline) with {command}")
    return None


def secret_variable(app: str) -> str:
    """``SPPROV_APP_<APP>_CLIENT_SECRET``."""
    return client_secret_variable(app)


def _credential(change: Change, apps: Mapping[str, App], now: datetime,
                probe: Probe | None) -> CredentialHealth:
    record, credential = change.stored, change.desired
    expires = change.authorization_expires_at
    record_app = apps.get(record.app) if record else None
    due = (expires - timedelta(days=record_app.renewal_window_days)
           if expires is not None and record_app is not None else None)
    findings = [f for f in (*_plan_findings(change),
                            renewal_finding(expires, record_app, now),
                            *_probe_findings(change.name, probe)) if f is not None]
    findings.sort(key=lambda f: -f.severity)
    where = record.sp_api_endpoint if record else (credential.sp_api_endpoint
                                                   if credential else "")
    consent = record.consent_url if record else (credential.consent_url if credential else "")
    found_endpoint, kind = endpoint(where), consent_kind(consent)
    return CredentialHealth(
        name=change.name,
        app=record.app if record else (credential.app if credential else None),
        region=(record.region.value if record
                else credential.region.value if credential else None),
        environment=found_endpoint.environment.value if found_endpoint else None,
        kind=kind.value if kind else None,
        selling_partner_id=record.selling_partner_id if record else None,
        declared=credential is not None,
        authorized_at=record.authorized_at if record else None,
        authorization_expires_at=expires,
        renewal_due_at=due,
        days_until_expiry=days_until(expires, now) if expires else None,
        findings=tuple(findings),
    )


def _plan_findings(change: Change) -> tuple[Finding, ...]:
    """What the declaration and the state disagree about (apply would fix it)."""
    name, reasons = change.name, "; ".join(change.reasons)
    if change.action is Action.BLOCKED:
        return (Finding("unreadable", Severity.BROKEN,
                        "state file unreadable (the reason is below); nothing is done for it "
                        "until it is restored from Git or fixed: then run spprov plan"),)
    if change.action is Action.CREATE:
        return (Finding("not_authorized", Severity.WARNING,
                        "declared but not authorized yet; run spprov apply or "
                        + authorize_command(name)),)
    if change.action is Action.DELETE:
        return (Finding("orphan", Severity.WARNING,
                        "state file not declared in any credential file; "
                        "spprov apply --prune deletes it"),)
    if change.action is Action.REAUTHORIZE:
        return (Finding("reauthorize_pending", Severity.WARNING,
                        f"needs a new authorization ({reasons}); run spprov apply"),)
    if change.action is Action.MOVE:
        return (Finding("move_pending", Severity.WARNING,
                        f"renamed by a moved entry ({reasons}); run spprov apply"),)
    if change.action is Action.UPDATE:
        return (Finding("update_pending", Severity.WARNING,
                        f"state differs from the declaration ({reasons}); run spprov apply"),)
    return ()


def _probe_findings(name: str, probe: Probe | None) -> tuple[Finding, ...]:
    if probe is None:
        return ()
    if probe.token is TokenCheck.REVOKED:
        return (Finding("revoked", Severity.BROKEN,
                        f"refresh token revoked (LWA answered invalid_grant); "
                        f"run {authorize_command(name)}"),)
    if probe.token is TokenCheck.ERROR:
        return (Finding("check_failed", Severity.BROKEN,
                        probe.message or "could not check: unknown error"),)
    if probe.region_ok is False:
        return (Finding("region_mismatch", Severity.BROKEN,
                        probe.message or "the SP-API endpoint rejected the token (403)"),)
    return ()


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"
