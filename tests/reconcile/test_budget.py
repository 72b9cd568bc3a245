"""Each app's authorizations against Amazon's limits, as the planner counts them (pure)."""

from __future__ import annotations

from dataclasses import replace

from spprov.model import AuthorizationBudget, AuthorizationMethod, Credential, Record
from spprov.reconcile.planner import build_plan
from tests.reconcile.test_plan import (
    ACME,
    EU_PROD,
    EU_SELLER,
    NA_SANDBOX,
    NOW,
    OTHER,
    US_VENDOR,
    credential,
    desired,
    record,
)


def _acme(*credentials: Credential, records: tuple[Record, ...] = ()) -> AuthorizationBudget:
    plan = build_plan(desired(*credentials), {r.name: r for r in records}, NOW)
    budget = plan.budget("acme")
    assert budget is not None
    return budget


def test_sellers_not_credentials_are_counted() -> None:
    prod, sandbox = credential("shop"), credential("shop-sandbox", sp_api_endpoint=NA_SANDBOX)
    budget = _acme(prod, sandbox, records=(record(prod), record(sandbox)))
    # One selling partner in one region, production and sandbox: one seller for Amazon.
    assert (budget.oauth_stored, budget.oauth_declared, budget.oauth_new) == (1, 2, 0)


def test_vendors_are_not_counted_and_self_authorizations_are() -> None:
    vendor = credential("vendor", consent_url=US_VENDOR)
    owned = credential("owned")
    budget = _acme(vendor, owned, records=(
        record(vendor, selling_partner_id="AVENDOR"),
        record(owned, authorization_method=AuthorizationMethod.SELF)))
    assert (budget.oauth_stored, budget.oauth_declared, budget.oauth_new) == (0, 0, 0)
    assert (budget.self_stored, budget.self_declared) == (1, 1)


def test_what_a_consent_adds() -> None:
    held = record(credential("held"), selling_partner_id="AHELD")
    pinned = credential("pinned", selling_partner_id="AHELD")  # a seller who holds one
    moved = credential("held", consent_url=EU_SELLER, sp_api_endpoint=EU_PROD)
    # A new credential adds a seller unless pinned to one who holds an authorization.
    assert _acme(credential("held"), pinned, credential("new"), records=(held,)).oauth_new == 1
    # Another region is another seller for Amazon (the old grant stays counted).
    other_region = _acme(moved, records=(held,))
    assert (other_region.oauth_stored, other_region.oauth_new) == (1, 1)
    # A self-authorized credential consented to by website becomes an OAuth one.
    bumped = credential("owned", authorization_version=2)
    owned = record(credential("owned"), authorization_method=AuthorizationMethod.SELF)
    assert _acme(bumped, records=(owned,)).oauth_new == 1
    # A renewal of a stored website grant adds nobody.
    assert _acme(credential("held", authorization_version=2), records=(held,)).oauth_new == 0


def test_grants_count_for_the_app_with_their_client_id_declared_or_not() -> None:
    orphan = record(credential("gone"), selling_partner_id="AGONE")
    elsewhere = record(credential("theirs", app="other"), OTHER, selling_partner_id="AOTHER")
    budget = _acme(records=(orphan, elsewhere))
    assert budget.oauth_stored == 1  # not declared any more, still counted by Amazon


def test_a_listed_app_has_no_oauth_limit() -> None:
    listed = replace(ACME, appstore_listed=True)
    plan = build_plan(desired(*(credential(f"s-{n}") for n in range(30)),
                              apps=(listed, OTHER)), {}, NOW)
    budget = plan.budget("acme")
    assert budget is not None and budget.oauth_limit is None
    assert (budget.oauth_after, budget.oauth_over, budget.may_exceed) == (30, 0, False)
    unlisted = build_plan(desired(*(credential(f"s-{n}") for n in range(30))), {}, NOW)
    assert [b.app for b in unlisted.over_limit()] == ["acme"]
