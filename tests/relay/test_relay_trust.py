"""What the relay may never hold or lose: a stolen database yields nothing, a foreign grant
is refused at collection, a killed relay keeps every stored grant, concurrent callbacks for
one invitation store one grant."""

from __future__ import annotations

import signal
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pyrage import x25519

from spprov.relay.protocol import Grant, GrantError, open_sealed, seal
from spprov.secret import Secret
from tests.fixtures_emulator import EmulatorHandle
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_relay import Relay, Seller, declare_relayed, start_relay
from tests.fixtures_state import AgeIdentity

CI = {"CI": "true"}


def _link(gitops: GitOps) -> str:
    result = gitops.run("invite", "acme-us")
    assert result.code == 0, result.output
    return result.stdout.split(": ", 1)[1].strip()


def _database_bytes(db: Path) -> bytes:
    return b"".join(path.read_bytes() for path in (db, Path(f"{db}-wal")) if path.exists())


def test_a_stolen_database_yields_nothing(relayed: GitOps, relay: Relay, seller: Seller,
                                          age_identity: AgeIdentity) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    link = _link(relayed)
    consent = seller.start(link)
    back = seller.decide(consent)
    assert seller.open(back).status_code == 200
    stolen = _database_bytes(relay.db)
    query = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    [token] = relayed.emulator.refresh_tokens()
    secrets = {"refresh token": token["refresh_token"], "link secret": link.rsplit("/", 1)[1],
               "state": query["state"], "code": query["spapi_oauth_code"],
               "browser cookie": seller.http.cookies["spprov_relay_browser"]}
    assert [what for what, value in secrets.items() if value.encode() in stolen] == []
    with sqlite3.connect(relay.db) as db:
        [(sealed,)] = db.execute("SELECT sealed FROM grants").fetchall()
    with pytest.raises(GrantError, match="not sealed for this repository"):
        open_sealed(sealed, (x25519.Identity.generate(),))
    # Only the repository's identity opens it.
    identity = x25519.Identity.from_str(age_identity.path.read_text().split("\n")[1])
    assert open_sealed(sealed, (identity,)).refresh_token.reveal() == token["refresh_token"]


def _forge(relay: Relay, sealed: str) -> None:
    """Put a grant the relay never made under the repository's invitation."""
    with sqlite3.connect(relay.db) as db:
        [(invitation_id,)] = db.execute("SELECT invitation_id FROM invitations").fetchall()
        db.execute("UPDATE invitations SET used_at = 1")
        db.execute("INSERT INTO grants VALUES (?, ?, 1)", (invitation_id, sealed))


def _grant(emulator: EmulatorHandle, **changes: str) -> Grant:
    fields = {"invitation_id": "inv-someoneelse", "credential": "acme-us",
              "application_id": "amzn1.sp.solution.attacker", "client_id": "c",
              "redirect_uri": "https://attacker.example/callback", "region": "na",
              "sp_api_endpoint": US["sp_api_endpoint"],
              "selling_partner_id": emulator.selling_partner_id("attacker", "na"), **changes}
    return Grant(**fields, refresh_token=Secret("Atzr|forged"),  # type: ignore[arg-type]
                 authorized_at=datetime.now(UTC).replace(microsecond=0), marketplaces=())


def test_a_foreign_grant_is_refused(relayed: GitOps, relay: Relay,
                                    age_identity: AgeIdentity) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    _link(relayed)
    _forge(relay, seal(_grant(relayed.emulator), (age_identity.recipient,)))
    invitation = (relayed.repo / "state/invitations/acme-us.yaml").read_text()
    ours = invitation.split("invitation_id: ")[1].split()[0]
    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 1, result.output
    assert (f"acme-us: create failed: the grant from relay {relay.url} was refused: it was "
            f"issued for invitation 'inv-someoneelse', not '{ours}' (a grant this repository "
            "did not invite); it was deleted here and at the relay; invite again with "
            "`spprov invite acme-us`") in result.stdout
    assert not relayed.state_file("acme-us").exists()
    # Forgotten on both sides, so it cannot fail every apply: the next one invites anew.
    assert not (relayed.repo / "state/invitations/acme-us.yaml").exists()
    with sqlite3.connect(relay.db) as db:
        assert db.execute("SELECT count(*) FROM grants").fetchone() == (0,)
        assert db.execute("SELECT invitation_id FROM invitations").fetchall() == []
    again = relayed.run("apply", "--yes", env=CI)
    assert again.code == 3, again.output
    assert "invitation link: " in again.stdout


