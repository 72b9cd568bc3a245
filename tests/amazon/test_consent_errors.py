"""The errors Amazon's consent page shows, explained: on the loopback page, in paste mode,
by `spprov explain`, and shown by the emulator where Amazon shows them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spprov.amazon.consenterrors import CONSENT_ERRORS, explain
from spprov.errors import AuthorizationError
from tests.amazon.test_loopback import STATE, _get, listener  # noqa: F401 - a fixture
from tests.fixtures_cli import clean_env
from tests.fixtures_emulator import EmulatorHandle
from tests.fixtures_gitops import US, GitOps

MD5101 = ("MD5101: the redirect URI is not one of those registered for the app; add the "
          "app's declared redirect_uri, exactly, under OAuth Redirect URI in the Developer "
          "Console (Develop Apps > Edit App; publish the change for a published app), or "
          "declare a registered one, and authorize again")
LIMIT = ("OAuth limit reached: the app holds as many seller OAuth authorizations as Amazon "
         "allows an app not listed in the Appstore (25); list the app in the Appstore (listed "
         "apps have no limit), or free an authorization: a seller removes the app under "
         "Manage Your Apps")


@pytest.mark.parametrize("error", CONSENT_ERRORS, ids=lambda e: e.code)
def test_every_known_error_is_one_line_of_meaning_and_remedy(error: object, spprov: object,
                                                             tmp_path: Path) -> None:
    code = error.code  # type: ignore[attr-defined]
    line = explain(f"Error Code: {code}")
    assert line is not None and "\n" not in line and line.startswith(f"{code}: ")
    assert "; " in line  # what it means; what to do
    ran = spprov("explain", code, cwd=tmp_path)  # type: ignore[operator]
    assert (ran.code, ran.stdout, ran.stderr) == (0, line + "\n", "")


def test_the_cli_explains_the_limit_and_refuses_what_is_not_a_code(spprov: object,
                                                                   tmp_path: Path) -> None:
    limit = spprov("explain", "OAuth", "limit", "reached", cwd=tmp_path)  # type: ignore[operator]
    assert (limit.code, limit.stdout) == (0, LIMIT + "\n")
    unknown = spprov("explain", "MD4242", cwd=tmp_path)  # type: ignore[operator]
    assert unknown.stdout.startswith("MD4242: not an error spprov knows; see Amazon's ")
    wrong = spprov("explain", "banana", cwd=tmp_path)  # type: ignore[operator]
    assert (wrong.code, wrong.stderr) == (1, (
        "spprov: 'banana' is not an error code of Amazon's consent page (known: MD1000, "
        'MD5101, MD5110, MD9010, "OAuth limit reached")\n'))


def test_the_loopback_page_explains_an_error_redirect(listener) -> None:  # noqa: F811
    running, port = listener
    status, body = _get(port, f"/callback?state={STATE}&error=MD5101")
    assert status == 403
    assert MD5101.replace("'", "&#x27;").replace(">", "&gt;") in body
    with pytest.raises(AuthorizationError) as raised:
        running.wait(1)
    assert str(raised.value) == f"Amazon did not grant the consent: {MD5101}"


def test_paste_mode_explains_the_code_the_person_pastes(gitops: GitOps, home: Path) -> None:
    # The app registered another redirect URI than the declared one: Amazon's page shows
    # MD5101 and redirects nowhere; the person pastes the code instead of an address.
    app = gitops.emulator.register_app(redirect_uris=("https://auth.example.com/other",))
    gitops.app = app
    gitops.declare([{"name": "acme", **US}], redirect_uri="https://auth.example.com/cb")
    env = clean_env(home, {**gitops.env, "SPPROV_APP_ACME_CLIENT_SECRET": app.client_secret})
    main, secondary = os.openpty()
    child = subprocess.Popen([sys.executable, "-m", "spprov", "authorize", "acme"],
                             cwd=gitops.repo, env=env, stdin=secondary, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    os.close(secondary)
    try:
        deadline = time.monotonic() + 30
        while gitops.emulator.stats()["consent"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.write(main, b"Error Code: MD5101\n")
        stdout, stderr = child.communicate(timeout=30)
    finally:
        os.close(main)
        child.kill()
    assert child.returncode == 1
    assert stderr.endswith(f"spprov: Amazon's page showed {MD5101}\n")
    assert not gitops.state_file("acme").exists()


def test_the_emulator_shows_the_codes_amazon_documents(emulator: EmulatorHandle) -> None:
    draft = emulator.register_app(draft=True)
    page = emulator.http.get(emulator.consent_path(draft, version=""))
    assert page.status_code == 400 and "MD1000" in page.text
    app = emulator.register_app()
    fragment = emulator.http.get(emulator.consent_path(app, redirect_uri="https://app.example.com/cb#x"))
    assert fragment.status_code == 400 and "MD5110" in fragment.text
    other = emulator.http.get(emulator.consent_path(app, redirect_uri="https://elsewhere.example/cb"))
    assert other.status_code == 400 and "MD5101" in other.text
    assert explain(other.text) == MD5101  # the page's text is what spprov explains


def test_an_unlisted_app_holds_25_seller_authorizations(emulator: EmulatorHandle) -> None:
    unlisted = emulator.register_app()
    listed = emulator.register_app(appstore_listed=True)
    for n in range(25):
        code = emulator.consent(unlisted, account=f"seller-{n}").code
        emulator.http.post("/api.amazon.com/auth/o2/token", data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": unlisted.redirect_uri, "client_id": unlisted.client_id,
            "client_secret": unlisted.client_secret}).raise_for_status()
    refused = emulator.http.post(emulator.consent_path(unlisted), data={"decision": "approve"},
                                 headers={"X-Emulator-Account": "seller-25"})
    assert refused.status_code == 400 and "OAuth limit reached" in refused.text
    assert explain(refused.text) == LIMIT
    assert emulator.consent(unlisted, account="seller-3").code  # an authorized seller again
    assert emulator.consent(listed, account="seller-25").code  # listed: no limit
    # Vendors' authorizations are not limited: a 26th account consents at Vendor Central.
    assert emulator.consent(unlisted, "https://vendorcentral.amazon.com",
                            account="seller-26").code
