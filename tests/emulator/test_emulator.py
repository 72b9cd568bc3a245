"""The emulator over real loopback HTTP: consent pages, token endpoint, SP-API, controls."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from spprov.emulator.state import selling_partner_id
from spprov.regions import ENDPOINTS, SELLER_CENTRAL_URLS, VENDOR_CENTRAL_URLS
from tests.fixtures_cli import clean_env
from tests.fixtures_emulator import EmulatorHandle, RegisteredApp
from tests.fixtures_gitops import closed_port

TOKEN = "/api.amazon.com/auth/o2/token"
SELLERS = "/sellers/v1/marketplaceParticipations"
ALL_CONSENT_URLS = sorted({**SELLER_CENTRAL_URLS, **VENDOR_CENTRAL_URLS}.items())


def host(url: str) -> str:
    return urlsplit(url).netloc


def token_request(emulator: EmulatorHandle, app: RegisteredApp, **fields: str) -> httpx.Response:
    data = {"client_id": app.client_id, "client_secret": app.client_secret, **fields}
    return emulator.http.post(TOKEN, data=data)


def exchange(emulator: EmulatorHandle, app: RegisteredApp, code: str) -> dict[str, object]:
    response = token_request(emulator, app, grant_type="authorization_code", code=code,
                             redirect_uri=app.redirect_uri)
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- the command --------------------------------------------------------------------------

def test_command_prints_its_url_first_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "spprov", "emulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=clean_env(tmp_path))
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        stats = httpx.get(f"{url}/_emulator/stats", trust_env=False).json()
        assert stats["requests"]["total"] == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def test_command_auto_approve_redirects_at_once(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "spprov", "emulator", "--port", "0", "--auto-approve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path))
    try:
        assert process.stdout is not None
        handle = EmulatorHandle(process.stdout.readline().strip())
        app = handle.register_app()
        response = handle.http.get(handle.consent_path(app))
        assert response.status_code == 302
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


# -- consent pages ------------------------------------------------------------------------

@pytest.mark.parametrize(("consent_url", "region"), ALL_CONSENT_URLS)
def test_every_consent_url_of_the_table_grants_a_code_of_its_region(
        emulator: EmulatorHandle, consent_url: str, region: str) -> None:
    app = emulator.register_app()
    consent = emulator.consent(app, consent_url, account="acme")
    assert consent.location.startswith(app.redirect_uri + "?")
    assert consent.params["state"] == "state-1"
    assert consent.params["selling_partner_id"] == selling_partner_id("acme", region)
    assert consent.code.startswith("AN")
    tokens = exchange(emulator, app, consent.code)
    [issued] = emulator.refresh_tokens(app.client_id)
    assert issued["region"] == region and issued["refresh_token"] == tokens["refresh_token"]


def test_consent_page_is_html_with_approve_and_deny(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    response = emulator.http.get(emulator.consent_path(app))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert 'value="approve"' in response.text and 'value="deny"' in response.text
    assert response.text.count('<form method="post"') == 2


def test_deny_redirects_with_access_denied(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    consent = emulator.consent(app, decision="deny")
    assert consent.params == {"state": "state-1", "error": "access_denied"}


def test_unknown_consent_host_is_404(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    path = emulator.consent_path(app, "https://sellercentral.amazon.example")
    assert emulator.http.get(path).status_code == 404


@pytest.mark.parametrize(("draft", "extra", "code"), [
    (False, {"application_id": "amzn1.sp.solution.unknown"}, "MD1000"),
    (True, {"version": ""}, "MD1000"),
    (False, {"version": "beta"}, "MD9000"),
    (False, {"redirect_uri": "https://evil.example.com/cb"}, "MD5101"),
    (False, {"state": ""}, "MD9100"),
])
def test_consent_checks_show_an_error_page(emulator: EmulatorHandle, draft: bool,
                                           extra: dict[str, str], code: str) -> None:
    app = emulator.register_app(draft=draft)
    response = emulator.http.get(emulator.consent_path(app, **extra))
    assert response.status_code == 400
    assert f'Error Code: <span class="code">{code}</span>' in response.text


def test_draft_app_with_version_beta_is_accepted(emulator: EmulatorHandle) -> None:
    app = emulator.register_app(draft=True)
    assert emulator.consent(app).code


def test_omitted_redirect_uri_means_the_first_registered(emulator: EmulatorHandle) -> None:
    app = emulator.register_app(redirect_uris=("https://a.example.com/cb",
                                               "https://b.example.com/cb"))
    consent = emulator.consent(app, redirect_uri="")
    assert consent.location.startswith("https://a.example.com/cb?")


def test_account_header_wins_over_the_global_account(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.set_account("globex")
    assert emulator.consent(app).params["selling_partner_id"] == selling_partner_id(
        "globex", "na")
    assert emulator.consent(app, account="acme").params["selling_partner_id"] == (
        emulator.selling_partner_id("acme", "na"))


def test_selling_partner_ids_are_deterministic_and_regional() -> None:
    assert selling_partner_id("acme", "na") == selling_partner_id("acme", "na")
    assert selling_partner_id("acme", "na") != selling_partner_id("acme", "eu")
    assert len(selling_partner_id("acme", "na")) == 14


def test_auto_approve_setting_redirects_without_a_page(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.control("POST", "/settings", {"auto_approve": True})
    response = emulator.http.get(emulator.consent_path(app))
    assert response.status_code == 302
    assert "spapi_oauth_code=" in response.headers["location"]


# -- token endpoint -----------------------------------------------------------------------

def test_code_grant_answers_amazon_shaped_tokens(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    tokens = exchange(emulator, app, emulator.code(app))
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert str(tokens["access_token"]).startswith("Atza|")
    assert str(tokens["refresh_token"]).startswith("Atzr|")
    assert tokens["expires_in"] == 3600 and tokens["token_type"] == "bearer"


def test_refresh_grant_accepts_a_json_body_and_echoes_the_refresh_token(
        emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    refresh_token = exchange(emulator, app, emulator.code(app))["refresh_token"]
    response = emulator.http.post(TOKEN, json={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": app.client_id, "client_secret": app.client_secret})
    assert response.status_code == 200
    assert response.json()["refresh_token"] == refresh_token


def test_client_credentials_grant_has_no_refresh_token(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    response = token_request(emulator, app, grant_type="client_credentials",
                             scope="sellingpartnerapi::notifications")
    assert response.status_code == 200
    assert "refresh_token" not in response.json()


@pytest.mark.parametrize(("fields", "status", "error"), [
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({}, 400, "invalid_request"),
    ({"grant_type": "refresh_token"}, 400, "invalid_request"),
    ({"grant_type": "refresh_token", "refresh_token": "Atzr|never-issued"}, 400,
     "invalid_grant"),
    ({"grant_type": "client_credentials", "scope": "sellingpartnerapi::everything"}, 400,
     "invalid_scope"),
    ({"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
      "client_secret": "wrong"}, 401, "invalid_client"),
])
def test_token_errors_have_amazon_status_and_body(emulator: EmulatorHandle,
                                                 fields: dict[str, str], status: int,
                                                 error: str) -> None:
    app = emulator.register_app()
    response = token_request(emulator, app, **fields)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert set(response.json()) == {"error", "error_description"}


def test_code_is_single_use_bound_to_app_and_redirect_and_expires(
        emulator: EmulatorHandle) -> None:
    app, other = emulator.register_app(), emulator.register_app()
    code = emulator.code(app)
    assert token_request(emulator, other, grant_type="authorization_code", code=code,
                         redirect_uri=app.redirect_uri).json()["error"] == "invalid_grant"
    exchange(emulator, app, code)
    reused = token_request(emulator, app, grant_type="authorization_code", code=code,
                           redirect_uri=app.redirect_uri)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    late = emulator.code(app)
    emulator.advance_clock(301)
    assert token_request(emulator, app, grant_type="authorization_code", code=late,
                         redirect_uri=app.redirect_uri).json()["error"] == "invalid_grant"
    mismatch = token_request(emulator, app, grant_type="authorization_code",
                             code=emulator.code(app), redirect_uri="https://other.example/cb")
    assert mismatch.json()["error_description"] == (
        "The redirect_uri does not match the authorization request")


def test_revoked_refresh_token_is_invalid_grant(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    refresh_token = str(exchange(emulator, app, emulator.code(app))["refresh_token"])
    emulator.revoke(refresh_token)
    response = token_request(emulator, app, grant_type="refresh_token",
                             refresh_token=refresh_token)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


# -- SP-API -------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", [e.url for e in ENDPOINTS])
def test_sellers_call_answers_only_in_the_token_region(emulator: EmulatorHandle,
                                                       endpoint: str) -> None:
    app = emulator.register_app()
    token = exchange(emulator, app, emulator.code(app, "https://sellercentral-europe.amazon.com"))
    response = emulator.http.get(f"/{host(endpoint)}{SELLERS}",
                                 headers={"x-amz-access-token": str(token["access_token"])})
    if "-eu." in endpoint:
        assert response.status_code == 200
        ids = {p["marketplace"]["id"] for p in response.json()["payload"]}
        assert "A1PA6795UKMFR9" in ids and "ATVPDKIKX0DER" not in ids
    else:
        assert response.status_code == 403
        assert response.json() == {"errors": [{
            "code": "Unauthorized", "message": "Access to requested resource is denied.",
            "details": ""}]}


def test_access_token_expires_after_an_hour(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    token = exchange(emulator, app, emulator.code(app))["access_token"]
    emulator.advance_clock(3600)
    response = emulator.http.get(f"/sellingpartnerapi-na.amazon.com{SELLERS}",
                                 headers={"x-amz-access-token": str(token)})
    assert response.status_code == 403
    assert response.json()["errors"][0]["details"] == (
        "The access token you provided has expired.")


def test_secret_rotation_keeps_the_old_secret_for_seven_days(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.control("POST", "/notification-preferences", {
        "client_id": app.client_id,
        "new_secret_queue_arn": "arn:aws:sqs:us-east-1:123456789012:q"})
    grantless = token_request(emulator, app, grant_type="client_credentials",
                              scope="sellingpartnerapi::client_credential:rotation")
    response = emulator.http.post(
        "/sellingpartnerapi-na.amazon.com/applications/2023-11-30/clientSecret",
        headers={"x-amz-access-token": grantless.json()["access_token"]})
    assert response.status_code == 204
    [notification] = emulator.control("GET", "/notifications")["notifications"]
    assert notification["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    new_secret = notification["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
    scope = {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"}
    assert token_request(emulator, app, **scope).status_code == 200
    emulator.advance_clock(7 * 24 * 3600)
    assert token_request(emulator, app, **scope).status_code == 401
    assert token_request(emulator, app, **{**scope, "client_secret": new_secret}).status_code \
        == 200


def test_rotation_needs_the_rotation_scope(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    grantless = token_request(emulator, app, grant_type="client_credentials",
                              scope="sellingpartnerapi::notifications")
    response = emulator.http.post(
        "/sellingpartnerapi-na.amazon.com/applications/2023-11-30/clientSecret",
        headers={"x-amz-access-token": grantless.json()["access_token"]})
    assert response.status_code == 403


# -- controls -----------------------------------------------------------------------------

def test_stats_count_amazon_requests_not_controls(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    exchange(emulator, app, emulator.code(app))
    emulator.http.get(f"/sellingpartnerapi-na.amazon.com{SELLERS}")
    assert emulator.stats() == {"total": 3, "token": 1, "consent": 1, "sellers": 1,
                                "rotation": 0, "notifications": 0}
    emulator.reset_stats()
    assert emulator.stats()["total"] == 0


def test_faults_fail_a_counted_number_of_requests(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.faults(error_rate=1.0, error_status=429, retry_after=2, count=1)
    scope = {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"}
    first = token_request(emulator, app, **scope)
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert first.json()["error"] == "temporarily_unavailable"
    assert token_request(emulator, app, **scope).status_code == 200


def test_faults_do_not_touch_consent_pages(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.faults(error_rate=1.0)
    assert emulator.consent(app).code


def test_after_consume_fault_uses_up_the_code(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    code = emulator.code(app)
    emulator.faults(error_rate=1.0, after_consume=True, count=1)
    fields = {"grant_type": "authorization_code", "code": code,
              "redirect_uri": app.redirect_uri}
    assert token_request(emulator, app, **fields).status_code == 500
    assert token_request(emulator, app, **fields).json()["error"] == "invalid_grant"


def test_drop_connection_closes_without_an_answer(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    emulator.faults(error_rate=1.0, drop_connection=True, count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        token_request(emulator, app, grant_type="client_credentials",
                      scope="sellingpartnerapi::notifications")


def test_seeded_faults_repeat(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    scope = {"grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications"}
    runs = []
    for _ in range(2):
        emulator.faults(error_rate=0.5, seed=7)
        runs.append([token_request(emulator, app, **scope).status_code for _ in range(12)])
    assert runs[0] == runs[1]
    assert {200, 500} == set(runs[0])


def test_bad_control_bodies_are_400(emulator: EmulatorHandle) -> None:
    assert emulator.http.post("/_emulator/apps", json={"client_id": "x"}).status_code == 400
    assert emulator.http.post("/_emulator/faults", json={"typo": 1}).status_code == 400
    assert emulator.http.get("/_emulator/nope").status_code == 404


# -- the browser stand-in -----------------------------------------------------------------

def run_browser(script: Path, url: str, tmp_path: Path,
                **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), url], capture_output=True, text=True, timeout=30,
                          env=clean_env(tmp_path, env), check=False)


def test_browser_approves_and_writes_the_landed_url_in_paste_mode(
        emulator: EmulatorHandle, browser_script: Path, tmp_path: Path) -> None:
    app = emulator.register_app()
    landed = tmp_path / "landed"
    result = run_browser(browser_script, emulator.url + emulator.consent_path(app), tmp_path,
                         SPPROV_BROWSER_LANDED=str(landed), SPPROV_BROWSER_ACCOUNT="acme")
    assert result.returncode == 0, result.stderr
    query = parse_qs(urlsplit(landed.read_text().strip()).query)
    assert query["selling_partner_id"] == [selling_partner_id("acme", "na")]
    assert query["spapi_oauth_code"][0] not in result.stdout + result.stderr


def test_browser_denies_when_told(emulator: EmulatorHandle, browser_script: Path,
                                  tmp_path: Path) -> None:
    app = emulator.register_app()
    landed = tmp_path / "landed"
    result = run_browser(browser_script, emulator.url + emulator.consent_path(app), tmp_path,
                         SPPROV_BROWSER_LANDED=str(landed), SPPROV_BROWSER_DECISION="deny")
    assert result.returncode == 0
    assert "error=access_denied" in landed.read_text()


def test_browser_reports_an_error_page(emulator: EmulatorHandle, browser_script: Path,
                                       tmp_path: Path) -> None:
    app = emulator.register_app(draft=True)
    result = run_browser(browser_script,
                         emulator.url + emulator.consent_path(app, version="x"), tmp_path)
    assert result.returncode == 1
    assert "MD1000" in result.stderr


def test_browser_refuses_other_schemes_and_unreachable_pages_in_one_line(
        browser_script: Path, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{closed_port()}/consent"
    for url, stderr in [
            ("file:///etc/passwd",
             "browser: only http(s) pages are opened, not 'file:///etc/passwd'\n"),
            (closed, f"browser: cannot open {closed!r} ([Errno 111] Connection refused)\n")]:
        result = run_browser(browser_script, url, tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", stderr)


def test_a_redirect_target_that_does_not_answer_is_named_without_the_code(
        emulator: EmulatorHandle, browser_script: Path, tmp_path: Path) -> None:
    callback = f"http://127.0.0.1:{closed_port()}/callback"
    app = emulator.register_app(redirect_uris=(callback,))
    result = run_browser(browser_script, emulator.url + emulator.consent_path(app), tmp_path)
    assert (result.returncode, result.stderr) == (
        1, f"browser: the redirect target did not answer: cannot open {callback!r} "
           "([Errno 111] Connection refused)\n")


def test_browser_follows_a_loopback_redirect(emulator: EmulatorHandle, browser_script: Path,
                                             tmp_path: Path) -> None:
    received: list[str] = []

    class Listener(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    with http.server.HTTPServer(("127.0.0.1", 0), Listener) as server:
        thread = threading.Thread(target=server.handle_request, daemon=True)
        thread.start()
        app = emulator.register_app(
            redirect_uris=(f"http://127.0.0.1:{server.server_address[1]}/callback",))
        result = run_browser(browser_script, emulator.url + emulator.consent_path(app),
                             tmp_path)
        thread.join(10)
    assert result.returncode == 0, result.stderr
    [path] = received
    assert path.startswith("/callback?state=state-1&selling_partner_id=")
    assert parse_qs(urlsplit(path).query)["spapi_oauth_code"][0] not in result.stderr