def test_a_grant_whose_token_does_not_work_is_discarded(relayed: GitOps, relay: Relay,
                                                       age_identity: AgeIdentity) -> None:
    # Invited, for this app and account, but LWA refuses its token (invalid_grant).
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    _link(relayed)
    record = (relayed.repo / "state/invitations/acme-us.yaml").read_text()
    ours = record.split("invitation_id: ")[1].split()[0]
    app = relayed.app
    _forge(relay, seal(_grant(relayed.emulator, invitation_id=ours,
                              application_id=app.application_id, client_id=app.client_id,
                              redirect_uri=app.redirect_uri), (age_identity.recipient,)))
    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 1, result.output
    [line] = [line for line in result.stdout.splitlines() if "acme-us: create failed" in line]
    assert line.startswith("acme-us: create failed: the collected grant's token does not "
                           "work (")
    assert line.endswith("); it was deleted here and at the relay; invite again with "
                         "`spprov invite acme-us`")
    assert not relayed.state_file("acme-us").exists()
    assert not (relayed.repo / "state/invitations/acme-us.yaml").exists()
    with sqlite3.connect(relay.db) as db:
        assert db.execute("SELECT count(*) FROM grants").fetchone() == (0,)


def test_a_grant_sealed_for_others_is_refused(relayed: GitOps, relay: Relay) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    _link(relayed)
    stranger = str(x25519.Identity.generate().to_public())
    _forge(relay, seal(_grant(relayed.emulator), (stranger,)))
    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 1
    assert "was refused: it is not sealed for this repository's age recipients" in result.stdout
    assert not relayed.state_file("acme-us").exists()
    # Perhaps another holder of the repository's identities can open it: nothing deleted.
    assert (relayed.repo / "state/invitations/acme-us.yaml").exists()
    with sqlite3.connect(relay.db) as db:
        assert db.execute("SELECT count(*) FROM grants").fetchone() == (1,)


@pytest.mark.slow
@pytest.mark.relay_process
def test_a_killed_relay_loses_no_grant(relayed: GitOps, relay: Relay, seller: Seller,
                                       home: Path, tmp_path: Path) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    page = seller.consent(_link(relayed))
    assert page.status_code == 200
    assert relay.stop(signal.SIGKILL) == -signal.SIGKILL
    port = urlsplit(relay.url).port
    again = start_relay(tmp_path / "again", home, relayed.emulator.url, relay.db,
                        "--port", str(port))
    try:
        assert again.url == relay.url
        result = relayed.run("apply", "--yes", env=CI)
        assert result.code == 0, result.output
        assert "acme-us: created (authorized by" in result.stdout
        with sqlite3.connect(relay.db) as db:
            assert db.execute("SELECT count(*) FROM grants").fetchone() == (0,)
    finally:
        again.stop()


def test_concurrent_callbacks_store_one_grant(relayed: GitOps, relay: Relay,
                                              seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    link = _link(relayed)
    returns = [seller.decide(seller.start(link)) for _ in range(2)]  # two tabs
    pages: list[httpx.Response] = []
    threads = [threading.Thread(target=lambda url=url: pages.append(seller.http.get(url)))
               for url in returns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(page.status_code for page in pages) == [200, 410]
    with sqlite3.connect(relay.db) as db:
        assert db.execute("SELECT count(*) FROM grants").fetchone() == (1,)
    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 0 and "collected from" in result.stdout
    before = relayed.state_file("acme-us").read_bytes()
    assert relayed.run("apply", "--yes", env=CI).code == 0
    assert relayed.state_file("acme-us").read_bytes() == before
