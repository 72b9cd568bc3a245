"""`spprov report`: the HTML page's numbers are status's, the iCalendar parses back."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import pytest

from spprov.health import AppHealth, CredentialHealth, Health, SecretSource
from spprov.render.report import ics
from tests.fixtures_gitops import EU, US, GitOps, authorized_repository, tree_digest

authorized = authorized_repository([{"name": "acme-us", "description": "Acme US", **US},
                                    {"name": "acme-eu", **EU}])


class DataAttributes(HTMLParser):
    """Every data-* attribute of the page, with its element, and whether a script is there."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.tags: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = {k: v or "" for k, v in attrs}
        self.external += [v for k, v in values.items() if k in ("src", "href")]
        if any(k.startswith("data-") for k in values):
            self.found.append((tag, values))


def parse(path: Path) -> DataAttributes:
    parser = DataAttributes()
    parser.feed(path.read_text())
    return parser


@pytest.fixture
def repo(authorized: GitOps) -> GitOps:
    secret = authorized.run("app", "set-secret", "acme", "--no-check",
                            input=authorized.app.client_secret + "\n")
    assert secret.code == 0, secret.output
    return authorized


def test_the_page_shows_what_status_says(repo: GitOps) -> None:
    env = {"SOPS_AGE_KEY_FILE": None, "SPPROV_APP_ACME_CLIENT_SECRET": None}
    before = tree_digest(repo.repo)
    done = repo.run("report", "--html", "fleet.html", "--at", "2027-10-20T00:00:00Z", env=env)
    assert done.code == 0, done.output
    assert done.stderr == "wrote fleet.html (2 credentials, 1 apps)\n"
    status = json.loads(repo.run("status", "--json", "--at", "2027-10-20T00:00:00Z",
                                 env=env).stdout)
    page = parse(repo.repo / "fleet.html")
    assert not page.tags & {"script", "link", "img", "iframe"} and page.external == []
    counts = {a["data-count"]: None for _, a in page.found if "data-count" in a}
    shown = {a["data-count"]: int(text) for text, a in _texts(repo.repo / "fleet.html")}
    for label in ("ok", "warning", "broken"):
        assert shown[f"credentials-{label}"] == sum(
            1 for c in status["credentials"] if c["status"] == label)
        assert shown[f"apps-{label}"] == sum(1 for a in status["apps"] if a["status"] == label)
    assert set(counts) >= {"unreadable"}
    # The timeline: every renewal due within the 12 months, in the week of its due date.
    bars = [a for tag, a in page.found if tag == "rect" and "data-renewals" in a]
    assert sum(int(a["data-renewals"]) for a in bars) == len(status["credentials"])
    assert {a["data-app"] for a in bars} == {"acme"}
    # Days until expiry and the secret's age, as status has them.
    days = {a["data-credential"]: None for tag, a in page.found if tag == "tr"
            and "data-credential" in a}
    assert set(days) == {c["name"] for c in status["credentials"]}
    (age,) = [int(a["data-age"]) for tag, a in page.found if "data-age" in a]
    assert age == status["apps"][0]["secret_age_days"]
    problems = Counter(p["code"] for row in status["credentials"] + status["apps"]
                       for p in row["problems"])
    assert {a["data-problem"] for tag, a in page.found if "data-problem" in a} == set(problems)
    assert repo.app.client_secret not in (repo.repo / "fleet.html").read_text()
    assert set(tree_digest(repo.repo)) - set(before) == {"fleet.html"}


