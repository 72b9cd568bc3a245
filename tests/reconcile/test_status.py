"""`spprov status`: health rows (pure), the table and JSON, exit 1 when broken."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from spprov.health import AppSecretInfo, Probe, SecretSource, Severity
from spprov.model import App, Credential, Desired, TokenCheck
from spprov.reconcile.assess import app_health, assess
from spprov.regions import AccountKind, Environment, Region
from spprov.state.store import StateStore
from tests.fixtures_gitops import US, GitOps, authorized_repository
from tests.fixtures_state import ACME_IDENTITY, make_record

AUTHORIZED = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
EXPIRES = AUTHORIZED + timedelta(days=365)  # 2027-11-28T02:00Z
RENEWAL_DUE = EXPIRES - timedelta(days=30)  # 2027-10-29T02:00Z
SECRET_SET = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
STORED_SECRET = {"acme": AppSecretInfo(SecretSource.STATE, SECRET_SET)}
ENV_SECRET = {"acme": AppSecretInfo(SecretSource.ENVIRONMENT)}


def app(**changes: Any) -> App:
    fields: dict[str, Any] = {"name": "acme", "application_id": ACME_IDENTITY.application_id,
                              "client_id": "amzn1.application-oa2-client.0123456789abcdef",
                              "redirect_uri": ACME_IDENTITY.redirect_uri, **changes}
    return App(**fields)


def credential(name: str = "acme-us") -> Credential:
    return Credential(name, "acme", AccountKind.SELLER, "https://sellercentral.amazon.com",
                      "https://sellingpartnerapi-na.amazon.com", Region.NA,
                      Environment.PRODUCTION, description="Acme US")


def desired(*names: str) -> Desired:
    return Desired({"acme": app()}, tuple(credential(n) for n in names))


def codes(findings: Any) -> list[str]:
    return [f.code for f in findings]


def test_a_healthy_credential_has_no_finding() -> None:
    health = assess(desired("acme-us"), {"acme-us": make_record()}, ENV_SECRET,
                    AUTHORIZED + timedelta(days=1))
    (row,) = health.credentials
    assert (row.region, row.environment, row.kind, row.selling_partner_id) == (
        "na", "production", "seller", "A3FHEXAMPLEYWS")
    assert row.authorization_expires_at == EXPIRES
    assert row.renewal_due_at == RENEWAL_DUE
    assert row.days_until_expiry == 364
    assert row.findings == () and row.severity is Severity.OK
    assert not health.broken() and not health.refreshed


@pytest.mark.parametrize(("now", "expected"), [
    (RENEWAL_DUE - SECOND, []),
    (RENEWAL_DUE, ["renewal_due"]),
    (EXPIRES - SECOND, ["renewal_due"]),
    (EXPIRES, ["expired"]),
])
def test_renewal_window_boundaries(now: datetime, expected: list[str]) -> None:
    health = assess(desired("acme-us"), {"acme-us": make_record()}, ENV_SECRET, now)
    assert codes(health.credentials[0].findings) == expected
    assert health.broken() is (expected == ["expired"])


def test_renewal_messages() -> None:
    due = assess(desired("acme-us"), {"acme-us": make_record()}, ENV_SECRET, RENEWAL_DUE)
    assert due.credentials[0].findings[0].message == (
        "authorization expires 2027-11-28 (in 30 days); renew with spprov apply")
    late = assess(desired("acme-us"), {"acme-us": make_record()}, ENV_SECRET,
                  EXPIRES + timedelta(days=3))
    assert late.credentials[0].findings[0].message == (
        "authorization expired 2027-11-28 (3 days ago); renew with spprov apply")


@pytest.mark.parametrize(("days", "code", "severity"), [
    (timedelta(days=90) - SECOND, None, Severity.OK),
    (timedelta(days=90), "secret_rotation_due", Severity.WARNING),
    (timedelta(days=180) - SECOND, "secret_rotation_due", Severity.WARNING),
    (timedelta(days=180), "secret_expired", Severity.BROKEN),
])
def test_client_secret_age_boundaries(days: timedelta, code: str | None,
                                      severity: Severity) -> None:
    row = app_health("acme", STORED_SECRET["acme"], SECRET_SET + days)
    assert codes(row.findings) == ([code] if code else [])
    assert row.severity is severity
    assert row.rotate_by == SECRET_SET + timedelta(days=180)


def test_client_secret_messages() -> None:
    warned = app_health("acme", STORED_SECRET["acme"], SECRET_SET + timedelta(days=95))
    assert warned.secret_age_days == 95
    assert warned.findings[0].message == (
        "client secret set 95 days ago; rotate it before 2026-06-30 (180-day deadline) "
        "with spprov app rotate-secret acme")
    late = app_health("acme", STORED_SECRET["acme"], SECRET_SET + timedelta(days=181))
    assert late.findings[0].message == (
        "client secret set 181 days ago, past the 180-day deadline (2026-06-30); "
        "rotate it with spprov app rotate-secret acme")


def test_a_secret_from_the_environment_has_no_age() -> None:
    row = app_health("acme", AppSecretInfo(SecretSource.ENVIRONMENT), SECRET_SET)
    assert (row.secret_set_at, row.secret_age_days, row.findings) == (None, None, ())


def test_a_missing_secret_is_broken() -> None:
    health = assess(desired(), {}, {}, SECRET_SET)
    assert codes(health.apps[0].findings) == ["secret_missing"]
    assert health.apps[0].findings[0].message == (
        "no client secret: set SPPROV_APP_ACME_CLIENT_SECRET or run spprov app set-secret acme")
    assert health.broken()


def test_orphans_and_unauthorized_are_warnings_not_broken() -> None:
    health = assess(desired("acme-new"), {"acme-old": make_record("acme-old")}, ENV_SECRET,
                    AUTHORIZED)
    by_name = {row.name: row for row in health.credentials}
    assert codes(by_name["acme-new"].findings) == ["not_authorized"]
    assert codes(by_name["acme-old"].findings) == ["orphan"]
    assert not by_name["acme-old"].declared
    assert not health.broken()


@pytest.mark.parametrize(("probe", "code"), [
    (Probe(TokenCheck.REVOKED), "revoked"),
    (Probe(TokenCheck.ERROR, None, "timed out"), "check_failed"),
    (Probe(TokenCheck.OK, False, "region mismatch: 403"), "region_mismatch"),
])
def test_probe_problems_are_broken(probe: Probe, code: str) -> None:
    health = assess(desired("acme-us"), {"acme-us": make_record()}, ENV_SECRET, AUTHORIZED,
                    {"acme-us": probe})
    assert codes(health.credentials[0].findings) == [code]
    assert health.broken() and health.refreshed


# -- through the CLI, against the emulator -------------------------------------------

FINDINGS = {"type": "array", "items": {
    "type": "object", "additionalProperties": False,
    "required": ["code", "severity", "message"],
    "properties": {"code": {"type": "string"},
                   "severity": {"enum": ["warning", "broken"]},
                   "message": {"type": "string"}}}}
TIME = {"type": ["string", "null"], "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
STATUS_SCHEMA = {
    "type": "object", "additionalProperties": False,
    "required": ["format_version", "generated_at", "refreshed", "broken", "credentials",
                 "apps", "state_problems"],
    "properties": {
        "format_version": {"const": 1}, "generated_at": TIME, "refreshed": {"type": "boolean"},
        "broken": {"type": "boolean"},
        "state_problems": {"type": "array", "items": {"type": "string"}},
        "credentials": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "app", "declared", "region", "environment", "kind",
                         "selling_partner_id", "authorized_at", "authorization_expires_at",
                         "renewal_due_at", "days_until_expiry", "status", "problems"],
            "properties": {
                "name": {"type": "string"}, "app": {"type": ["string", "null"]},
                "declared": {"type": "boolean"},
                "region": {"enum": ["na", "eu", "fe", None]},
                "environment": {"enum": ["production", "sandbox", None]},
                "kind": {"enum": ["seller", "vendor", None]},
                "selling_partner_id": {"type": ["string", "null"]},
                "authorized_at": TIME, "authorization_expires_at": TIME, "renewal_due_at": TIME,
                "days_until_expiry": {"type": ["integer", "null"]},
                "status": {"enum": ["ok", "warning", "broken"]}, "problems": FINDINGS}}},
        "apps": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["name", "secret_source", "secret_set_at", "secret_age_days",
                         "rotate_by", "status", "problems"],
            "properties": {
                "name": {"type": "string"},
                "secret_source": {"enum": ["state", "environment", "missing"]},
                "secret_set_at": TIME, "rotate_by": TIME,
                "secret_age_days": {"type": ["integer", "null"]},
                "status": {"enum": ["ok", "warning", "broken"]}, "problems": FINDINGS}}},
    },
}


authorized = authorized_repository([{"name": "acme-us", **US}, {"name": "acme-new", **US}],
                                   "apply", "--yes", "--only", "acme-us")


def status_json(gitops: GitOps, *args: str, env: dict[str, str | None] | None = None
                ) -> tuple[int, dict[str, Any]]:
    result = gitops.run("status", "--json", *args, env=env)
    document = json.loads(result.stdout)
    jsonschema.validate(document, STATUS_SCHEMA)
    return result.code, document


def test_status_table_and_json(authorized: GitOps) -> None:
    authorized.emulator.reset_stats()
    table = authorized.run("status")
    assert table.code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["CREDENTIAL", "REGION", "ENV", "KIND", "PARTNER", "AUTHORIZED",
                                "EXPIRES", "STATUS", "PROBLEM"]
    assert lines[1].split()[:7] == ["acme-new", "na", "production", "seller", "-", "-", "-"]
    assert "warning  declared but not authorized yet; run spprov apply or spprov authorize " \
           "acme-new" in lines[1]
    assert lines[2].split()[:4] == ["acme-us", "na", "production", "seller"]
    assert "(364d)  ok" in lines[2] or "(365d)  ok" in lines[2]
    assert "acme  from environment  -" in table.stdout
    assert lines[-1] == ("2 credentials: 1 ok, 1 warning, 0 broken; 1 app: 1 ok, 0 warning, "
                         "0 broken; tokens not checked (add --refresh).")
    code, document = status_json(authorized)
    assert code == 0 and document["broken"] is False and document["refreshed"] is False
    assert [c["name"] for c in document["credentials"]] == ["acme-new", "acme-us"]
    # The days in EXPIRES are days until expiry, as the JSON field and the README say.
    days = document["credentials"][1]["days_until_expiry"]
    assert f"{document['credentials'][1]['authorization_expires_at'][:10]} ({days}d)" in lines[2]
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "| `spprov status` | every credential's health: region, partner, expiry date and " \
           "days until expiry," in readme
    assert document["apps"][0]["secret_source"] == "environment"
    assert authorized.emulator.stats()["total"] == 0


def test_refresh_checks_tokens_and_sellers(authorized: GitOps) -> None:
    authorized.emulator.reset_stats()
    code, document = status_json(authorized, "--refresh")
    assert code == 0 and document["refreshed"] is True
    # One token exchange and one sellers call for the one stored credential.
    assert authorized.emulator.stats()["total"] == 2


def test_refresh_finds_a_revoked_token(authorized: GitOps) -> None:
    for token in authorized.emulator.refresh_tokens(authorized.app.client_id):
        authorized.emulator.revoke(token["refresh_token"])
    assert authorized.run("status").code == 0  # without --refresh nothing is asked
    result = authorized.run("status", "--refresh")
    assert result.code == 1
    assert ("broken   refresh token revoked (LWA answered invalid_grant); run spprov "
            "authorize acme-us") in result.stdout


def test_refresh_finds_a_region_mismatch(authorized: GitOps) -> None:
    # A state file whose endpoint is in another region than its token (written through
    # sops, so the MAC is valid): only the sellers call can see it.
    store = StateStore(authorized.repo, authorized.repo / "state", os.environ)
    record = store.reader.decrypt("acme-us").record
    eu = "https://sellingpartnerapi-eu.amazon.com"
    store.writer.write(replace(record, sp_api_endpoint=eu), None)
    code, document = status_json(authorized, "--refresh")
    assert code == 1
    problems = document["credentials"][1]["problems"]
    assert problems[0]["code"] == "region_mismatch"
    assert problems[0]["message"].startswith(
        "region mismatch: https://sellingpartnerapi-eu.amazon.com rejected the access token")


def test_stored_app_secret_ages(authorized: GitOps) -> None:
    stored = authorized.run("app", "set-secret", "acme", input=authorized.app.client_secret,
                            env={"SPPROV_APP_ACME_CLIENT_SECRET": None})
    assert stored.code == 0, stored.output
    no_env = {"SPPROV_APP_ACME_CLIENT_SECRET": None}
    code, now = status_json(authorized, env=no_env)
    assert code == 0 and now["apps"][0]["secret_source"] == "state"
    assert now["apps"][0]["secret_age_days"] == 0
    day = datetime.fromisoformat(now["apps"][0]["secret_set_at"])
    warned = authorized.run("status", "--at", (day + timedelta(days=95)).isoformat(), env=no_env)
    assert warned.code == 0
    rotate_by = (day + timedelta(days=180)).date().isoformat()
    assert (f"client secret set 95 days ago; rotate it before {rotate_by} (180-day deadline) "
            "with spprov app rotate-secret acme") in warned.stdout
    late = authorized.run("status", "--at", (day + timedelta(days=180)).isoformat(), env=no_env)
    assert late.code == 1
    assert "past the 180-day deadline" in late.stdout


def test_status_never_prints_a_secret(authorized: GitOps) -> None:
    secrets = [authorized.app.client_secret,
               *(t["refresh_token"] for t in authorized.emulator.refresh_tokens())]
    for args in (("status",), ("status", "--json", "--refresh"), ("status", "-vv", "--refresh")):
        result = authorized.run(*args)
        assert not any(secret in result.output for secret in secrets), args
