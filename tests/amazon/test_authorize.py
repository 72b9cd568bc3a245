"""`spprov authorize NAME`: loopback consent, pasted redirects and self-authorized imports."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_gitops import US, GitOps
from tests.pty_run import paste_consent


def test_authorize_one_credential_over_loopback(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}, {"name": "other", **US}])
    result = gitops.run("authorize", "acme")
    partner = gitops.emulator.selling_partner_id("default", "na")
    assert result.code == 0, result.output
    assert result.stdout == (f"acme: authorized by {partner}; state written to "
                             "state/credentials/acme.sops.yaml\n")
    assert gitops.readable("acme")["selling_partner_id"] == partner
    assert not gitops.state_file("other").exists()


def test_authorize_unknown_name(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("authorize", "acme-typo")
    assert result.code == 1
    assert result.stderr == (
        "spprov: no credential named 'acme-typo' is declared in credentials.yaml; did you mean "
        "'acme'? run `spprov authorize acme`\n")


def test_authorize_refuses_consent_in_ci(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("authorize", "acme", env={"CI": "true"})
    assert result.code == 1
    assert "CI=true means no person is here to consent" in result.stderr
    assert gitops.emulator.stats()["total"] == 0


def test_import_self_authorized_refresh_token(gitops: GitOps) -> None:
    # A self-authorized token: obtain one from the emulator the way Seller Central would.
    consent = gitops.emulator.consent(gitops.app)
    grant = gitops.emulator.http.post("/api.amazon.com/auth/o2/token", data={
        "grant_type": "authorization_code", "code": consent.code,
        "redirect_uri": gitops.app.redirect_uri, "client_id": gitops.app.client_id,
        "client_secret": gitops.app.client_secret}).json()
    token = grant["refresh_token"]
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("authorize", "acme", "--refresh-token-stdin", env={"CI": "true"},
                        input=token + "\n")
    assert result.code == 0, result.output
    readable = gitops.readable("acme")
    assert readable["authorization_method"] == "self"
    assert token not in gitops.state_file("acme").read_text()
    assert token not in result.output


def test_import_rejects_a_revoked_token(gitops: GitOps) -> None:
    consent = gitops.emulator.consent(gitops.app)
    token = gitops.emulator.http.post("/api.amazon.com/auth/o2/token", data={
        "grant_type": "authorization_code", "code": consent.code,
        "redirect_uri": gitops.app.redirect_uri, "client_id": gitops.app.client_id,
        "client_secret": gitops.app.client_secret}).json()["refresh_token"]
    gitops.emulator.revoke(token)
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("authorize", "acme", "--refresh-token-stdin", input=token)
    assert result.code == 1
    assert result.stderr == ("spprov: acme: LWA refused that refresh token (revoked, expired or "
                             "issued to another app); generate a new one and import it again\n")
    assert not gitops.state_file("acme").exists()


def test_import_rejects_something_that_is_not_a_refresh_token(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("authorize", "acme", "--refresh-token-stdin", input="hello\n")
    assert result.code == 1
    assert result.stderr == ("spprov: acme: that is not a refresh token "
                             "(they start with 'Atzr|')\n")
    assert gitops.emulator.stats()["total"] == 0


def test_paste_mode_on_a_terminal(gitops: GitOps, home: Path, tmp_path: Path) -> None:
    # Paste mode needs a terminal: the child's stdin is a pseudo-terminal we type into.
    app = gitops.emulator.register_app(redirect_uris=("https://auth.example.com/cb",))
    gitops.app = app
    gitops.declare([{"name": "acme", **US}])
    landed = tmp_path / "landed.txt"
    code, stdout, stderr = paste_consent(gitops, home, landed, lambda address: address)
    assert code == 0, stderr
    assert "Paste the address your browser was redirected to" in stderr
    assert stdout.startswith("acme: authorized by ")
    code = landed.read_text().split("spapi_oauth_code=")[1].split("&")[0]
    assert code not in stdout + stderr
    assert gitops.readable("acme")["authorization_method"] == "website"
