"""`spprov status` as a table for people and a versioned JSON document (docs/status.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from spprov import escape
from spprov.escape import printable
from spprov.health import AppHealth, CredentialHealth, Finding, Health, Severity
from spprov.render.facts import iso_z, plural

STATUS_FORMAT_VERSION = 1
NONE = "-"
CREDENTIAL_COLUMNS = ("CREDENTIAL", "REGION", "ENV", "KIND", "PARTNER", "AUTHORIZED",
                      "EXPIRES", "STATUS", "PROBLEM")
APP_COLUMNS = ("APP", "SECRET", "SET", "AGE", "ROTATE BY", "STATUS", "PROBLEM")


def status_text(health: Health) -> str:
    """Two tables (credentials, apps), unreadable state files, then a summary line."""
    sections = []
    if health.credentials:
        sections.append(_table(CREDENTIAL_COLUMNS,
                               [_credential_cells(row) for row in health.credentials]))
    if health.apps:
        sections.append(_table(APP_COLUMNS, [_app_cells(row) for row in health.apps]))
    if health.state_problems:
        sections.append("\n".join(f"unreadable: {printable(p)}" for p in health.state_problems))
    sections.append(summary_line(health))
    return "\n\n".join(sections)


def summary_line(health: Health) -> str:
    """``3 credentials: 2 ok, 1 warning, 0 broken; 1 app: 1 ok, ...; tokens checked.``."""
    checked = ("tokens checked" if health.refreshed
               else "tokens not checked (add --refresh)")
    return (f"{_counts(health.credentials, 'credential')}; "
            f"{_counts(health.apps, 'app')}; {checked}.")


def status_json(health: Health) -> str:
    """The versioned JSON document; no secret in it."""
    document = {
        "format_version": STATUS_FORMAT_VERSION,
        "generated_at": iso_z(health.generated_at),
        "refreshed": health.refreshed,
        "broken": health.broken(),
        "credentials": [_credential_json(row) for row in health.credentials],
        "apps": [_app_json(row) for row in health.apps],
        "state_problems": list(health.state_problems),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _counts(rows: Sequence[CredentialHealth | AppHealth], noun: str) -> str:
    by = {s: sum(1 for r in rows if r.severity is s) for s in Severity}
    return (f"{plural(len(rows), noun)}: {by[Severity.OK]} ok, "
            f"{by[Severity.WARNING]} warning, {by[Severity.BROKEN]} broken")


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    widths = [max(len(cells[i]) for cells in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
             .rstrip() for cells in (header, *rows)]
    return escape.lines("\n".join(lines))


def _problem(findings: tuple[Finding, ...]) -> str:
    if not findings:
        return NONE
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    return printable(findings[0].message) + more


def _credential_cells(row: CredentialHealth) -> list[str]:
    expires = NONE
    if row.authorization_expires_at is not None:
        expires = f"{_day(row.authorization_expires_at)} ({row.days_until_expiry}d)"
    elif row.authorized_at is not None:
        expires = "never"
    return [printable(row.name), row.region or NONE, row.environment or NONE,
            row.kind or NONE, printable(row.selling_partner_id or NONE),
            _day(row.authorized_at), expires, row.severity.label, _problem(row.findings)]


def _app_cells(row: AppHealth) -> list[str]:
    source = "from environment" if row.secret_source.value == "environment" else (
        row.secret_source.value)
    age = NONE if row.secret_age_days is None else f"{row.secret_age_days}d"
    return [printable(row.name), source, _day(row.secret_set_at), age, _day(row.rotate_by),
            row.severity.label, _problem(row.findings)]


def _day(moment: datetime | None) -> str:
    return NONE if moment is None else moment.astimezone(UTC).date().isoformat()


def _findings_json(findings: tuple[Finding, ...]) -> list[dict[str, str]]:
    return [{"code": f.code, "severity": f.severity.label, "message": f.message}
            for f in findings]


def _credential_json(row: CredentialHealth) -> dict[str, Any]:
    return {
        "name": row.name, "app": row.app, "declared": row.declared, "region": row.region,
        "environment": row.environment, "kind": row.kind,
        "selling_partner_id": row.selling_partner_id,
        "authorized_at": iso_z(row.authorized_at),
        "authorization_expires_at": iso_z(row.authorization_expires_at),
        "renewal_due_at": iso_z(row.renewal_due_at),
        "days_until_expiry": row.days_until_expiry,
        "status": row.severity.label, "problems": _findings_json(row.findings),
    }


def _app_json(row: AppHealth) -> dict[str, Any]:
    return {
        "name": row.name, "secret_source": row.secret_source.value,
        "secret_set_at": iso_z(row.secret_set_at), "secret_age_days": row.secret_age_days,
        "rotate_by": iso_z(row.rotate_by),
        "status": row.severity.label, "problems": _findings_json(row.findings),
    }
