"""Each app's authorizations against Amazon's limits: what the plan shows, apply enforces.

Pure. Amazon's limits (since 2022-04-25): an app not listed in the Appstore is authorized
by at most 25 sellers through OAuth, a listed one by any number; vendors' OAuth
authorizations are not limited; any app holds at most 10 self-authorizations. An app is
Amazon's: records count for the declared app with their client_id, whatever their name.

Amazon counts sellers (a selling partner in a region: a production and a sandbox
credential of one seller are one), and keeps an authorization until the seller removes
the app, so every stored grant counts, declared or not. A consent may add a seller when
Amazon does not count its seller yet: a new credential, another region, another app, a
self-authorized one consented to by website, unless it is pinned (``selling_partner_id``)
to a seller who holds one. A renewal of a stored website grant adds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from spprov.const import SELF_AUTHORIZATION_LIMIT, UNLISTED_OAUTH_LIMIT
from spprov.model import (
    App,
    AuthorizationBudget,
    AuthorizationMethod,
    Change,
    Credential,
    Desired,
    Record,
    Seller,
)
from spprov.regions import AccountKind, consent_kind


def budgets(desired: Desired, records: Mapping[str, Record],
            changes: Iterable[Change]) -> tuple[AuthorizationBudget, ...]:
    """Every declared app's budget, by app name; ``changes`` are the plan's."""
    changes = tuple(changes)
    return tuple(_budget(app, desired, records, changes)
                 for app in sorted(desired.apps.values(), key=lambda a: a.name))


def _budget(app: App, desired: Desired, records: Mapping[str, Record],
            changes: tuple[Change, ...]) -> AuthorizationBudget:
    stored = [r for r in records.values() if r.client_id == app.client_id]
    sellers = frozenset(seller_of(r) for r in stored if is_seller_oauth(r))
    self_held = {r.name for r in stored if r.authorization_method is AuthorizationMethod.SELF}
    consenting = {c.name for c in changes if c.action.needs_person}
    declared = [c for c in desired.credentials if c.app == app.name]
    self_declared = {c.name for c in declared
                     if c.name in self_held and c.name not in consenting}
    oauth_declared = sum(1 for c in declared
                         if c.kind is AccountKind.SELLER and c.name not in self_declared)
    new = sum(1 for c in changes if may_add_seller(c, app, sellers))
    return AuthorizationBudget(
        app=app.name, appstore_listed=app.appstore_listed, oauth_sellers=sellers,
        oauth_declared=oauth_declared, oauth_new=new,
        self_stored=len(self_held), self_declared=len(self_declared),
        oauth_limit=None if app.appstore_listed else UNLISTED_OAUTH_LIMIT,
        self_limit=SELF_AUTHORIZATION_LIMIT)


def seller_of(record: Record) -> Seller:
    """The seller a stored grant counts as."""
    if record.selling_partner_id is None:
        return ("", record.name)
    return (record.region.value, record.selling_partner_id)


def is_seller_oauth(record: Record) -> bool:
    """A stored seller (not vendor) authorization given by website consent."""
    return (record.authorization_method is AuthorizationMethod.WEBSITE
            and consent_kind(record.consent_url) is not AccountKind.VENDOR)


def may_add_seller(change: Change, app: App, sellers: frozenset[Seller]) -> bool:
    """A consent of the plan that may give the app a seller Amazon does not count yet."""
    credential: Credential | None = change.desired
    if not change.action.needs_person or credential is None or credential.app != app.name:
        return False
    if credential.kind is not AccountKind.SELLER:
        return False
    held = change.stored
    if (held is not None and held.client_id == app.client_id
            and held.region == credential.region and is_seller_oauth(held)):
        return False
    pin = credential.selling_partner_id
    return pin is None or (credential.region.value, pin) not in sellers
