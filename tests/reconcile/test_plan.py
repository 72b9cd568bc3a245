"""The pure planner: every action, precedence, --only, renewal-window boundaries, purity."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from spprov.errors import UsageError
from spprov.model import (
    Action,
    App,
    AppIdentity,
    AuthorizationMethod,
    Change,
    Credential,
    Desired,
    Plan,
    Record,
    TokenCheck,
)
from spprov.reconcile.planner import authorization_expires_at, build_plan, days_until
from spprov.regions import Region, consent_kind, consent_region, endpoint

US_SELLER = "https://sellercentral.amazon.com"
EU_SELLER = "https://sellercentral-europe.amazon.com"
NL_SELLER = "https://sellercentral.amazon.nl"
US_VENDOR = "https://vendorcentral.amazon.com"
NA_PROD = "https://sellingpartnerapi-na.amazon.com"
NA_SANDBOX = "https://sandbox.sellingpartnerapi-na.amazon.com"
EU_PROD = "https://sellingpartnerapi-eu.amazon.com"

ACME = App("acme", "amzn1.sp.solution.acme", "amzn1.application-oa2-client.acme",
           "http://127.0.0.1:8765/callback", authorization_lifetime_days=365)
OTHER = App("other", "amzn1.sp.solution.other", "amzn1.application-oa2-client.other",
            "http://127.0.0.1:8765/callback", authorization_lifetime_days=None)
AUTHORIZED_AT = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
EXPIRES_AT = datetime(2027, 11, 28, 2, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # well inside the authorization's lifetime


def credential(name: str, consent_url: str = US_SELLER, sp_api_endpoint: str = NA_PROD,
               app: str = "acme", **fields: object) -> Credential:
    """A declared credential whose derived fields come from the regions table."""
    kind, region, found = consent_kind(consent_url), consent_region(consent_url), \
        endpoint(sp_api_endpoint)
    assert kind is not None and region is not None and found is not None
    return Credential(name=name, app=app, kind=kind, consent_url=consent_url,
                      sp_api_endpoint=sp_api_endpoint, region=region,
                      environment=found.environment, **fields)  # type: ignore[arg-type]


def record(declared: Credential, granted_to: App = ACME, **fields: object) -> Record:
    """The record an authorization of ``declared`` would have written."""
    stored = Record(name=declared.name, app=declared.app, client_id=granted_to.client_id,
                    region=declared.region, consent_url=declared.consent_url,
                    sp_api_endpoint=declared.sp_api_endpoint,
                    authorization_method=AuthorizationMethod.WEBSITE,
                    authorization_version=declared.authorization_version,
                    authorized_at=AUTHORIZED_AT, description=declared.description,
                    selling_partner_id="A1PARTNER", identity=AppIdentity.of(granted_to))
    return replace(stored, **fields)  # type: ignore[arg-type]


def desired(*credentials: Credential, apps: tuple[App, ...] = (ACME, OTHER)) -> Desired:
    """A declaration of these credentials and apps."""
    return Desired({a.name: a for a in apps}, tuple(sorted(credentials, key=lambda c: c.name)))


def only_change(declared: Credential | None, stored: Record | None, now: datetime = NOW,
                **options: object) -> Change:
    """The single change planned for one credential."""
    credentials = (declared,) if declared else ()
    records = {stored.name: stored} if stored else {}
    plan = build_plan(desired(*credentials), records, now, **options)  # type: ignore[arg-type]
    assert len(plan.changes) == 1
    return plan.changes[0]


# --- create, noop, delete ---------------------------------------------------------------

def test_declared_without_state_is_created() -> None:
    declared = credential("acme-us")
    change = only_change(declared, None)
    assert change == Change("acme-us", Action.CREATE, ("no state file yet",), declared, None,
                            None, ())
    assert change.action.needs_person


def test_matching_state_is_noop_with_expiry() -> None:
    declared = credential("acme-us", description="US")
    change = only_change(declared, record(declared))
    assert (change.action, change.reasons, change.updates) == (Action.NOOP, (), ())
    assert change.authorization_expires_at == EXPIRES_AT


def test_state_without_declaration_is_delete_pending_only_with_prune() -> None:
    stored = record(credential("old-one"))
    kept = build_plan(desired(), {"old-one": stored}, NOW)
    pruned = build_plan(desired(), {"old-one": stored}, NOW, prune=True)
    change = kept.changes[0]
    assert (change.action, change.reasons) == (Action.DELETE,
                                               ("not declared in any credential file",))
    assert change.authorization_expires_at == EXPIRES_AT  # its app is still declared
    assert (kept.pending(), kept.orphans(), kept.has_changes()) == ((), (change,), False)
    assert (pruned.pending(), pruned.orphans(), pruned.has_changes()) == ((change,), (), True)
    assert not change.action.needs_person


# --- reauthorize -------------------------------------------------------------------------

@pytest.mark.parametrize(("stored_fields", "reason"), [
    ({"region": Region.EU, "consent_url": EU_SELLER, "sp_api_endpoint": EU_PROD},
     "sp_api_endpoint: eu -> na region"),
    ({"app": "other"}, "app: other -> acme"),
    ({"client_id": "amzn1.application-oa2-client.old"}, "client_id changed"),
    ({"consent_url": US_VENDOR}, "vendor -> seller"),
    ({"authorization_version": 0}, "authorization_version: 0 -> 1"),
    ({"selling_partner_id": "A2OTHER"},
     "selling_partner_id: stored A2OTHER differs from the pin A1PARTNER"),
])
def test_grant_changes_are_reauthorized(stored_fields: dict[str, object], reason: str) -> None:
    declared = credential("acme-us", selling_partner_id="A1PARTNER")
    change = only_change(declared, record(declared, **stored_fields))
    assert change.action is Action.REAUTHORIZE
    assert change.reasons[0] == reason


def test_region_change_carries_the_metadata_updates() -> None:
    declared = credential("acme-us")
    stored = record(credential("acme-us", EU_SELLER, EU_PROD))
    change = only_change(declared, stored)
    assert change.reasons == ("sp_api_endpoint: eu -> na region",)
    assert change.updates == ("consent_url", "sp_api_endpoint")


def test_seller_to_vendor_reason_and_no_consent_url_update_reason() -> None:
    declared = credential("acme-us", US_VENDOR)
    change = only_change(declared, record(credential("acme-us")))
    assert (change.action, change.reasons) == (Action.REAUTHORIZE, ("seller -> vendor",))
    assert change.updates == ("consent_url",)


def test_authorization_version_bump_and_lowering() -> None:
    declared = credential("acme-us", authorization_version=2)
    bumped = only_change(declared, record(declared, authorization_version=1))
    lowered = only_change(declared, record(declared, authorization_version=3))
    assert bumped.reasons == ("authorization_version: 1 -> 2",)
    assert lowered.action is Action.NOOP  # a stored newer grant is still good


@pytest.mark.parametrize(("pin", "stored_partner"), [
    ("A1PARTNER", "A1PARTNER"), (None, "A1PARTNER"), ("A1PARTNER", None)])
def test_pin_without_evidence_of_another_account_is_noop(pin: str | None,
                                                         stored_partner: str | None) -> None:
    declared = credential("acme-us", selling_partner_id=pin)
    change = only_change(declared, record(declared, selling_partner_id=stored_partner))
    assert change.action is Action.NOOP


def test_app_change_lists_app_and_client_id() -> None:
    declared = credential("acme-us", app="other")
    change = only_change(declared, record(credential("acme-us")))
    assert change.reasons == ("app: acme -> other", "client_id changed")


# --- update ------------------------------------------------------------------------------

def test_description_change_is_update() -> None:
    declared = credential("acme-us", description="new")
    change = only_change(declared, record(declared, description="old"))
    assert (change.action, change.reasons, change.updates) == (
        Action.UPDATE, ("description changed",), ("description",))
    assert not change.action.needs_person


def test_sandbox_switch_in_same_region_is_update() -> None:
    declared = credential("acme-us", sp_api_endpoint=NA_SANDBOX)
    change = only_change(declared, record(credential("acme-us")))
    assert (change.action, change.reasons, change.updates) == (
        Action.UPDATE, ("sp_api_endpoint: production -> sandbox",), ("sp_api_endpoint",))


def test_consent_url_in_same_region_and_kind_is_update() -> None:
    declared = credential("acme-nl", NL_SELLER, EU_PROD)
    change = only_change(declared, record(credential("acme-nl", EU_SELLER, EU_PROD)))
    assert (change.action, change.reasons, change.updates) == (
        Action.UPDATE, ("consent_url changed within region eu",), ("consent_url",))


# --- repair ------------------------------------------------------------------------------

@pytest.mark.parametrize(("check", "action"), [
    (TokenCheck.REVOKED, Action.REPAIR), (TokenCheck.OK, Action.NOOP),
    (TokenCheck.ERROR, Action.NOOP), (None, Action.NOOP)])
def test_repair_only_for_revoked_tokens(check: TokenCheck | None, action: Action) -> None:
    declared = credential("acme-us")
    checks = {"acme-us": check} if check else None
    change = only_change(declared, record(declared), checks=checks)
    assert change.action is action
    if action is Action.REPAIR:
        assert change.reasons == ("refresh token revoked (LWA answered invalid_grant)",)


def test_checks_for_other_names_are_ignored() -> None:
    declared = credential("acme-us")
    change = only_change(declared, record(declared), checks={"gone": TokenCheck.REVOKED})
    assert change.action is Action.NOOP


# --- renew: exact boundaries of the window ------------------------------------------------

WINDOW_OPENS = EXPIRES_AT - timedelta(days=30)


@pytest.mark.parametrize(("now", "action", "reason"), [
    (WINDOW_OPENS - timedelta(seconds=1), Action.NOOP, None),
    (WINDOW_OPENS, Action.RENEW, "authorization expires 2027-11-28 (in 30 days)"),
    (datetime(2027, 11, 16, 23, 59, tzinfo=UTC), Action.RENEW,
     "authorization expires 2027-11-28 (in 12 days)"),
    (datetime(2027, 11, 27, 0, 0, tzinfo=UTC), Action.RENEW,
     "authorization expires 2027-11-28 (in 1 day)"),
    (EXPIRES_AT - timedelta(seconds=1), Action.RENEW,
     "authorization expires 2027-11-28 (today)"),
    (EXPIRES_AT, Action.RENEW, "authorization expired 2027-11-28 (today)"),
    (datetime(2027, 11, 29, 0, 0, tzinfo=UTC), Action.RENEW,
     "authorization expired 2027-11-28 (1 day ago)"),
    (datetime(2027, 12, 1, 1, 0, tzinfo=UTC), Action.RENEW,
     "authorization expired 2027-11-28 (3 days ago)"),
])
def test_renewal_window_boundaries(now: datetime, action: Action, reason: str | None) -> None:
    declared = credential("acme-us")
    change = only_change(declared, record(declared), now=now)
    assert change.action is action
    assert change.reasons == ((reason,) if reason else ())


def test_renewal_window_comes_from_the_app() -> None:
    narrow = replace(ACME, renewal_window_days=7)
    declared = credential("acme-us")
    plan = build_plan(desired(declared, apps=(narrow,)), {"acme-us": record(declared)},
                      EXPIRES_AT - timedelta(days=8))
    assert plan.changes[0].action is Action.NOOP


def test_lifetime_none_never_renews() -> None:
    declared = credential("own-us", app="other")
    stored = record(declared, OTHER)
    far = datetime(2126, 1, 1, tzinfo=UTC)
    change = only_change(declared, stored, now=far)
    assert (change.action, change.authorization_expires_at) == (Action.NOOP, None)


def test_lifetime_zero_always_renews() -> None:
    instant = replace(ACME, authorization_lifetime_days=0)
    declared = credential("acme-us")
    plan = build_plan(desired(declared, apps=(instant,)), {"acme-us": record(declared)},
                      AUTHORIZED_AT)
    assert plan.changes[0].reasons == (
        "authorization expired 2026-11-28 (today)",
        "app acme: authorization_lifetime_days changed (365 -> 0)")


# --- precedence --------------------------------------------------------------------------

def test_reauthorize_wins_and_lists_every_reason() -> None:
    declared = credential("acme-us", description="new", authorization_version=2)
    stored = record(credential("acme-us"), description="old")
    change = only_change(declared, stored, now=EXPIRES_AT + timedelta(days=3),
                         checks={"acme-us": TokenCheck.REVOKED})
    assert change.action is Action.REAUTHORIZE
    assert change.reasons == (
        "authorization_version: 1 -> 2",
        "refresh token revoked (LWA answered invalid_grant)",
        "authorization expired 2027-11-28 (3 days ago)",
        "description changed",
    )
    assert change.updates == ("description",)


def test_repair_beats_renew_and_update() -> None:
    declared = credential("acme-us", description="new")
    change = only_change(declared, record(declared, description="old"), now=EXPIRES_AT,
                         checks={"acme-us": TokenCheck.REVOKED})
    assert change.action is Action.REPAIR
    assert len(change.reasons) == 3


def test_renew_beats_update_and_carries_it() -> None:
    declared = credential("acme-us", description="new")
    change = only_change(declared, record(declared, description="old"), now=EXPIRES_AT)
    assert (change.action, change.updates) == (Action.RENEW, ("description",))
    assert change.reasons[-1] == "description changed"


# --- only, order, purity ------------------------------------------------------------------

def mixed_inputs() -> tuple[Desired, dict[str, Record]]:
    """Four declared credentials (one new) and one orphan."""
    creds = [credential(n) for n in ("d-us", "a-us", "c-us", "b-us")]
    stored = {c.name: record(c) for c in creds if c.name != "c-us"}
    stored["z-old"] = record(credential("z-old"))
    return desired(*creds), stored


def test_only_keeps_the_named_credentials() -> None:
    declared, stored = mixed_inputs()
    plan = build_plan(declared, stored, NOW, only=["z-old", "c-us"])
    assert [(c.name, c.action) for c in plan.changes] == [
        ("c-us", Action.CREATE), ("z-old", Action.DELETE)]


def test_only_with_an_unknown_name_is_a_usage_error() -> None:
    declared, stored = mixed_inputs()
    with pytest.raises(UsageError) as caught:
        build_plan(declared, stored, NOW, only=["a-us", "nope", "zzz"])
    assert str(caught.value) == "--only nope: no credential nope is declared or stored"


def test_changes_are_sorted_by_name_whatever_the_input_order() -> None:
    declared, stored = mixed_inputs()
    shuffled_credentials = list(declared.credentials)
    random.Random(7).shuffle(shuffled_credentials)
    shuffled = Desired(declared.apps, tuple(shuffled_credentials))
    records = dict(reversed(list(stored.items())))
    plan = build_plan(shuffled, records, NOW)
    assert [c.name for c in plan.changes] == ["a-us", "b-us", "c-us", "d-us", "z-old"]


def test_same_inputs_give_the_same_plan() -> None:
    declared, stored = mixed_inputs()
    first = build_plan(declared, stored, NOW, checks={"a-us": TokenCheck.REVOKED})
    second = build_plan(declared, dict(stored), NOW, checks={"a-us": TokenCheck.REVOKED})
    assert first == second
    assert first.generated_at == NOW
    assert stored == mixed_inputs()[1]  # the inputs are not modified


def test_plan_counts_and_pending() -> None:
    declared, stored = mixed_inputs()
    plan = build_plan(declared, stored, NOW, checks={"a-us": TokenCheck.REVOKED})
    assert plan.counts() == {Action.CREATE: 1, Action.REAUTHORIZE: 0, Action.RENEW: 0,
                             Action.REPAIR: 1, Action.MOVE: 0, Action.UPDATE: 0,
                             Action.DELETE: 1, Action.BLOCKED: 0, Action.NOOP: 2}
    assert [c.name for c in plan.pending()] == ["a-us", "c-us"]
    assert [c.name for c in plan.needs_person()] == ["a-us", "c-us"]
    assert plan.has_changes()


def test_empty_plan() -> None:
    plan = build_plan(desired(), {}, NOW)
    # Every declared app has its (empty) authorization budget; nothing else is planned.
    assert plan == Plan((), NOW, False, budgets=plan.budgets)
    assert [(b.app, b.oauth_after, b.self_stored) for b in plan.budgets] == [
        ("acme", 0, 0), ("other", 0, 0)]
    assert not plan.has_changes() and not plan.over_limit()


@pytest.mark.parametrize("now", [datetime(2027, 1, 1),
                                 datetime(2027, 1, 1, tzinfo=timezone(timedelta(hours=2)))])
def test_now_must_be_utc(now: datetime) -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware UTC"):
        build_plan(desired(), {}, now)


# --- helpers -----------------------------------------------------------------------------

def test_authorization_expires_at() -> None:
    stored = record(credential("acme-us"))
    assert authorization_expires_at(stored, ACME) == EXPIRES_AT
    assert authorization_expires_at(stored, OTHER) is None
    assert authorization_expires_at(stored, None) is None


@pytest.mark.parametrize(("moment", "days"), [
    (datetime(2027, 1, 2, 0, 0, tzinfo=UTC), 1),
    (datetime(2027, 1, 1, 23, 59, tzinfo=UTC), 0),
    (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), -1),
    (datetime(2027, 1, 12, 0, 0, tzinfo=UTC), 11),
])
def test_days_until_counts_utc_calendar_days(moment: datetime, days: int) -> None:
    assert days_until(moment, datetime(2027, 1, 1, 0, 1, tzinfo=UTC)) == days
