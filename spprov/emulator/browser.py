"""A non-graphical browser for tests and the demo: approves (or denies) a consent page.

Run as ``python -m spprov.emulator.browser URL``. Python's ``webbrowser`` runs the
executable named by ``BROWSER`` with the URL, so :func:`write_browser_script` writes a
tiny script that calls this module. Environment:

- ``SPPROV_BROWSER_DECISION=deny`` presses Deny instead of Approve;
- ``SPPROV_BROWSER_ACCOUNT=NAME`` signs in as NAME (header ``X-Emulator-Account``);
- ``SPPROV_BROWSER_LANDED=FILE``: when the redirect target is not a loopback address
  (paste mode), the final URL is written there instead of being followed.

It never prints the authorization code.
"""

from __future__ import annotations

import os
import shlex
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from spprov.amazon.routing import is_loopback_host

TIMEOUT_SECONDS = 30.0
MAX_STEPS = 5


class _ConsentForms(HTMLParser):
    """Collects each form's action and its ``decision`` value, and error text."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, str] = {}
        self._action: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self._action = values.get("action") or ""
        elif tag == "input" and values.get("name") == "decision" and self._action is not None:
            self.forms[values.get("value") or ""] = self._action

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(data.strip())


def is_loopback(url: str) -> bool:
    """True when the URL's host is 127.0.0.1, ::1 or localhost."""
    return is_loopback_host(urlsplit(url).hostname)


@dataclass(frozen=True)
class _Answer:
    url: str
    status: int
    location: str | None
    text: str

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and self.location is not None


class BrowserError(Exception):
    """A page that cannot be opened; ``main`` prints it as one line and exits 1."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to look at: the last one must not be followed blindly."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _Browser:
    """The standard library's HTTP client (it starts fast: one runs per consent)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers
        # No proxies from the environment: like a browser on this machine, not a CI proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   _NoRedirects())

    def get(self, url: str) -> _Answer:
        return self._send(url, None)

    def post(self, url: str, fields: dict[str, str]) -> _Answer:
        return self._send(url, urlencode(fields).encode())

    def _send(self, url: str, body: bytes | None) -> _Answer:
        if urlsplit(url).scheme not in ("http", "https"):
            raise BrowserError(f"only http(s) pages are opened, not {_shown(url)!r}")
        request = urllib.request.Request(url, data=body, headers=self._headers,  # noqa: S310
                                         method="GET" if body is None else "POST")
        try:
            with self._opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return _Answer(response.url, response.status, response.headers.get("location"),
                               response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            with error:
                return _Answer(request.full_url, error.code, error.headers.get("location"),
                               error.read().decode("utf-8", "replace"))
        except OSError as exc:  # URLError (refused, no such host), a reset or a timeout
            reason = getattr(exc, "reason", None) or exc
            raise BrowserError(f"cannot open {_shown(url)!r} ({reason})") from None


def _shown(url: str) -> str:
    """The page without its query: a redirect's query carries the authorization code."""
    return url.split("?", 1)[0].split("#", 1)[0][:80]


def visit(url: str, environ: dict[str, str]) -> int:
    """Open the consent URL, decide, follow the redirect; the exit code of the process."""
    headers = {}
    if environ.get("SPPROV_BROWSER_ACCOUNT"):
        headers["X-Emulator-Account"] = environ["SPPROV_BROWSER_ACCOUNT"]
    decision = "deny" if environ.get("SPPROV_BROWSER_DECISION") == "deny" else "approve"
    http = _Browser(headers)
    response = http.get(url)
    for _ in range(MAX_STEPS):
        if response.is_redirect:
            assert response.location is not None
            return _land(http, urljoin(response.url, response.location), environ)
        forms = _ConsentForms()
        forms.feed(response.text)
        if response.status != 200 or decision not in forms.forms:
            print(f"browser: no consent form (HTTP {response.status}): "
                  f"{' '.join(forms.text)[:300]}", file=sys.stderr)
            return 1
        response = http.post(urljoin(response.url, forms.forms[decision]),
                             {"decision": decision})
    print("browser: too many steps", file=sys.stderr)
    return 1


def _land(http: _Browser, target: str, environ: dict[str, str]) -> int:
    if not is_loopback(target):
        landed = environ.get("SPPROV_BROWSER_LANDED")
        if landed:
            Path(landed).write_text(target + "\n", encoding="utf-8")
        print("browser: redirected to the app's redirect URI (not followed)", file=sys.stderr)
        return 0
    try:
        answer = http.get(target)
    except BrowserError as exc:
        print(f"browser: the redirect target did not answer: {exc}", file=sys.stderr)
        return 1
    print(f"browser: redirected, the app answered HTTP {answer.status}", file=sys.stderr)
    return 0


def write_browser_script(path: Path) -> Path:
    """Write an executable ``BROWSER`` script that runs this module with this Python."""
    path.write_text(
        "#!/bin/sh\n"
        f"exec {shlex.quote(sys.executable)} -m spprov.emulator.browser \"$1\"\n",
        encoding="utf-8")
    path.chmod(0o755)
    return path


def main(argv: list[str]) -> int:
    """Entry point: ``python -m spprov.emulator.browser URL``."""
    if len(argv) != 1:
        print("usage: python -m spprov.emulator.browser URL", file=sys.stderr)
        return 1
    try:
        return visit(argv[0], dict(os.environ))
    except BrowserError as exc:
        print(f"browser: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
