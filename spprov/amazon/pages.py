"""The pages a person sees in the browser after consent, served by the loopback listener.

Each names the credential, the app and (once known) the selling partner, says what
happened and, on failure, the command to run. One inline style sheet, no scripts, no
external resources; every value is HTML-escaped (the ``error`` parameter comes from the
redirect's query string, which anyone can write).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from spprov.amazon.consenterrors import explain
from spprov.hints import authorize_command

_MAX_VALUE = 80
_STYLE = (
    "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;"
    "background:#f6f7f9;color:#1d2330}"
    "main{max-width:34rem;margin:4rem auto;padding:2rem 2.25rem;background:#fff;"
    "border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "h1{font-size:1.4rem;margin:0 0 1rem}"
    ".ok h1{color:#1a7f37}.failed h1{color:#b42318}.waiting h1{color:#9a6700}"
    "p{margin:.6rem 0}code{font:.95em ui-monospace,Menlo,Consolas,monospace;"
    "background:#eef0f3;padding:.15rem .35rem;border-radius:4px}"
    ".cmd{display:block;padding:.6rem .8rem;margin:.8rem 0;overflow-wrap:anywhere}"
    "footer{margin-top:1.5rem;color:#667085;font-size:.85rem}"
)


@dataclass(frozen=True)
class Page:
    """One answer of the listener: HTTP status, heading, paragraphs, a command to run."""

    status: int
    kind: str  # "ok", "failed" or "waiting": the style of the heading
    heading: str
    paragraphs: tuple[str, ...]
    command: str | None = None

    def html(self) -> bytes:
        """The page, with every value escaped."""
        body = "".join(f"<p>{html.escape(text)}</p>" for text in self.paragraphs)
        if self.command is not None:
            body += f'<code class="cmd">{html.escape(self.command)}</code>'
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>spprov: {html.escape(self.heading)}</title><style>{_STYLE}</style>"
            f'</head><body><main class="{self.kind}"><h1>{html.escape(self.heading)}</h1>'
            f"{body}<footer>spprov, Amazon SP-API credentials as code</footer></main>"
            "</body></html>"
        ).encode()


@dataclass(frozen=True)
class Who:
    """The credential and app an authorization is for."""

    credential: str
    app: str


def short(value: str) -> str:
    """A value from the outside world, cut to a readable length, control characters out."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in value)
    return clean if len(clean) <= _MAX_VALUE else clean[:_MAX_VALUE] + "..."


def authorized(who: Who, selling_partner_id: str) -> Page:
    """The consent was exchanged for a refresh token."""
    return Page(200, "ok", f"Authorized {who.credential}", (
        f"Authorized {who.credential} for app {who.app} (selling partner "
        f"{short(selling_partner_id)}).",
        "You can close this tab; spprov goes on in your terminal."))


def denied(who: Who, error: str) -> Page:
    """Amazon sent the browser back with ``error=...`` instead of a code."""
    if error == "access_denied":
        what = (f"The consent for {who.credential} (app {who.app}) was declined or cancelled "
                "on Amazon's page (error=access_denied).")
    elif (shown := explain(error)) is not None:
        what = (f"Amazon did not grant the consent for {who.credential} (app {who.app}): "
                f"{shown}.")
    else:
        what = (f"Amazon did not grant the consent for {who.credential} (app {who.app}): "
                f"error={short(error)}.")
    return Page(403, "failed", "Not authorized", (
        what, "Nothing was stored. To try again, approve the consent after running:"),
        authorize_command(who.credential))


def failed(who: Who, reason: str) -> Page:
    """The redirect arrived, but spprov could not use it (expired code, pin, bad fields)."""
    return Page(400, "failed", "Not authorized", (
        f"spprov could not finish the authorization of {who.credential} (app {who.app}): "
        f"{short_reason(who, reason)}",
        "Nothing was stored. To try again, run:"), authorize_command(who.credential))


def not_stored(who: Who, reason: str) -> Page:
    """Amazon granted the consent, but the state file could not be written."""
    return Page(500, "failed", "Not stored", (
        f"Amazon granted the consent for {who.credential} (app {who.app}), but spprov could "
        f"not store the refresh token: {short_reason(who, reason)}",
        "Nothing was stored, so this consent is lost. Fix the problem your terminal shows, "
        "then run:"), authorize_command(who.credential))


def short_reason(who: Who, reason: str) -> str:
    """An error message without the credential prefix and the advice the page gives itself."""
    text = reason.removeprefix(f"{who.credential}: ")
    text = text.split(": authorize again", 1)[0].split("; run ", 1)[0]
    return text.rstrip(".") + "."


def wrong_state(who: Who) -> Page:
    """A request without this authorization's ``state``: ignored, still waiting."""
    return Page(400, "waiting", "Not the authorization spprov is waiting for", (
        "This address does not carry the state of the consent page spprov opened for "
        f"{who.credential} (an old tab, a second attempt, or a link from someone else), "
        "so spprov ignored it.",
        "spprov is still waiting: finish the consent in the tab spprov opened. If that tab "
        "is gone, stop spprov with Ctrl-C and run:"), authorize_command(who.credential))


def still_working(who: Who) -> Page:
    """The code arrived, and the exchange takes longer than the page can wait."""
    return Page(202, "waiting", "Authorization received", (
        f"spprov received the consent for {who.credential} (app {who.app}) and is finishing "
        "in your terminal.", "You can close this tab."))


NOT_FOUND = Page(404, "failed", "Not found", (
    "spprov listens here only for Amazon's redirect after consent.",))
