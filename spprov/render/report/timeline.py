"""What the report shows, computed once from a Health: renewals per week by app, the
credentials that expire first, client secret ages, problems by kind."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spprov.const import SECRET_DEADLINE_DAYS
from spprov.health import AppHealth, CredentialHealth, Health

WEEKS = 53  # the next 12 months, week by week (a partial 53rd week included)
FIRST_SHOWN = 25


@dataclass(frozen=True)
class Fleet:
    """The report's numbers; every one is also in `spprov status --json`."""

    generated_at: datetime
    weeks: tuple[datetime, ...]  # each week's Monday, 00:00 UTC
    renewals: dict[str, tuple[int, ...]]  # app -> renewals due per week (overdue: week 0)
    expiring_first: tuple[CredentialHealth, ...]
    apps: tuple[AppHealth, ...]
    problems: tuple[tuple[str, str, int], ...]  # (code, severity, count), most first
    counts: dict[str, int]  # ok, warning, broken (credentials)
    app_counts: dict[str, int]
    unreadable: int
    secret_deadline_days: int = SECRET_DEADLINE_DAYS


def fleet(health: Health) -> Fleet:
    """The report's values of one status."""
    start = _monday(health.generated_at)
    weeks = tuple(start + timedelta(weeks=i) for i in range(WEEKS))
    renewals: dict[str, list[int]] = {}
    for row in health.credentials:
        week = _week(row, start)
        if week is not None:
            renewals.setdefault(row.app or "-", [0] * WEEKS)[week] += 1
    expiring = sorted((r for r in health.credentials if r.authorization_expires_at),
                      key=lambda r: (r.authorization_expires_at, r.name))
    return Fleet(health.generated_at, weeks,
                 {app: tuple(counts) for app, counts in sorted(renewals.items())},
                 tuple(expiring[:FIRST_SHOWN]), health.apps, _problems(health),
                 _severities(health.credentials), _severities(health.apps),
                 len(health.state_problems))


def _monday(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _week(row: CredentialHealth, start: datetime) -> int | None:
    if row.renewal_due_at is None:
        return None
    week = max(0, (row.renewal_due_at - start).days // 7)
    return week if week < WEEKS else None


def _severities(rows: tuple[CredentialHealth, ...] | tuple[AppHealth, ...]) -> dict[str, int]:
    counted = Counter(row.severity.label for row in rows)
    return {label: counted.get(label, 0) for label in ("ok", "warning", "broken")}


def _problems(health: Health) -> tuple[tuple[str, str, int], ...]:
    rows: list[CredentialHealth | AppHealth] = [*health.credentials, *health.apps]
    counted = Counter((f.code, f.severity.label) for row in rows for f in row.findings)
    return tuple(sorted(((code, severity, n) for (code, severity), n in counted.items()),
                        key=lambda item: (-item[2], item[0])))
