"""The seller's journey through the relay: landing page, consent, callback, sealed grant.

Each step is a plain method that takes what the request carried and returns a page (or a
redirect); ``spprov.relay.app`` only maps HTTP onto it. The callback exchanges the code at
once with spprov's retry rules, checks the token where the credential will use it, seals
the grant to the repository's recipients and stores it durably before it says "done".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spprov.amazon.consent import check_shape, consent_address
from spprov.amazon.lwa import ClientCredentials, LwaClient, route
from spprov.errors import (
    AccessDeniedError,
    AmazonError,
    AuthorizationError,
    InvalidClientError,
    InvalidGrantError,
    TransientAmazonError,
)
from spprov.relay import pages
from spprov.relay.database import PendingState, RelayDatabase, StoredInvitation
from spprov.relay.pages import Page
from spprov.relay.protocol import Grant, Invitation, new_secret, seal, secret_hash
from spprov.secret import Secret

log = logging.getLogger("spprov.relay")

# A person may read Amazon's page for a while; the code it returns lives 5 minutes more.
STATE_LIFETIME_SECONDS = 1800.0

# What Amazon's redirect may carry instead of a code (RFC 6749 4.1.2.1), and what to do.
CALLBACK_ERRORS = {
    "invalid_request": ("Amazon found the authorization request malformed.",
                        "tell the team that sent you the link; " + pages.ASK_AGAIN),
    "unauthorized_client": ("Amazon does not let this app ask for authorization (the app "
                            "may be in Draft status or not published for your region).",
                            "tell the team that sent you the link"),
    "unsupported_response_type": ("Amazon refused the kind of request the app made.",
                                  "tell the team that sent you the link"),
    "invalid_scope": ("Amazon refused the access the app asked for.",
                      "tell the team that sent you the link"),
    "server_error": ("Amazon failed while handling the authorization.",
                     "wait a few minutes, then " + pages.OPEN_AGAIN),
    "temporarily_unavailable": ("Amazon is temporarily unable to handle the authorization.",
                                "wait a few minutes, then " + pages.OPEN_AGAIN),
}


def event(name: str, **fields: object) -> None:
    """One structured log line (JSON); callers pass IDs and outcomes, never a secret."""
    log.info(json.dumps({"event": name, **fields}, sort_keys=True, default=str))


@dataclass(frozen=True)
class Redirect:
    """Send the browser to ``location``, setting the browser cookie."""

    location: str
    browser_cookie: str


@dataclass
class Journey:
    """The seller-facing steps of one relay."""

    database: RelayDatabase
    lwa: LwaClient
    client_secret: Callable[[str], Secret | None]
    amazon_url: str | None = None
    clock: Callable[[], float] = time.time
    state_lifetime: float = STATE_LIFETIME_SECONDS

    def landing(self, link_secret: str, start_href: str) -> Page:
        """The page an invitation link opens."""
        stored, refusal = self._open(link_secret)
        if refusal is not None:
            return refusal
        assert stored is not None
        return pages.landing(stored.invitation, start_href)

    def start(self, link_secret: str, browser_cookie: str | None) -> Redirect | Page:
        """Begin the consent: a fresh ``state`` bound to the invitation and to this browser."""
        stored, refusal = self._open(link_secret)
        if refusal is not None:
            return refusal
        assert stored is not None
        invitation = stored.invitation
        browser = browser_cookie or new_secret()
        state = new_secret()
        self.database.add_state(secret_hash(state), invitation.invitation_id,
                                secret_hash(browser), self.clock() + self.state_lifetime)
        event("consent_started", invitation=invitation.invitation_id,
              credential=invitation.credential)
        address = consent_address(invitation.consent_url, invitation.application_id,
                                  invitation.redirect_uri, invitation.draft, state)
        return Redirect(route(address, self.amazon_url), browser)

    def _open(self, link_secret: str) -> tuple[StoredInvitation | None, Page | None]:
        stored = self.database.invitation_by_link(secret_hash(link_secret))
        if stored is None:
            return None, pages.NOT_FOUND
        if stored.used_at is not None:
            return None, pages.USED
        if stored.invitation.expires_at.timestamp() <= self.clock():
            return None, pages.EXPIRED
        return stored, None

    def callback(self, query: Mapping[str, str], browser_cookie: str | None) -> Page:
        """Amazon's redirect: check it, exchange the code, check and seal the grant."""
        started = time.monotonic()
        page, invitation = self._callback(query, browser_cookie)
        event("callback", invitation=invitation.invitation_id if invitation else None,
              status=page.status, outcome=page.title,
              ms=round((time.monotonic() - started) * 1000))
        return page

    def _callback(self, query: Mapping[str, str],
                  browser_cookie: str | None) -> tuple[Page, Invitation | None]:
        pending = self.database.use_state(secret_hash(query.get("state", "")), self.clock())
        if pending is None:
            return pages.STATE_UNKNOWN, None
        if pending is False:
            return pages.STATE_USED, None
        assert isinstance(pending, PendingState)
        stored = self.database.invitation(pending.invitation_id)
        if stored is None:
            return pages.NOT_FOUND, None
        invitation = stored.invitation
        refusal = self._refusal(pending, stored, browser_cookie, query)
        if refusal is not None:
            return refusal, invitation
        return self._complete(invitation, query), invitation

    def _refusal(self, pending: PendingState, stored: StoredInvitation,
                 browser_cookie: str | None, query: Mapping[str, str]) -> Page | None:
        if browser_cookie is None or secret_hash(browser_cookie) != pending.browser_hash:
            return pages.OTHER_BROWSER
        if stored.used_at is not None:
            return pages.USED
        now = self.clock()
        if stored.invitation.expires_at.timestamp() <= now:
            return pages.EXPIRED
        if pending.expires_at <= now:
            return pages.STATE_EXPIRED
        error = query.get("error")
        if error == "access_denied":
            return pages.DECLINED
        if error is not None:
            what, todo = CALLBACK_ERRORS.get(error, ("Amazon did not grant the authorization.",
                                                    pages.OPEN_AGAIN))
            return pages.amazon_error(error[:40], what, todo)
        return None

    def _complete(self, invitation: Invitation, query: Mapping[str, str]) -> Page:
        code, partner = query.get("spapi_oauth_code", ""), query.get("selling_partner_id", "")
        try:
            check_shape(code, partner)
        except AuthorizationError:
            return pages.STATE_UNKNOWN
        if invitation.selling_partner_id and partner != invitation.selling_partner_id:
            return pages.pin_mismatch(invitation, partner)
        secret = self.client_secret(invitation.app)
        if secret is None:
            event("client_secret_missing", app=invitation.app)
            return pages.failure(503, "The relay is not ready",
                                 "The relay has no client secret for this app, so it cannot "
                                 "complete the authorization.",
                                 "tell the team that sent you the link; " + pages.OPEN_AGAIN +
                                 " once they have fixed it")
        client = ClientCredentials(invitation.client_id, secret, invitation.app)
        try:
            grant = self.lwa.exchange_code(client, Secret(code), invitation.redirect_uri)
            participations = self.lwa.marketplace_participations(invitation.sp_api_endpoint,
                                                                 grant.access_token)
        except AmazonError as exc:
            return _amazon_failure(invitation, exc)
        sealed = seal(Grant(invitation.invitation_id, invitation.credential,
                            invitation.application_id, invitation.client_id,
                            invitation.redirect_uri, invitation.region,
                            invitation.sp_api_endpoint, partner, grant.refresh_token,
                            datetime.fromtimestamp(self.clock(), UTC).replace(microsecond=0),
                            _marketplaces(participations)), invitation.recipients)
        if not self.database.store_grant(invitation.invitation_id, sealed, self.clock()):
            return pages.USED
        event("grant_stored", invitation=invitation.invitation_id,
              credential=invitation.credential, selling_partner_id=partner)
        return pages.success(invitation, partner)


