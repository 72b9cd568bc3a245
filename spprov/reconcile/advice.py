"""Warnings that `plan` and `apply` print once per run: renewals due, client secrets aging.

Named ``advice`` so it does not shadow the standard library's ``warnings``. Only readable
fields are used: nothing is decrypted and no request is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from spprov.errors import StateError
from spprov.escape import printable
from spprov.health import AppSecretInfo, SecretSource, Severity
from spprov.model import Desired, Plan
from spprov.reconcile.assess import app_health, renewal_finding, secret_variable
from spprov.state.store import StateStore

PREFIX = "spprov: warning: "


def advice(plan: Plan, desired: Desired, secrets: Mapping[str, AppSecretInfo],
           now: datetime) -> list[str]:
    """One line per declared credential inside its renewal window and per aging app secret."""
    lines = []
    for change in plan.changes:
        if change.desired is None or change.stored is None:
            continue
        app = desired.apps.get(change.stored.app)
        found = renewal_finding(change.authorization_expires_at, app, now)
        if found is not None:
            lines.append(f"{PREFIX}{printable(change.name)}: {found.message}")
    for name in sorted(secrets):
        for finding in app_health(name, secrets[name], now).findings:
            if finding.severity >= Severity.WARNING and finding.code != "secret_missing":
                lines.append(f"{PREFIX}app {name}: {finding.message}")
    return lines


def secret_info(app: str, store: StateStore, environ: Mapping[str, str]) -> AppSecretInfo:
    """Where the app's secret comes from; its age is known only for a stored one."""
    if environ.get(secret_variable(app), "").rstrip("\r\n"):
        return AppSecretInfo(SecretSource.ENVIRONMENT)
    try:
        set_at = store.reader.app_secret_set_at(app)
    except StateError as exc:
        return AppSecretInfo(SecretSource.STATE, problem=str(exc))
    if set_at is None:
        return AppSecretInfo(SecretSource.MISSING)
    return AppSecretInfo(SecretSource.STATE, set_at)
