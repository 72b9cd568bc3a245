"""The errors Amazon's consent page shows, each with what it means and what to do.

From Amazon's "Authorization Errors" page (developer-docs.amazon.com/sp-api/docs/
authorization-errors) and its authorization limits (since 2022-04-25: an unlisted public
app holds at most 25 seller OAuth authorizations, any app 10 self-authorizations). One
table for the loopback page, paste mode and ``spprov explain``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OAUTH_LIMIT = "OAuth limit reached"


@dataclass(frozen=True)
class ConsentError:
    """One error Amazon shows instead of the consent."""

    code: str
    meaning: str
    remedy: str

    def line(self) -> str:
        """``MD5101: <meaning>; <what to do>``."""
        return f"{self.code}: {self.meaning}; {self.remedy}"


CONSENT_ERRORS: tuple[ConsentError, ...] = (
    ConsentError("MD1000", "the app is in Draft status and the consent URL has no "
                 "version=beta", "declare `draft: true` on the app (spprov then adds "
                 "version=beta) until the app is published, and authorize again"),
    ConsentError("MD5101", "the redirect URI is not one of those registered for the app",
                 "add the app's declared redirect_uri, exactly, under OAuth Redirect URI in "
                 "the Developer Console (Develop Apps > Edit App; publish the change for a "
                 "published app), or declare a registered one, and authorize again"),
    ConsentError("MD5110", "the redirect URI contains a fragment (#)",
                 "register and declare a redirect URI without a # part, and authorize again"),
    ConsentError("MD9010", "the app has no MWS developer ID in this region (an MWS or "
                 "hybrid app)", "register the developer ID for the region in the Developer "
                 "Console, or authorize in a region where the app has one"),
    ConsentError(OAUTH_LIMIT, "the app holds as many seller OAuth authorizations as Amazon "
                 "allows an app not listed in the Appstore (25)",
                 "list the app in the Appstore (listed apps have no limit), or free an "
                 "authorization: a seller removes the app under Manage Your Apps"),
)
_BY_CODE = {error.code.lower(): error for error in CONSENT_ERRORS}
_CODE = re.compile(r"\b(MD[0-9]{4})\b", re.IGNORECASE)


def find(text: str) -> ConsentError | None:
    """The known consent error named in ``text`` (a code, a page's text, a redirect's)."""
    if OAUTH_LIMIT.lower() in text.lower():
        return _BY_CODE[OAUTH_LIMIT.lower()]
    for match in _CODE.finditer(text):
        known = _BY_CODE.get(match.group(1).lower())
        if known is not None:
            return known
    return None


def explain(text: str) -> str | None:
    """One line for an error code in ``text``: known, or named as unknown; None if none."""
    known = find(text)
    if known is not None:
        return known.line()
    match = _CODE.search(text)
    if match is not None:
        return (f"{match.group(1).upper()}: not an error spprov knows; see Amazon's "
                "Authorization Errors page (developer-docs.amazon.com/sp-api/docs/"
                "authorization-errors)")
    return None
