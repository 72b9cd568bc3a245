"""The seller's whole journey in a real headless Chromium, scripts off: the invitation link,
the landing page, the emulator's consent page, the relay's success page; then
`CI=true spprov apply --yes` collects. Set SPPROV_TEST_SCREENSHOTS=DIR to keep a
screenshot of each page (docs/relay.md shows them)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM, Chromium
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_relay import Relay, declare_relayed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
                       reason="needs Chromium (Debian: apt-get install chromium; .ci/run "
                              "installs it)"),
]


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SPPROV_TEST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_journey_in_chromium(relayed: GitOps, relay: Relay, tmp_path: Path) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", "description": "ACME Inc., US store",
                                      **US}])
    invited = relayed.run("invite", "acme-us")
    assert invited.code == 0, invited.output
    link = invited.stdout.split(": ", 1)[1].strip()
    shots = _screenshots(tmp_path)
    relayed.emulator.reset_stats()
    with Chromium() as browser:
        browser.open(link)
        landing = browser.html()
        assert "Authorize acme to use the Selling Partner API" in landing
        assert "ACME Inc., US store" in landing and "North America (na)" in landing
        browser.screenshot(shots / "relay-landing.png")
        browser.click("a.button")
        assert "/sellercentral.amazon.com/apps/authorize/consent" in browser.url()
        assert "Authorize " + relayed.app.application_id in browser.html()
        browser.screenshot(shots / "relay-consent.png")
        browser.click("form button")  # Approve
        assert browser.url().startswith(f"{relay.url}/callback?")
        assert "Done: acme is authorized" in browser.html()
        browser.screenshot(shots / "relay-success.png")
        browser.open(browser.url())  # a reload replays the callback
        assert "This sign-in was already completed" in browser.html()
        browser.screenshot(shots / "relay-replayed.png")
        browser.open(link)
        assert "This link was already used" in browser.html()
        browser.screenshot(shots / "relay-used.png")
    assert relayed.emulator.stats()["consent"] == 2  # the seller's page and approval

    result = relayed.run("apply", "--yes", env={"CI": "true"})
    assert result.code == 0, result.output
    assert "acme-us: created (authorized by" in result.stdout
    assert relayed.emulator.stats()["consent"] == 2  # none from the operator


def test_failure_pages_in_chromium(relayed: GitOps, relay: Relay, tmp_path: Path) -> None:
    # What a seller sees when the journey cannot end in a grant (docs/relay.md shows them).
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}, {"name": "acme-ca", **US}])
    links = dict(line.split(": ", 1) for line in
                 relayed.run("invite", "acme-us", "acme-ca").stdout.splitlines())
    expiring = relayed.run("invite", "acme-ca", "--expires", "1s")
    assert expiring.code == 0, expiring.output
    shots = _screenshots(tmp_path)
    with Chromium() as browser:
        browser.open(links["acme-us"])
        browser.click("a.button")
        browser.click("form:nth-of-type(2) button")  # Deny
        assert browser.url().startswith(f"{relay.url}/callback?")
        assert "Authorization declined" in browser.html()
        browser.screenshot(shots / "relay-declined.png")
        browser.open(f"{relay.url}/i/not-a-link")
        assert "This link is not valid" in browser.html()
        browser.screenshot(shots / "relay-unknown.png")
        time.sleep(1.1)  # the second invitation of acme-ca was valid for one second
        browser.open(expiring.stdout.split(": ", 1)[1].strip())
        assert "This link has expired" in browser.html()
        browser.screenshot(shots / "relay-expired.png")
    assert relayed.emulator.stats()["token"] == 0
