"""The fleet report as an iCalendar: one event per credential's renewal window and per app's
client secret rotation deadline. UIDs depend only on the credential's or app's name, so a
subscribed calendar moves the event when a renewal or a rotation changes its dates.

icalendar builds the calendar itself (its properties, once); the events, up to one per
credential, are written here as the content lines icalendar writes for them (the same
property order, TEXT escaping and 75-octet folding, RFC 5545 3.1 and 3.3.11). Building
10,000 ``Event`` components cost 3.8 s, most of it icalendar folding each line and typing
each value; the lines cost a few milliseconds. tests/render/test_report.py checks the
bytes against icalendar's own serialisation and parses the result with icalendar.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from spprov.health import Health
from spprov.hints import authorize_command, rotate_secret_command

PRODID = "-//spprov//fleet report//EN"
CRLF = "\r\n"
_END = "END:VCALENDAR" + CRLF
FOLD_OCTETS = 75


def report_ics(health: Health) -> bytes:
    """The calendar's bytes (RFC 5545, CRLF lines)."""
    envelope = bytes(_calendar().to_ical()).decode("utf-8")
    assert envelope.endswith(_END)
    stamp = health.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    events = "".join(line + CRLF for line in _events(health, stamp))
    return (envelope.removesuffix(_END) + events + _END).encode("utf-8")


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "spprov renewals and rotations")
    return calendar


def _events(health: Health, stamp: str) -> Iterator[str]:
    for row in health.credentials:
        if row.renewal_due_at is None or row.authorization_expires_at is None:
            continue
        yield from event_lines(
            f"renewal-{row.name}@spprov", stamp, row.renewal_due_at,
            row.authorization_expires_at, f"Renew SP-API authorization {row.name} ({row.app})",
            f"Expires {row.authorization_expires_at:%Y-%m-%d}: "
            f"{authorize_command(row.name)} (region {row.region})")
    for app in health.apps:
        if app.rotate_by is None:
            continue
        yield from event_lines(
            f"rotation-{app.name}@spprov", stamp, app.rotate_by,
            app.rotate_by + timedelta(days=1), f"Rotate the LWA client secret of app {app.name}",
            f"Amazon's 180-day deadline: {rotate_secret_command(app.name)}")


def event_lines(uid: str, stamp: str, start: datetime, end: datetime, summary: str,
                description: str) -> Iterator[str]:
    """One all-day VEVENT's content lines, in icalendar's order (SUMMARY, DTSTART, DTEND,
    DTSTAMP, UID, then the rest); the end is at least the day after the start."""
    first = start.astimezone(UTC).date()
    last = max(end.astimezone(UTC).date(), first + timedelta(days=1))
    yield "BEGIN:VEVENT"
    yield fold("SUMMARY:" + text(summary))
    yield f"DTSTART;VALUE=DATE:{first:%Y%m%d}"
    yield f"DTEND;VALUE=DATE:{last:%Y%m%d}"
    yield f"DTSTAMP:{stamp}"
    yield fold("UID:" + text(uid))
    yield fold("DESCRIPTION:" + text(description))
    yield "END:VEVENT"


def text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    if not any(c in value for c in "\\;,\n\r"):
        return value
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """A content line folded as icalendar folds it: a break before the character that
    would make a part 75 octets, never right after a backslash escape's backslash."""
    if len(line) < FOLD_OCTETS and line.isascii():
        return line
    parts: list[str] = []
    current: list[str] = []
    octets = 0
    for char in line:
        size = len(char.encode("utf-8"))
        if current and octets + size >= FOLD_OCTETS:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, octets = [carried], len(carried.encode("utf-8"))
            else:
                parts.append("".join(current))
                current, octets = [], 0
        current.append(char)
        octets += size
    if current:
        parts.append("".join(current))
    return (CRLF + " ").join(parts)
