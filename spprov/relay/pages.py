"""The pages a seller sees at the relay: plain HTML that works with JavaScript off.

Every page has one stylesheet, allowed by its hash in the Content-Security-Policy, so the
policy can forbid everything else (scripts, frames, images, forms, other origins).
"""

from __future__ import annotations

import base64
import hashlib
import html
from dataclasses import dataclass
from datetime import datetime

from spprov.relay.protocol import Invitation

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;"
    "color:#111;line-height:1.5}h1{font-size:1.5em}dl{display:grid;grid-template-columns:"
    "max-content auto;gap:.3em 1em}dt{font-weight:600}.button{display:inline-block;"
    "background:#ff9900;color:#111;padding:.6em 1.2em;border-radius:4px;text-decoration:none;"
    "font-weight:600}.fail{color:#a00}footer{margin-top:3em;color:#555;font-size:.9em}"
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
REGION_NAMES = {"na": "North America", "eu": "Europe", "fe": "Far East"}
PORTALS = {"seller": "Seller Central", "vendor": "Vendor Central"}


@dataclass(frozen=True)
class Page:
    """One page: its HTTP status, heading and body (already HTML)."""

    status: int
    title: str
    body: str

    def render(self) -> str:
        """The whole document."""
        return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head>"
                f"<body>{self.body}<footer>spprov relay</footer></body></html>")


def _text(value: str) -> str:
    return html.escape(value, quote=True)


def _when(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC")


def portal(invitation: Invitation) -> str:
    """Seller Central or Vendor Central."""
    return PORTALS.get(invitation.account_kind, "Seller Central")


def landing(invitation: Invitation, start_href: str) -> Page:
    """What the link opens: who asks, for what, until when, and what Amazon will ask."""
    where = portal(invitation)
    region = REGION_NAMES.get(invitation.region, invitation.region)
    description = invitation.description or invitation.credential
    rows = [("App", f"{invitation.app} ({invitation.application_id})"),
            ("For", description),
            ("Region", f"{region} ({invitation.region})"),
            ("Account type", f"{invitation.account_kind} account, at {where}"),
            ("Link valid until", _when(invitation.expires_at))]
    if invitation.selling_partner_id:
        rows.append(("Account", f"selling partner {invitation.selling_partner_id} only"))
    details = "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in rows)
    body = (
        f"<h1>Authorize {_text(invitation.app)} to use the Selling Partner API</h1>"
        f"<dl>{details}</dl>"
        f"<p>Amazon will ask you to sign in to {_text(where)} "
        f"({_text(invitation.consent_url)}) with the account that should give access, and "
        f"to confirm that the app may call the Selling Partner API for that account in "
        f"{_text(region)}. You can revoke the access at any time in {_text(where)}, under "
        f"Apps and Services, Manage Your Apps.</p>"
        f"<p><a class=\"button\" href=\"{_text(start_href)}\">Continue to {_text(where)}"
        f"</a></p><p>The link works once. Nothing is shared until you approve at Amazon.</p>")
    return Page(200, f"Authorize {invitation.app}", body)


def success(invitation: Invitation, selling_partner_id: str) -> Page:
    """The grant is stored: the seller is done."""
    body = (f"<h1>Done: {_text(invitation.app)} is authorized</h1>"
            f"<p>Selling partner {_text(selling_partner_id)} authorized "
            f"{_text(invitation.app)} for {_text(invitation.description or invitation.credential)}"
            f". The authorization is stored encrypted for the team that invited you; you can "
            f"close this page.</p>")
    return Page(200, "Authorized", body)


def failure(status: int, title: str, what: str, todo: str) -> Page:
    """A page that says what happened and what to do."""
    body = (f"<h1 class=\"fail\">{_text(title)}</h1><p>{_text(what)}</p>"
            f"<p><b>What to do:</b> {_text(todo)}</p>")
    return Page(status, title, body)


ASK_AGAIN = "ask the team that sent you the link for a new one"
OPEN_AGAIN = "open the invitation link again and start over"

NOT_FOUND = failure(404, "This link is not valid",
                    "The relay knows no invitation for this address. It may have been "
                    "mistyped, replaced by a newer invitation, or already collected.",
                    ASK_AGAIN)
EXPIRED = failure(410, "This link has expired",
                  "The invitation is no longer valid, so nothing was shared.", ASK_AGAIN)
USED = failure(410, "This link was already used",
               "Someone already authorized through this invitation, and a link works once.",
               "nothing, if that was you; otherwise " + ASK_AGAIN)
STATE_UNKNOWN = failure(400, "This sign-in cannot be completed",
                        "Amazon sent you back with a request the relay did not start (an old "
                        "or altered address).", OPEN_AGAIN)
STATE_USED = failure(400, "This sign-in was already completed",
                     "The address Amazon sent you back to works once, and it was used "
                     "already (reloaded or opened twice).",
                     "nothing, if you saw a success page; otherwise " + OPEN_AGAIN)
STATE_EXPIRED = failure(400, "This sign-in took too long",
                        "The consent was started too long ago to be completed.", OPEN_AGAIN)
OTHER_BROWSER = failure(400, "This sign-in belongs to another browser",
                        "The consent was started in another browser (or with cookies "
                        "cleared), so it cannot be completed here.",
                        "open the invitation link again in this browser and start over")
DECLINED = failure(400, "Authorization declined",
                   "You declined the request at Amazon, so nothing was shared.",
                   "if that was a mistake, " + OPEN_AGAIN + " and approve")


def wrong_region(invitation: Invitation) -> Page:
    """The token works, but not on the credential's endpoint: the seller consented elsewhere."""
    return failure(400, "Wrong region",
                   f"The authorization you gave does not work in "
                   f"{REGION_NAMES.get(invitation.region, invitation.region)}: you probably "
                   f"signed in to another region's {portal(invitation)}.",
                   f"{OPEN_AGAIN}, and sign in at {invitation.consent_url}")


def pin_mismatch(invitation: Invitation, consented: str) -> Page:
    """Another account consented than the one the invitation is for."""
    return failure(400, "Wrong account",
                   f"Selling partner {consented} approved, but this invitation is for "
                   f"selling partner {invitation.selling_partner_id}; nothing was stored.",
                   f"{OPEN_AGAIN}, and sign in with account {invitation.selling_partner_id}")


def amazon_error(code: str, what: str, todo: str) -> Page:
    """An error Amazon reported, with its code."""
    return failure(400 if code != "server_error" else 502, f"Amazon reported an error: {code}",
                   what, todo)