def _texts(path: Path) -> list[tuple[str, dict[str, str]]]:
    """(text, attributes) of each element with data-count."""
    found: list[tuple[str, dict[str, str]]] = []

    class Texts(HTMLParser):
        current: dict[str, str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = {k: v or "" for k, v in attrs}
            self.current = values if "data-count" in values else None

        def handle_data(self, data: str) -> None:
            if self.current is not None:
                found.append((data, self.current))
                self.current = None

    Texts().feed(path.read_text())
    return found


def test_the_calendar_has_one_event_per_renewal_and_rotation(repo: GitOps) -> None:
    # The stored secret's age is what has a deadline (one from the environment has none).
    env = {"SPPROV_APP_ACME_CLIENT_SECRET": None}
    done = repo.run("report", "--ics", "fleet.ics", env=env)
    assert done.code == 0, done.output
    calendar = icalendar.Calendar.from_ical((repo.repo / "fleet.ics").read_bytes())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"renewal-acme-us@spprov", "renewal-acme-eu@spprov",
                           "rotation-acme@spprov"}
    status = json.loads(repo.run("status", "--json", env=env).stdout)
    us = next(c for c in status["credentials"] if c["name"] == "acme-us")
    renewal = events["renewal-acme-us@spprov"]
    assert renewal.decoded("dtstart").isoformat() == us["renewal_due_at"][:10]
    assert renewal.decoded("dtend").isoformat() == us["authorization_expires_at"][:10]
    assert "spprov authorize acme-us" in str(renewal["description"])
    rotation = events["rotation-acme@spprov"]
    assert rotation.decoded("dtstart").isoformat() == status["apps"][0]["rotate_by"][:10]
    # Stable UIDs: a second run (later) gives the same events, so a calendar updates them.
    again = repo.run("report", "--ics", "again.ics", "--at", "2027-01-01T00:00:00Z", env=env)
    assert again.code == 0
    later = icalendar.Calendar.from_ical((repo.repo / "again.ics").read_bytes())
    assert {str(e["uid"]) for e in later.walk("VEVENT")} == set(events)


def test_report_needs_an_output(repo: GitOps) -> None:
    result = repo.run("report")
    assert (result.code, result.stderr) == (
        1, "spprov: say what to write: --html FILE, --ics FILE or both\n")


def _icalendar_built(health: Health) -> bytes:
    """The calendar as icalendar's own components serialise it (how report_ics built it
    before it wrote the events' lines itself)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", ics.PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "spprov renewals and rotations")

    def event(uid: str, start: datetime, end: datetime, summary: str, text: str) -> None:
        item = icalendar.Event()
        item.add("uid", uid)
        item.add("dtstamp", health.generated_at)
        item.add("dtstart", start.date())
        item.add("dtend", max(end.date(), start.date() + timedelta(days=1)))
        item.add("summary", summary)
        item.add("description", text)
        calendar.add_component(item)

    for row in health.credentials:
        assert row.renewal_due_at and row.authorization_expires_at
        event(f"renewal-{row.name}@spprov", row.renewal_due_at, row.authorization_expires_at,
              f"Renew SP-API authorization {row.name} ({row.app})",
              f"Expires {row.authorization_expires_at:%Y-%m-%d}: spprov authorize {row.name} "
              f"(region {row.region})")
    for app in health.apps:
        assert app.rotate_by is not None
        event(f"rotation-{app.name}@spprov", app.rotate_by, app.rotate_by + timedelta(days=1),
              f"Rotate the LWA client secret of app {app.name}",
              f"Amazon's 180-day deadline: spprov app rotate-secret {app.name}")
    return bytes(calendar.to_ical())


def test_the_calendar_is_byte_for_byte_what_icalendar_writes() -> None:
    now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    rows = []
    # Names from 1 to 63 characters fold the lines at every place, both apps' too.
    for length in range(1, 64):
        name = ("s" + "x" * 62)[:length]
        app = ("a" + "p" * 62)[: 64 - length]
        expires = now + timedelta(days=length * 5)
        rows.append(CredentialHealth(
            name=name, app=app, region="eu", environment="production", kind="seller",
            selling_partner_id=None, declared=True, authorized_at=expires - timedelta(days=365),
            authorization_expires_at=expires, renewal_due_at=expires - timedelta(days=30),
            days_until_expiry=length * 5, findings=()))
    apps = tuple(AppHealth(name, SecretSource.STATE, now, 0, now + timedelta(days=180), ())
                 for name in ("acme", "a" + "p" * 62))
    health = Health(now, False, tuple(rows), apps)
    written = ics.report_ics(health)
    assert written == _icalendar_built(health)
    assert all(len(line) <= 75 for line in written.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(written)
    assert len(parsed.walk("VEVENT")) == 63 + 2


def test_text_values_are_escaped_and_folded_as_icalendar_does() -> None:
    for value in ("a,b;c\\d\ne", "é" * 40, "x" * 73 + "\\;", "plain"):
        expected = icalendar.vText(value).to_ical().decode()
        assert ics.text(value) == expected
        line = "DESCRIPTION:" + expected
        assert ics.fold(line) == icalendar.parser.string._foldline(line)
