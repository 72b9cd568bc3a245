"""Seller Central and Vendor Central consent pages: ``/apps/authorize/consent``."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from spprov.const import UNLISTED_OAUTH_LIMIT
from spprov.emulator.messages import Request, Response, html_response, redirect
from spprov.emulator.state import App, World, selling_partner_id
from spprov.regions import CONSENT_PATH, SELLER_CENTRAL_URLS, VENDOR_CENTRAL_URLS, Region

ACCOUNT_HEADER = "x-emulator-account"

# Every consent host of the table, with its region: the host decides the token's region.
CONSENT_HOSTS: dict[str, Region] = {
    urlsplit(url).netloc: region
    for url, region in {**SELLER_CENTRAL_URLS, **VENDOR_CENTRAL_URLS}.items()
}
VENDOR_HOSTS = frozenset(urlsplit(url).netloc for url in VENDOR_CENTRAL_URLS)


@dataclass(frozen=True)
class ConsentRequest:
    """A checked consent request."""

    app: App
    region: Region
    state: str
    redirect_uri: str
    account: str
    vendor: bool = False  # at Vendor Central: vendors' authorizations are not limited


class _ErrorPage(Exception):
    """Amazon's "Something went wrong" page, with an error code in its style."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def consent(world: World, request: Request) -> Response:
    """Show the consent page (GET), or carry out the person's decision (POST)."""
    if request.path != CONSENT_PATH or request.method not in ("GET", "POST"):
        return html_response(404, "Not found", "<h1>Page not found</h1>")
    params = dict(request.query)
    if request.method == "POST":
        params.update(dict(parse_qsl(request.body.decode("utf-8", "replace"))))
    try:
        checked = _check(world, request, params)
    except _ErrorPage as error:
        return _error_page(error)
    decision = params.get("decision") if request.method == "POST" else None
    if decision is None and world.auto_approve:
        decision = "approve"
    if decision == "approve":
        return _approve(world, checked)
    if decision == "deny":
        return redirect(_with_query(checked.redirect_uri,
                                    {"state": checked.state, "error": "access_denied"}))
    return _page(request, checked, params)


def _check(world: World, request: Request, params: dict[str, str]) -> ConsentRequest:
    app = world.app_by_application_id(params.get("application_id", ""))
    if app is None:
        raise _ErrorPage("MD1000", "Unable to find the application.")
    beta = params.get("version") == "beta"
    if app.draft and not beta:
        raise _ErrorPage("MD1000", "The application is in Draft status: add version=beta "
                                   "to the authorization URL.")
    if beta and not app.draft:
        raise _ErrorPage("MD9000", "version=beta is only for applications in Draft status.")
    redirect_uri = params.get("redirect_uri") or app.redirect_uris[0]
    if "#" in redirect_uri:
        raise _ErrorPage("MD5110", "The redirect_uri contains a fragment.")
    if redirect_uri not in app.redirect_uris:
        raise _ErrorPage("MD5101", "The redirect_uri is not registered for this application.")
    state = params.get("state", "")
    if not state:
        raise _ErrorPage("MD9100", "The request has no state parameter.")
    account = request.headers.get(ACCOUNT_HEADER) or world.account
    return ConsentRequest(app, CONSENT_HOSTS[request.host], state, redirect_uri, account,
                          request.host in VENDOR_HOSTS)


def _approve(world: World, checked: ConsentRequest) -> Response:
    partner = selling_partner_id(checked.account, checked.region.value)
    held = world.oauth_partners(checked.app.client_id)
    if not checked.app.appstore_listed and not checked.vendor and partner not in held \
            and len(held) >= UNLISTED_OAUTH_LIMIT:
        return _error_page(_ErrorPage("", "OAuth limit reached"))
    code = world.issue_code(checked.app, checked.redirect_uri, checked.region, partner,
                            checked.vendor)
    return redirect(_with_query(checked.redirect_uri, {
        "state": checked.state, "selling_partner_id": partner, "spapi_oauth_code": code}))


def _with_query(uri: str, params: dict[str, str]) -> str:
    separator = "&" if urlsplit(uri).query else "?"
    return uri + separator + urlencode(params)


def _page(request: Request, checked: ConsentRequest, params: dict[str, str]) -> Response:
    action = html.escape(f"/{request.host}{CONSENT_PATH}?{urlencode(params)}")
    forms = "".join(
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="decision" value="{value}">'
        f'<button type="submit">{label}</button></form>'
        for value, label in (("approve", "Approve"), ("deny", "Deny")))
    body = (f"<h1>Authorize {html.escape(checked.app.application_id)}</h1>"
            f"<p>Signed in as <b>{html.escape(checked.account)}</b> on "
            f"{html.escape(request.host)} (region {checked.region.value}).</p>{forms}")
    return html_response(200, "Authorize application", body)


def _error_page(error: _ErrorPage) -> Response:
    code = f"<p>Error Code: <span class=\"code\">{error.code}</span></p>" if error.code else ""
    body = (f"<h1>Something went wrong</h1><p class=\"error\">{html.escape(str(error))}</p>"
            f"{code}")
    return html_response(400, "Something went wrong", body)
