"""Issue 22, attack 2's second half: values are checked by shape before they leave spprov.

A state file is repository text. Even one that decrypts (here re-encrypted by a key holder
with the real token, the strongest case) cannot make `export --format env` print a value
with a newline, nor make `status --refresh` or `token` send an access token anywhere but
an SP-API endpoint of the regions table. Real sops, the emulator, and a loopback listener
that records every connection.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.fixtures_gitops import US, GitOps, authorized_repository
from tests.fixtures_state import REAL_SOPS
from tests.state.test_trust_attacks import forge

authorized = authorized_repository([{"name": "acme-us", **US}])
FILE = "state/credentials/acme-us.sops.yaml"


def _decrypted(gitops: GitOps) -> dict[str, object]:
    env = {"PATH": os.environ["PATH"], "HOME": str(gitops.repo),
           "SOPS_AGE_KEY_FILE": gitops.env["SOPS_AGE_KEY_FILE"]}
    done = subprocess.run([str(REAL_SOPS), "--config", os.devnull, "decrypt", FILE],
                          cwd=gitops.repo, env=env, capture_output=True, check=True)
    document = yaml.safe_load(done.stdout)
    assert isinstance(document, dict)
    return document


def _recipient(gitops: GitOps) -> str:
    text = (gitops.repo / ".sops.yaml").read_text()
    return text.split(">-\n")[1].strip()


def _rewrite(gitops: GitOps, **fields: object) -> None:
    document = {**_decrypted(gitops), **fields}
    forge(gitops.repo, FILE, document, _recipient(gitops))


INJECTED = "A1B2C3\nPYTHONWARNINGS=ignore::0:sh\nBROWSER=sh -c 'env >/tmp/x'"


def test_export_env_never_prints_a_value_with_a_newline(authorized: GitOps) -> None:
    _rewrite(authorized, selling_partner_id=INJECTED)
    for fmt in ("env", "json", "python-amazon-sp-api"):
        result = authorized.run("export", "acme-us", "--format", fmt)
        assert (result.code, result.stdout) == (1, ""), result.output
        assert result.stderr == (
            "spprov: acme-us: selling_partner_id 'A1B2C3\\nPYTHONWARNING'... is not a selling "
            "partner ID (2 to 40 upper-case letters and digits); refused before it left "
            "spprov (restore the state file from Git, or authorize again)\n")


def test_no_access_token_is_sent_to_an_endpoint_outside_the_regions_table(
        authorized: GitOps, key_server: tuple[int, list[bytes]]) -> None:
    port, seen = key_server
    attacker = f"http://127.0.0.1:{port}"
    _rewrite(authorized, sp_api_endpoint=attacker)
    status = authorized.run("status", "--refresh")
    assert "internal error" not in status.output
    token = authorized.run("token", "acme-us")
    assert (token.code, token.stdout) == (1, "")
    assert token.stderr == (
        f"spprov: acme-us: sp_api_endpoint '{attacker}' is not the SP-API endpoint of region "
        "na; refused before it left spprov (restore the state file from Git, or authorize "
        "again)\n")
    assert seen == []


@pytest.mark.parametrize("endpoint", ["https://sellingpartnerapi-na.amazon.com.evil.example",
                                      "http://127.0.0.1:9"])
def test_the_sp_api_client_refuses_any_other_endpoint(endpoint: str) -> None:
    from spprov.amazon.lwa import SELLERS_PATH, sp_api_url  # noqa: PLC0415
    from spprov.errors import SpprovError  # noqa: PLC0415

    assert sp_api_url("https://sellingpartnerapi-eu.amazon.com/", SELLERS_PATH) == \
        "https://sellingpartnerapi-eu.amazon.com" + SELLERS_PATH
    with pytest.raises(SpprovError) as caught:
        sp_api_url(endpoint, SELLERS_PATH)
    assert str(caught.value).endswith("is not an SP-API endpoint (one of https://"
                                      "sellingpartnerapi-{na,eu,fe}.amazon.com or its "
                                      "sandbox.); no request was sent")


def test_the_listener_fixture_is_real(key_server: tuple[int, list[bytes]], tmp_path: Path) -> None:
    import socket  # noqa: PLC0415

    port, seen = key_server
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\n\r\n")
        conn.recv(100)
    assert seen and seen[0].startswith(b"GET /")
