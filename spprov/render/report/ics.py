"""The fleet report as an iCalendar: one event per credential's renewal window and per app's
client secret rotation deadline. UIDs depend only on the credential's or app's name, so a
subscribed calendar moves the event when a renewal or a rotation changes its dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from spprov.health import Health
from spprov.hints import authorize_command, rotate_secret_command

PRODID = "-//spprov//fleet report//EN"


def report_ics(health: Health) -> bytes:
    """The calendar's bytes (RFC 5545, CRLF lines)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "spprov renewals and rotations")
    stamp = health.generated_at.astimezone(UTC)
    for row in health.credentials:
        if row.renewal_due_at is None or row.authorization_expires_at is None:
            continue
        calendar.add_component(_event(
            f"renewal-{row.name}@spprov", stamp, row.renewal_due_at, row.authorization_expires_at,
            f"Renew SP-API authorization {row.name} ({row.app})",
            f"Expires {row.authorization_expires_at:%Y-%m-%d}: "
            f"{authorize_command(row.name)} (region {row.region})"))
    for app in health.apps:
        if app.rotate_by is None:
            continue
        calendar.add_component(_event(
            f"rotation-{app.name}@spprov", stamp, app.rotate_by, app.rotate_by + timedelta(days=1),
            f"Rotate the LWA client secret of app {app.name}",
            f"Amazon's 180-day deadline: {rotate_secret_command(app.name)}"))
    return bytes(calendar.to_ical())


def _event(uid: str, stamp: datetime, start: datetime, end: datetime, summary: str,
           description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start.astimezone(UTC).date())
    event.add("dtend", max(end.astimezone(UTC).date(), start.astimezone(UTC).date()
                           + timedelta(days=1)))
    event.add("summary", summary)
    event.add("description", description)
    return event
