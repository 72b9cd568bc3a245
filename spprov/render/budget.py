"""Each app's authorizations against Amazon's limits, in words: plan text, Markdown, JSON,
and the line apply refuses with.

Text and Markdown show an app from 80% of a limit on (20 of 25 seller OAuth
authorizations, 8 of 10 self-authorizations), so a plan far from them reads as before;
the JSON plan carries every declared app.
"""

from __future__ import annotations

from typing import Any

from spprov.escape import printable
from spprov.model import AuthorizationBudget, Plan

HEADING = "Authorizations against Amazon's limits"
SHOWN_FROM = 0.8


def shown(plan: Plan) -> tuple[AuthorizationBudget, ...]:
    """The budgets text and Markdown show: near, at or over a limit."""
    return tuple(b for b in plan.budgets if _near_oauth(b) or _near_self(b))


def _near_oauth(budget: AuthorizationBudget) -> bool:
    limit = budget.oauth_limit
    return limit is not None and budget.oauth_after >= SHOWN_FROM * limit


def _near_self(budget: AuthorizationBudget) -> bool:
    return budget.self_stored >= SHOWN_FROM * budget.self_limit


def oauth_line(budget: AuthorizationBudget) -> str:
    """``app acme: seller OAuth: 24 stored, 26 declared, up to 26 after apply; limit 25
    (...)``: stored counts sellers, declared credentials."""
    after = (f"up to {budget.oauth_after}" if budget.oauth_new else str(budget.oauth_after))
    counts = (f"app {budget.app}: seller OAuth: {budget.oauth_stored} stored, "
              f"{budget.oauth_declared} declared, {after} after apply")
    if budget.oauth_limit is None:
        return f"{counts}; no limit (listed in the Appstore)"
    return (f"{counts}; limit {budget.oauth_limit} (not listed in the Appstore): "
            f"{_standing(budget.oauth_after, budget.oauth_limit)}")


def self_line(budget: AuthorizationBudget) -> str:
    """``app acme: self: 2 stored, 2 declared; limit 10: 8 left``."""
    return (f"app {budget.app}: self: {budget.self_stored} stored, {budget.self_declared} "
            f"declared; limit {budget.self_limit}: "
            f"{_standing(budget.self_stored, budget.self_limit)}")


def _standing(count: int, limit: int) -> str:
    if count > limit:
        return f"{count - limit} over the limit"
    if count == limit:
        return "at the limit"
    return f"{limit - count} left"


def lines(budget: AuthorizationBudget) -> list[str]:
    """The two lines of one app."""
    return [printable(oauth_line(budget)), printable(self_line(budget))]


def refusal_hint(plan: Plan) -> str | None:
    """What a plan that may exceed a limit leads to, said once under the budget lines."""
    if not plan.over_limit():
        return None
    return ("over the limit if each new credential is another seller: apply starts no "
            "consent for a new seller once 25 hold one; remove credentials, pin "
            "selling_partner_id where a seller already holds one, or declare "
            "appstore_listed: true once the app is listed")


def consent_refusal(app: str, sellers: int, limit: int) -> str:
    """The one line of a consent apply does not start: Amazon would refuse it."""
    return printable(
        f"no consent was started: app {app} is authorized by {sellers} sellers, Amazon's "
        f"limit for an app not listed in the Appstore ({limit}), so a new seller's consent "
        "ends in \"OAuth limit reached\"; free one (the seller removes the app under Manage "
        "Your Apps), pin selling_partner_id to a seller who holds one, or declare "
        "appstore_listed: true once the app is listed")


def as_json(budget: AuthorizationBudget) -> dict[str, Any]:
    """One app in the JSON plan (``authorizations``)."""
    return {
        "app": budget.app,
        "appstore_listed": budget.appstore_listed,
        "seller_oauth": {"stored_sellers": budget.oauth_stored, "declared": budget.oauth_declared,
                         "new": budget.oauth_new, "after_apply": budget.oauth_after,
                         "limit": budget.oauth_limit, "over": budget.oauth_over},
        "self": {"stored": budget.self_stored, "declared": budget.self_declared,
                 "limit": budget.self_limit, "over": budget.self_over},
        "may_exceed": budget.may_exceed,
    }
