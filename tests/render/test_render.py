"""Plan renderings: exact text, colour, the JSON document, the Markdown golden file."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest

from spprov.model import KeyChange, Plan, TokenCheck
from spprov.reconcile.planner import build_plan
from spprov.render.plan import plan_json, plan_markdown, plan_text
from tests.reconcile.test_plan import EU_PROD, EU_SELLER, credential, desired, record

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2027, 11, 16, 12, 0, tzinfo=UTC)
RECENT = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)  # far from the renewal window at NOW
DESCRIPTION = 'US seller, "orders" | <b>bold</b>'


def sample(prune: bool = False, now: datetime = NOW) -> Plan:
    """One change of every kind: create, reauthorize, renew, repair, update, noop, orphan."""
    new = credential("acme-ca", "https://sellercentral.amazon.ca", description="Canada")
    moved = credential("acme-eu")
    expiring = credential("acme-jp", "https://sellercentral.amazon.co.jp",
                          "https://sellingpartnerapi-fe.amazon.com")
    revoked = credential("acme-mx", "https://sellercentral.amazon.com.mx")
    described = credential("acme-us", description=DESCRIPTION)
    same = credential("acme-uk", EU_SELLER, EU_PROD)
    stored = {
        "acme-eu": record(credential("acme-eu", EU_SELLER, EU_PROD), authorized_at=RECENT),
        "acme-jp": record(expiring, authorized_at=datetime(2026, 12, 10, 2, 0, tzinfo=UTC)),
        "acme-mx": record(revoked, authorized_at=RECENT),
        "acme-us": record(described, description=None, authorized_at=RECENT),
        "acme-uk": record(same, authorized_at=RECENT),
        "old-one": record(credential("old-one"), authorized_at=RECENT),
    }
    declared = desired(new, moved, expiring, revoked, described, same)
    return build_plan(declared, stored, now, checks={"acme-mx": TokenCheck.REVOKED},
                      prune=prune)


EXPECTED_TEXT = """\
spprov will perform the following actions:

  + create acme-ca
      # no state file yet
      app: acme
      consent_url: https://sellercentral.amazon.ca
      sp_api_endpoint: https://sellingpartnerapi-na.amazon.com

-/+ reauthorize acme-eu
      # sp_api_endpoint: eu -> na region
      consent_url: https://sellercentral-europe.amazon.com -> https://sellercentral.amazon.com
      sp_api_endpoint: https://sellingpartnerapi-eu.amazon.com -> \
https://sellingpartnerapi-na.amazon.com

  > renew acme-jp
      # authorization expires 2027-12-10 (in 24 days)

  ! repair acme-mx
      # refresh token revoked (LWA answered invalid_grant)

  ~ update acme-us
      # description changed
      description: (none) -> "US seller, \\"orders\\" | <b>bold</b>"

  - delete old-one (orphan: run apply --prune to delete)
      # not declared in any credential file

Plan: 1 to create, 1 to reauthorize, 1 to renew, 1 to repair, 1 to update, 0 to delete; \
1 orphan (kept without --prune); 4 need a person's authorization."""


def test_text_of_a_small_plan() -> None:
    assert plan_text(sample(), color=False) == EXPECTED_TEXT


def test_text_with_prune_deletes_the_orphan() -> None:
    text = plan_text(sample(prune=True), color=False)
    assert "  - delete old-one\n      # not declared in any credential file" in text
    assert text.endswith("Plan: 1 to create, 1 to reauthorize, 1 to renew, 1 to repair, "
                         "1 to update, 1 to delete; 4 need a person's authorization.")


def test_colour_off_has_no_escape_codes_and_on_differs_only_by_them() -> None:
    plain, coloured = plan_text(sample(), color=False), plan_text(sample(), color=True)
    assert "\x1b" not in plain
    assert "\x1b[32m\x1b[1m  + create\x1b[0m acme-ca" in coloured
    assert click.unstyle(coloured) == plain


@pytest.mark.parametrize(("names", "expected"), [
    (("a-us", "b-us", "c-us"), "No changes. 3 credentials are up to date."),
    (("a-us",), "No changes. 1 credential is up to date."),
    ((), "No changes. 0 credentials are up to date."),
])
def test_text_without_changes(names: tuple[str, ...], expected: str) -> None:
    credentials = [credential(name) for name in names]
    stored = {c.name: record(c, authorized_at=RECENT) for c in credentials}
    assert plan_text(build_plan(desired(*credentials), stored, NOW), color=False) == expected


def test_text_with_only_an_orphan_says_no_changes() -> None:
    kept = credential("a-us")
    stored = {"a-us": record(kept, authorized_at=RECENT),
              "old-one": record(credential("old-one"), authorized_at=RECENT)}
    text = plan_text(build_plan(desired(kept), stored, NOW), color=False)
    assert text == ("  - delete old-one (orphan: run apply --prune to delete)\n"
                    "      # not declared in any credential file\n\n"
                    "No changes. 1 credential is up to date; 1 orphan (kept without --prune).")


def test_one_person_agrees_in_the_singular() -> None:
    plan = build_plan(desired(credential("a-us")), {}, NOW)
    assert plan_text(plan, color=False).endswith("; 1 needs a person's authorization.")


def test_control_characters_cannot_reach_the_terminal() -> None:
    hostile = credential("a-us", description="evil\x1b[2J\x9b\u202e")
    stored = {"a-us": record(hostile, description="old", authorized_at=RECENT)}
    text = plan_text(build_plan(desired(hostile), stored, NOW), color=False)
    assert r'description: "old" -> "evil\u001b[2J\x9b\u202e"' in text
    assert all(ch.isprintable() or ch == "\n" for ch in text)


