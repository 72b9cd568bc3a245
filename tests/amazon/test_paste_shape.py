"""Issue 12, lower item: the fields of a pasted redirect are checked for shape.

A person pasting the redirect can type anything; spprov takes the selling partner ID and
the code only when they look like Amazon's, and says so in one line otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from spprov.amazon.consent import parse_callback_query
from spprov.errors import AuthorizationError
from tests.fixtures_gitops import US, GitOps
from tests.pty_run import paste_consent

STATE = "s" * 43


@pytest.mark.parametrize(("partner", "code", "message"), [
    ("a3fhexampleyws", "ANcode", "the redirect's selling_partner_id 'a3fhexampleyws' is not an "
     "Amazon selling partner ID (upper-case letters and digits, at most 40); start the "
     "authorization again and paste the address unchanged"),
    ("A1\x1b[2J\r::warning::x", "ANcode", "the redirect's selling_partner_id "
     "'A1\\x1b[2J\\r::warning::x' is not an Amazon selling partner ID (upper-case letters and "
     "digits, at most 40); start the authorization again and paste the address unchanged"),
    ("A" * 41, "ANcode", "the redirect's selling_partner_id 'AAAAAAAAAAAAAAAAAAAA'... is not "
     "an Amazon selling partner ID (upper-case letters and digits, at most 40); start the "
     "authorization again and paste the address unchanged"),
    ("A3FHEXAMPLEYWS", "AN code", "the redirect's spapi_oauth_code is not an Amazon "
     "authorization code (printable characters without spaces, at most 512); start the "
     "authorization again and paste the address unchanged"),
    ("A3FHEXAMPLEYWS", "A" * 513, "the redirect's spapi_oauth_code is not an Amazon "
     "authorization code (printable characters without spaces, at most 512); start the "
     "authorization again and paste the address unchanged"),
])
def test_misshapen_fields_are_refused(partner: str, code: str, message: str) -> None:
    from urllib.parse import urlencode
    query = urlencode({"state": STATE, "selling_partner_id": partner, "spapi_oauth_code": code})
    with pytest.raises(AuthorizationError) as caught:
        parse_callback_query(query, STATE)
    assert str(caught.value) == message


def test_well_shaped_fields_are_taken() -> None:
    callback = parse_callback_query(
        f"state={STATE}&selling_partner_id=A3FHEXAMPLEYWS&spapi_oauth_code=ANabc-DEF_123", STATE)
    assert callback.selling_partner_id == "A3FHEXAMPLEYWS"


def test_a_pasted_url_with_a_typed_partner_id_is_refused_before_any_exchange(
        gitops: GitOps, home: Path, tmp_path: Path) -> None:
    app = gitops.emulator.register_app(redirect_uris=("https://auth.example.com/cb",))
    gitops.app = app
    gitops.declare([{"name": "acme", **US}])
    landed = tmp_path / "landed.txt"

    def typed(address: str) -> str:
        gitops.emulator.reset_stats()
        return re.sub(r"selling_partner_id=[^&]*", "selling_partner_id=my-own-seller", address)

    code, _, stderr = paste_consent(gitops, home, landed, typed)
    assert code == 1
    assert stderr.splitlines()[-1].endswith(
        ": spprov: the redirect's selling_partner_id 'my-own-seller' is not an Amazon "
        "selling partner ID (upper-case letters and digits, at most 40); start the "
        "authorization again and paste the address unchanged")
    assert gitops.emulator.stats().get("total", 0) == 0
    assert not gitops.state_file("acme").exists()
