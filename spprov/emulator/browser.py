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
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

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


def visit(url: str, environ: dict[str, str]) -> int:
    """Open the consent URL, decide, follow the redirect; the exit code of the process."""
    headers = {}
    if environ.get("SPPROV_BROWSER_ACCOUNT"):
        headers["X-Emulator-Account"] = environ["SPPROV_BROWSER_ACCOUNT"]
    decision = "deny" if environ.get("SPPROV_BROWSER_DECISION") == "deny" else "approve"
    with httpx.Client(timeout=TIMEOUT_SECONDS, trust_env=False, headers=headers) as http:
        response = http.get(url)
        for _ in range(MAX_STEPS):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                return _land(http, target, environ)
            forms = _ConsentForms()
            forms.feed(response.text)
            if response.status_code != 200 or decision not in forms.forms:
                print(f"browser: no consent form (HTTP {response.status_code}): "
                      f"{' '.join(forms.text)[:300]}", file=sys.stderr)
                return 1
            response = http.post(urljoin(str(response.url), forms.forms[decision]),
                                 data={"decision": decision})
    print("browser: too many steps", file=sys.stderr)
    return 1


def _land(http: httpx.Client, target: str, environ: dict[str, str]) -> int:
    if not is_loopback(target):
        landed = environ.get("SPPROV_BROWSER_LANDED")
        if landed:
            Path(landed).write_text(target + "\n", encoding="utf-8")
        print("browser: redirected to the app's redirect URI (not followed)", file=sys.stderr)
        return 0
    try:
        answer = http.get(target)
    except httpx.HTTPError as exc:
        print(f"browser: the redirect target did not answer ({type(exc).__name__})",
              file=sys.stderr)
        return 1
    print(f"browser: redirected, the app answered HTTP {answer.status_code}", file=sys.stderr)
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
    return visit(argv[0], dict(os.environ))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