# --- JSON -------------------------------------------------------------------------------

def test_json_document() -> None:
    document = json.loads(plan_json(sample()))
    assert list(document) == ["format_version", "generated_at", "prune", "summary", "changes",
                              "keys", "app_moves", "notes", "review", "authorizations"]
    assert document["review"] is None  # made without a base revision
    assert (document["format_version"], document["generated_at"]) == (1, "2027-11-16T12:00:00Z")
    assert document["summary"] == {
        "create": 1, "reauthorize": 1, "renew": 1, "repair": 1, "update": 1, "delete": 0,
        "orphans": 1, "move": 0, "noop": 1, "needs_person": 4, "key_changes": 0,
        "review_changes": 0, "has_changes": True,
        "blocked": 0, "unchecked": 0, "complete": True}
    assert [c["name"] for c in document["changes"]] == [
        "acme-ca", "acme-eu", "acme-jp", "acme-mx", "acme-uk", "acme-us", "old-one"]


def test_json_change_fields() -> None:
    changes = {c["name"]: c for c in json.loads(plan_json(sample()))["changes"]}
    assert changes["acme-us"] == {
        "name": "acme-us", "action": "update", "pending": True, "needs_person": False,
        "reasons": ["description changed"], "app": "acme", "kind": "seller", "region": "na",
        "environment": "production", "consent_url": "https://sellercentral.amazon.com",
        "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com",
        "authorized_at": "2027-06-01T02:00:00Z",
        "authorization_expires_at": "2028-05-31T02:00:00Z",
        "updates": {"description": {"from": None, "to": DESCRIPTION}},
        "failure": None,
        "moved_from": None,
    }
    assert (changes["old-one"]["action"], changes["old-one"]["pending"]) == ("delete", False)
    assert changes["acme-ca"]["authorized_at"] is None
    assert changes["acme-uk"]["action"] == "noop"


def test_json_with_prune_counts_the_delete() -> None:
    summary = json.loads(plan_json(sample(prune=True)))["summary"]
    assert (summary["delete"], summary["orphans"]) == (1, 0)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value] + [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_json_has_no_secret_looking_value() -> None:
    strings = _strings(json.loads(plan_json(sample())))
    assert strings
    for text in strings:
        assert not text.startswith(("Atzr|", "Atza|", "amzn1.oa2-cs.")), text
        assert text not in ("refresh_token", "access_token", "client_secret", "code")


# --- Markdown ---------------------------------------------------------------------------

def test_markdown_matches_the_golden_file() -> None:
    markdown = plan_markdown(sample()) + "\n"
    golden = GOLDEN / "plan.md"
    if os.environ.get("SPPROV_UPDATE_GOLDEN") == "1":  # regenerate after an intended change
        golden.write_text(markdown, encoding="utf-8")
    assert markdown == golden.read_text(encoding="utf-8")


def test_markdown_has_no_timestamp() -> None:
    one_hour_later = sample(now=NOW + timedelta(hours=1))
    assert plan_markdown(one_hour_later) == plan_markdown(sample())
    assert "12:00" not in plan_markdown(sample())


def test_markdown_escapes_what_users_wrote() -> None:
    markdown = plan_markdown(sample())
    assert r"\| \<b>bold\</b>" in markdown
    assert re.search(r"(?<!\\)<b>", markdown) is None


def test_markdown_without_changes() -> None:
    plan = build_plan(desired(credential("a-us")),
                      {"a-us": record(credential("a-us"), authorized_at=RECENT)}, NOW)
    assert plan_markdown(plan) == "## spprov plan\n\nNo changes. 1 credential is up to date."


KEYS = (KeyChange("add", "recipient", "age1new", 12),
        KeyChange("remove", "recipient", "age1gone", 1),
        KeyChange("remove", "key service", "hc_vault", 2))


def test_keys_section_in_every_rendering() -> None:
    plan = build_plan(desired(), {}, NOW, keys=KEYS)
    assert plan.has_changes()
    assert plan_text(plan, color=False) == (
        "spprov will perform the following actions:\n\n"
        "Keys: .sops.yaml differs from what the state files are encrypted for:\n"
        "  + recipient age1new (12 state files not yet encrypted for it)\n"
        "  - recipient age1gone (still in 1 state file: run `spprov rekey`)\n"
        "  - key service hc_vault (named in 2 state files, not in .sops.yaml: restore them "
        "from Git or run `spprov rekey`)\n\n"
        "Plan: 3 key changes (run `spprov rekey`); no credential changes.")
    document = json.loads(plan_json(plan))
    assert document["keys"][1] == {"change": "remove", "kind": "recipient", "value": "age1gone",
                                   "state_files": 1}
    assert (document["summary"]["key_changes"], document["summary"]["has_changes"]) == (3, True)
    markdown = plan_markdown(plan)
    assert markdown.split("\n\n", 2)[2] == (
        "### keys (3)\n\n"
        "Keys: .sops.yaml differs from what the state files are encrypted for.\n\n"
        "| change | state files |\n|---|---|\n"
        "| + recipient age1new | 12 state files not yet encrypted for it |\n"
        "| - recipient age1gone | still in 1 state file: run \\`spprov rekey\\` |\n"
        "| - key service hc\\_vault | named in 2 state files, not in .sops.yaml: restore them "
        "from Git or run \\`spprov rekey\\` |")