def _marketplaces(participations: list[dict[str, Any]]) -> tuple[str, ...]:
    found = []
    for item in participations:
        marketplace = item.get("marketplace") if isinstance(item, dict) else None
        if isinstance(marketplace, dict) and isinstance(marketplace.get("id"), str):
            found.append(marketplace["id"])
    return tuple(sorted(set(found)))


def _amazon_failure(invitation: Invitation, exc: AmazonError) -> Page:
    event("amazon_error", invitation=invitation.invitation_id, kind=type(exc).__name__,
          status=exc.status, error=exc.error)
    if isinstance(exc, AccessDeniedError):
        return pages.wrong_region(invitation)
    if isinstance(exc, InvalidGrantError):
        return pages.amazon_error("invalid_grant", "The code Amazon gave the relay expired "
                                  "or was already used, so nothing was stored.",
                                  pages.OPEN_AGAIN)
    if isinstance(exc, InvalidClientError):
        return pages.amazon_error("invalid_client", "Amazon refused the app's client secret "
                                  "that the relay holds, so nothing was stored.",
                                  "tell the team that sent you the link: their relay needs "
                                  "the app's current client secret")
    if isinstance(exc, TransientAmazonError):
        return pages.amazon_error("server_error", "Amazon could not be reached or was busy, "
                                  "so nothing was stored.",
                                  "wait a few minutes, then " + pages.OPEN_AGAIN)
    code = exc.error or (f"HTTP {exc.status}" if exc.status else "error")
    return pages.amazon_error(code[:40], "Amazon refused to complete the authorization, so "
                              "nothing was stored.", pages.OPEN_AGAIN)
