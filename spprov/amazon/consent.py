"""The Seller/Vendor Central consent URL, its `state`, and the redirect that comes back."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from spprov.amazon.consenterrors import explain
from spprov.amazon.routing import is_loopback_host
from spprov.const import SELLING_PARTNER_ID
from spprov.errors import AuthorizationError
from spprov.escape import excerpt
from spprov.model import App, Credential
from spprov.regions import CONSENT_PATH
from spprov.secret import Secret

STATE_BYTES = 32
OAUTH_CODE = re.compile(r"[\x21-\x7e]{1,512}")
# The spapi_oauth_code lives 5 minutes; a state older than that cannot lead anywhere.
STATE_LIFETIME_SECONDS = 300


@dataclass(frozen=True)
class Callback:
    """What Amazon's redirect carries back after the partner approved."""

    code: Secret
    selling_partner_id: str


def new_state() -> str:
    """An unpredictable, single-use value tying the redirect to this request."""
    return secrets.token_urlsafe(STATE_BYTES)


def consent_page(credential: Credential, app: App) -> str:
    """The consent page's address without a state: for information, not for use."""
    query = {"application_id": app.application_id, "redirect_uri": app.redirect_uri}
    if app.draft:
        query["version"] = "beta"
    return f"{credential.consent_url}{CONSENT_PATH}?{urlencode(query)}"


def consent_url(credential: Credential, app: App, state: str) -> str:
    """The URL a partner opens to authorize ``app`` for ``credential``'s region."""
    return consent_address(credential.consent_url, app.application_id, app.redirect_uri,
                           app.draft, state)


def consent_address(portal: str, application_id: str, redirect_uri: str, draft: bool,
                    state: str) -> str:
    """The consent page of ``portal`` (a Seller/Vendor Central URL) for one request."""
    query = {"application_id": application_id, "state": state, "redirect_uri": redirect_uri}
    if draft:
        query["version"] = "beta"
    return f"{portal}{CONSENT_PATH}?{urlencode(query)}"


def is_loopback_uri(uri: str) -> bool:
    """True for http(s) redirect URIs on 127.0.0.1, localhost or [::1]."""
    return is_loopback_host(urlsplit(uri).hostname)


def parse_callback(url: str, expected_state: str, redirect_uri: str) -> Callback:
    """Check a redirect URL against the request and take the code out of it."""
    parts = urlsplit(url.strip())
    expected = urlsplit(redirect_uri)
    if (parts.scheme, parts.netloc, parts.path) != (expected.scheme, expected.netloc,
                                                    expected.path):
        shown = explain(url) if not parts.query else None
        if shown is not None:  # the person pasted the error Amazon's page showed
            raise AuthorizationError(f"Amazon's page showed {shown}")
        raise AuthorizationError(
            f"the pasted address does not start with the app's redirect URI {redirect_uri}; "
            "paste the whole address your browser was sent to")
    return parse_callback_query(parts.query, expected_state)


def parse_callback_query(query: str, expected_state: str) -> Callback:
    """Check the redirect's query string and take the code out of it."""
    params = {key: values[0] for key, values in parse_qs(query).items()}
    if not secrets.compare_digest(params.get("state", ""), expected_state):
        raise AuthorizationError(
            "the redirect's state does not match this authorization request (a stale or "
            "forged redirect); start the authorization again")
    if "error" in params:
        shown = explain(f"{params['error']} {params.get('error_description', '')}")
        if shown is not None:
            raise AuthorizationError(f"Amazon did not grant the consent: {shown}")
        raise AuthorizationError(
            f"the authorization was not granted ({params['error']}); run it again and approve")
    code = params.get("spapi_oauth_code")
    partner = params.get("selling_partner_id")
    if not code or not partner:
        raise AuthorizationError(
            "the redirect carries no spapi_oauth_code or selling_partner_id; "
            "start the authorization again")
    check_shape(code, partner)
    return Callback(code=Secret(code), selling_partner_id=partner)


def check_shape(code: str, partner: str) -> None:
    """Refuse redirect fields that cannot be Amazon's: a pasted URL is typed by a person.

    Amazon documents no format; every ID seen is upper-case letters and digits
    (``A3FHEXAMPLEYWS``), so the check is lenient but bounded. The code is never quoted.
    """
    if not SELLING_PARTNER_ID.fullmatch(partner):
        raise AuthorizationError(
            f"the redirect's selling_partner_id {excerpt(partner)} is not an Amazon selling "
            "partner ID (upper-case letters and digits, at most 40); start the "
            "authorization again and paste the address unchanged")
    if not OAUTH_CODE.fullmatch(code):
        raise AuthorizationError(
            "the redirect's spapi_oauth_code is not an Amazon authorization code (printable "
            "characters without spaces, at most 512); start the authorization again and "
            "paste the address unchanged")
