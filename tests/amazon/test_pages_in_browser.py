"""The pages a person sees after consent, loaded by a real headless Chromium.

The BROWSER program spprov starts approves (or denies) on the emulator's consent page,
then hands the redirect to Chromium, which dumps the rendered DOM and takes a
screenshot. Set SPPROV_TEST_SCREENSHOTS=DIR to keep the screenshots for a look.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.fixtures_gitops import US, GitOps

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

BROWSER = """\
import json, re, subprocess, pathlib
out = pathlib.Path({out!r})
mode = {mode!r}
flags = json.loads({flags!r})
c = httpx.Client(trust_env=False)
emulator = '/'.join(url.split('/', 3)[:3])
answer = c.post(url, data={{'decision': 'deny' if mode == 'denied' else 'approve'}})
target = real = answer.headers['location']
if mode == 'expired':
    c.post(emulator + '/_emulator/clock', json={{'advance_seconds': 301}})
if mode == 'wrong-state':
    target = re.sub('state=[^&]*', 'state=forged', real)
def chromium(*args):
    return subprocess.run([{chromium!r}, *flags, '--user-data-dir=' + str(out / 'profile'),
                           *args, target], capture_output=True, text=True, timeout=90).stdout
(out / 'dom.html').write_text(chromium('--dump-dom'))
chromium('--screenshot=' + str(out / 'page.png'), '--window-size=800,600')
if mode == 'wrong-state':
    c.get(real)  # the real redirect still completes the authorization
"""


class _Text(HTMLParser):
    """The visible text, one block element per line."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._skip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip = tag in ("style", "title")
        if tag in ("h1", "p", "code", "footer"):
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        self._skip = False

    def handle_data(self, data: str) -> None:
        if not self._skip and self.lines:
            self.lines[-1] += data


def _in_browser(gitops: GitOps, tmp_path: Path, mode: str) -> tuple[int, list[str], bytes]:
    out = tmp_path / "chromium"
    out.mkdir()
    program = gitops.browser(BROWSER.format(out=str(out), mode=mode, flags=json.dumps(FLAGS),
                                            chromium=str(CHROMIUM)))
    gitops.declare([{"name": "acme-us", **US}])
    result = gitops.run("authorize", "acme-us", env={"BROWSER": program})
    parser = _Text()
    parser.feed((out / "dom.html").read_text())
    screenshot = (out / "page.png").read_bytes()
    keep = os.environ.get("SPPROV_TEST_SCREENSHOTS")
    if keep:
        shutil.copy(out / "page.png", Path(keep) / f"{mode}.png")
    return result.code, [line.strip() for line in parser.lines], screenshot


def _is_800_by_600_png(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (800, 600)


FOOTER = "spprov, Amazon SP-API credentials as code"


def test_authorized_page_names_credential_app_and_partner(gitops: GitOps,
                                                          tmp_path: Path) -> None:
    code, text, screenshot = _in_browser(gitops, tmp_path, "approved")
    partner = gitops.emulator.selling_partner_id("default", "na")
    assert code == 0
    assert text == [
        "Authorized acme-us",
        f"Authorized acme-us for app acme (selling partner {partner}).",
        "You can close this tab; spprov goes on in your terminal.", FOOTER]
    assert _is_800_by_600_png(screenshot)
    assert gitops.state_file("acme-us").exists()


def test_denied_consent_page_says_what_to_run(gitops: GitOps, tmp_path: Path) -> None:
    code, text, screenshot = _in_browser(gitops, tmp_path, "denied")
    assert code == 1
    assert text == [
        "Not authorized",
        "The consent for acme-us (app acme) was declined or cancelled on Amazon's page "
        "(error=access_denied).",
        "Nothing was stored. To try again, approve the consent after running:",
        "spprov authorize acme-us", FOOTER]
    assert _is_800_by_600_png(screenshot)
    assert not gitops.state_file("acme-us").exists()


def test_expired_code_page_says_what_to_run(gitops: GitOps, tmp_path: Path) -> None:
    code, text, _ = _in_browser(gitops, tmp_path, "expired")
    assert code == 1
    assert text == [
        "Not authorized",
        "spprov could not finish the authorization of acme-us (app acme): authorization code "
        "expired or already used.",
        "Nothing was stored. To try again, run:", "spprov authorize acme-us", FOOTER]
    assert not gitops.state_file("acme-us").exists()


def test_wrong_state_page_is_shown_and_spprov_keeps_waiting(gitops: GitOps,
                                                            tmp_path: Path) -> None:
    code, text, screenshot = _in_browser(gitops, tmp_path, "wrong-state")
    assert text == [
        "Not the authorization spprov is waiting for",
        "This address does not carry the state of the consent page spprov opened for acme-us "
        "(an old tab, a second attempt, or a link from someone else), so spprov ignored it.",
        "spprov is still waiting: finish the consent in the tab spprov opened. If that tab is "
        "gone, stop spprov with Ctrl-C and run:", "spprov authorize acme-us", FOOTER]
    assert _is_800_by_600_png(screenshot)
    assert code == 0  # the real redirect, after the forged one, authorized the credential
    assert gitops.state_file("acme-us").exists()
