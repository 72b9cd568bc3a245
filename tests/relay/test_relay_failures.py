"""Every way a seller's journey can fail has a page that says what happened and what to do,
and none of them stores a grant or exchanges a code it should not."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from spprov.relay.server import RelayServer, ServeOptions
from tests.fixtures_emulator import EmulatorHandle
from tests.fixtures_gitops import EU, US, GitOps
from tests.fixtures_relay import RELAY_TOKEN, Relay, Seller, declare_relayed, relay_environ


def _link(gitops: GitOps, name: str = "acme-us", *extra: str) -> str:
    result = gitops.run("invite", name, *extra)
    assert result.code == 0, result.output
    return result.stdout.split(": ", 1)[1].strip()


def _heading(page: httpx.Response) -> str:
    start = page.text.index("<h1")
    return page.text[page.text.index(">", start) + 1:page.text.index("</h1>")]


def test_replayed_callback_is_refused_without_a_second_exchange(
        relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    back = seller.decide(seller.start(_link(relayed)))
    assert seller.open(back).status_code == 200
    tokens = relayed.emulator.stats()["token"]
    replay = seller.open(back)
    assert (replay.status_code, _heading(replay)) == (400, "This sign-in was already completed")
    assert relayed.emulator.stats()["token"] == tokens
    link_again = seller.open(seller.pages[0].url.__str__())
    assert (link_again.status_code, _heading(link_again)) == (410, "This link was already used")


def test_expired_link(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    link = _link(relayed, "acme-us", "--expires", "1s")
    time.sleep(1.1)
    page = seller.open(link)
    assert (page.status_code, _heading(page)) == (410, "This link has expired")
    assert "ask the team that sent you the link for a new one" in page.text
    plan = relayed.run("plan")
    assert "acme-us: invited through" in plan.stdout and "the invitation expired" in plan.stdout


def test_unknown_link(relay: Relay, seller: Seller) -> None:
    page = seller.open(f"{relay.url}/i/not-a-link")
    assert (page.status_code, _heading(page)) == (404, "This link is not valid")


def test_declined(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    page = seller.consent(_link(relayed), decision="deny")
    assert (page.status_code, _heading(page)) == (400, "Authorization declined")
    assert relayed.emulator.stats()["token"] == 0


def test_pin_mismatch_exchanges_nothing(relayed: GitOps, relay: Relay,
                                        seller: Seller) -> None:
    pin = relayed.emulator.selling_partner_id("owner", "na")
    declare_relayed(relayed, relay, [{"name": "acme-us", "selling_partner_id": pin, **US}])
    page = seller.consent(_link(relayed), account="someone-else")
    assert (page.status_code, _heading(page)) == (400, "Wrong account")
    assert f"this invitation is for selling partner {pin}" in page.text
    assert relayed.emulator.stats()["token"] == 0


def test_wrong_region(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-eu", **EU}])
    consent = seller.start(_link(relayed, "acme-eu"))
    # The seller signs in to North America's Seller Central instead of Europe's.
    wrong = consent.replace("sellercentral-europe.amazon.com", "sellercentral.amazon.com")
    page = seller.open(seller.decide(wrong))
    assert (page.status_code, _heading(page)) == (400, "Wrong region")
    apply = relayed.run("apply", "--yes", env={"CI": "true"})
    assert apply.code == 3 and "collected" not in apply.stdout


def test_other_browser(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    back = seller.decide(seller.start(_link(relayed)))
    with httpx.Client(trust_env=False) as stranger:
        page = stranger.get(back)
    assert (page.status_code, _heading(page)) == (400, "This sign-in belongs to another browser")
    assert relayed.emulator.stats()["token"] == 0


def test_expired_code(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    back = seller.decide(seller.start(_link(relayed)))
    relayed.emulator.advance_clock(301)
    page = seller.open(back)
    assert (page.status_code, _heading(page)) == (400, "Amazon reported an error: invalid_grant")


def test_amazon_error_in_the_redirect(relayed: GitOps, relay: Relay,
                                      seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    back = seller.decide(seller.start(_link(relayed)), decision="deny")
    page = seller.open(back.replace("error=access_denied", "error=server_error"))
    assert (page.status_code, _heading(page)) == (502, "Amazon reported an error: server_error")
    assert "wait a few minutes" in page.text


def test_public_pages_headers_and_admin_token(relay: Relay) -> None:
    with httpx.Client(trust_env=False, base_url=relay.url) as http:
        page = http.get("/i/whatever")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["referrer-policy"] == "no-referrer"
        assert http.get("/healthz").json() == {"status": "ok"}
        assert http.post("/admin/grants/query", json={"invitation_ids": []}).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert http.post("/admin/grants/query", json={"invitation_ids": []},
                         headers=wrong).status_code == 401
        right = {"Authorization": f"Bearer {RELAY_TOKEN}"}
        assert http.post("/admin/grants/query", json={"invitation_ids": []},
                         headers=right).json() == {"grants": {}}


def test_rate_limited(tmp_path: Path, emulator: EmulatorHandle) -> None:
    options = ServeOptions("127.0.0.1", 0, None, tmp_path / "limited.sqlite3", 6)
    limited = RelayServer(options, relay_environ(emulator.url)).start()
    try:
        with httpx.Client(trust_env=False, base_url=limited.url) as http:
            codes = [http.get("/i/x").status_code for _ in range(4)]
            assert codes == [404, 404, 404, 429]
            assert http.get("/healthz").status_code == 200
    finally:
        limited.stop()


@pytest.mark.parametrize(("secret", "status", "heading"), [
    ("amzn1.oa2-cs.v1.not-the-secret", 400, "Amazon reported an error: invalid_client"),
    (None, 503, "The relay is not ready"),
])
def test_the_relays_client_secret(relayed: GitOps, relay: Relay, seller: Seller, tmp_path: Path,
                                  secret: str | None, status: int, heading: str) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    link = _link(relayed)
    relay.stop()
    environ = relay_environ(relayed.emulator.url)
    if secret is None:
        del environ["SPPROV_APP_ACME_CLIENT_SECRET"]
    else:
        environ["SPPROV_APP_ACME_CLIENT_SECRET"] = secret
    port = int(relay.url.rsplit(":", 1)[1])
    again = RelayServer(ServeOptions("127.0.0.1", port, None, relay.db), environ).start()
    try:
        page = seller.consent(link)
        assert (page.status_code, _heading(page)) == (status, heading)
        assert "tell the team that sent you the link" in page.text
    finally:
        again.stop()
