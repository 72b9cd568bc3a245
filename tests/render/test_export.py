"""`spprov export`: env, JSON and python-amazon-sp-api, read back by that library itself."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from sp_api.auth.access_token_client import AccessTokenClient
from sp_api.auth.access_token_client import cache as sp_api_token_cache
from sp_api.base.credential_provider import CredentialProvider

from tests.fixtures_gitops import EU, US, GitOps, authorized_repository
from tests.pty_run import run_with_pty_stdout

# One authorized credential in each region: acme-us (na) and acme-eu (eu).
authorized = authorized_repository([{"name": "acme-us", "description": "Acme US", **US},
                                    {"name": "acme-eu", **EU}])


def refresh_token_of(gitops: GitOps, region: str) -> str:
    """The refresh token the emulator granted in ``region`` (one per region here)."""
    tokens = [t for t in gitops.emulator.refresh_tokens(gitops.app.client_id)
              if t["region"] == region]
    assert len(tokens) == 1, tokens
    return str(tokens[0]["refresh_token"])


def test_env_lines_are_shell_safe_with_the_common_names(authorized: GitOps) -> None:
    result = authorized.run("export", "acme-us", "--format", "env")
    assert result.code == 0, result.output
    assert result.stderr == ""
    partner = authorized.readable("acme-us")["selling_partner_id"]
    assert result.stdout == (
        f"SP_API_REFRESH_TOKEN={shlex.quote(refresh_token_of(authorized, 'na'))}\n"
        f"LWA_APP_ID={authorized.app.client_id}\n"
        f"LWA_CLIENT_SECRET={shlex.quote(authorized.app.client_secret)}\n"
        "SP_API_ENDPOINT=https://sellingpartnerapi-na.amazon.com\n"
        "SP_API_REGION=na\n"
        "SP_API_ENVIRONMENT=production\n"
        "AWS_ENV=PRODUCTION\n"
        f"SP_API_SELLING_PARTNER_ID={partner}\n"
        "SP_API_DEFAULT_MARKETPLACE=US\n")


def test_env_leaves_out_an_ambiguous_default_marketplace(authorized: GitOps) -> None:
    # sellercentral-europe.amazon.com serves five marketplaces: none is "the" default.
    result = authorized.run("export", "acme-eu", "--format", "env")
    assert result.code == 0, result.output
    assert "SP_API_REGION=eu\n" in result.stdout
    assert "SP_API_DEFAULT_MARKETPLACE" not in result.stdout


def test_env_lines_survive_the_shell(authorized: GitOps, tmp_path: Path) -> None:
    exported = authorized.run("export", "acme-us", "--format", "env").stdout
    values = dict(line.split("=", 1) for line in shlex.split(exported))
    assert values["SP_API_REFRESH_TOKEN"] == refresh_token_of(authorized, "na")
    assert values["LWA_CLIENT_SECRET"] == authorized.app.client_secret


def test_json_has_every_field_a_client_needs(authorized: GitOps) -> None:
    result = authorized.run("export", "acme-us", "--format", "json")
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert document == {
        "format_version": 1, "name": "acme-us", "app": "acme", "region": "na",
        "environment": "production", "kind": "seller",
        "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com",
        "consent_url": "https://sellercentral.amazon.com",
        "marketplace_ids": ["ATVPDKIKX0DER"],
        "selling_partner_id": authorized.readable("acme-us")["selling_partner_id"],
        "lwa_token_url": "https://api.amazon.com/auth/o2/token",
        "client_id": authorized.app.client_id,
        "client_secret": authorized.app.client_secret,
        "refresh_token": refresh_token_of(authorized, "na"),
    }


def test_python_amazon_sp_api_block(authorized: GitOps) -> None:
    result = authorized.run("export", "acme-us", "--format", "python-amazon-sp-api")
    assert result.code == 0, result.output
    assert yaml.safe_load(result.stdout) == {"acme-us": {
        "refresh_token": refresh_token_of(authorized, "na"),
        "lwa_app_id": authorized.app.client_id,
        "lwa_client_secret": authorized.app.client_secret,
    }}


class EmulatorTokenClient(AccessTokenClient):
    """python-amazon-sp-api's own token client, pointed at the emulator.

    The library builds its URL from the class attributes ``scheme + host + path`` and has
    no setting for another LWA endpoint; a subclass overriding them is the narrowest seam
    (no network but loopback is allowed in tests, and Amazon cannot be reached anyway).
    """

    scheme = "http://"
    host = ""


def token_client_for(gitops: GitOps) -> type[AccessTokenClient]:
    """EmulatorTokenClient bound to this emulator (SPPROV_AMAZON_URL's routing rule)."""
    base = gitops.emulator.url.removeprefix("http://")
    return type("BoundTokenClient", (EmulatorTokenClient,), {"host": f"{base}/api.amazon.com"})


def access_token_via_library(gitops: GitOps, account: str) -> Any:
    """Let python-amazon-sp-api load the credentials and mint an access token."""
    sp_api_token_cache.clear()  # the library caches tokens per refresh token, process-wide
    credentials = CredentialProvider(account=account).credentials
    client = token_client_for(gitops)(credentials=credentials)
    return client.get_auth().access_token


def test_python_amazon_sp_api_reads_its_credentials_file(
        authorized: GitOps, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    block = authorized.run("export", "acme-us", "--format", "python-amazon-sp-api").stdout
    other = authorized.run("export", "acme-eu", "--format", "python-amazon-sp-api").stdout
    # The library's loader (confuse) reads ~/.config/python-sp-api/ on Linux; HOME is the
    # test's temporary home (the age_env fixture sets it for this process too).
    assert Path.home() == home
    folder = home / ".config" / "python-sp-api"
    folder.mkdir(parents=True)
    # Blocks append: one file can hold several accounts.
    (folder / "credentials.yml").write_text("version: '1.0'\n" + block + other)
    for name in ("SP_API_REFRESH_TOKEN", "LWA_APP_ID", "LWA_CLIENT_SECRET", "PYTHON-SP-APIDIR"):
        monkeypatch.delenv(name, raising=False)
    authorized.emulator.reset_stats()
    token = access_token_via_library(authorized, "acme-eu")
    assert token.startswith("Atza|")
    assert authorized.emulator.stats()["total"] == 1


def test_python_amazon_sp_api_reads_the_env_export(
        authorized: GitOps, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported = authorized.run("export", "acme-us", "--format", "env").stdout
    assert not (home / ".config" / "python-sp-api" / "credentials.yml").exists()
    for key, value in (line.split("=", 1) for line in shlex.split(exported)):
        monkeypatch.setenv(key, value)
    authorized.emulator.reset_stats()
    token = access_token_via_library(authorized, "default")
    assert token.startswith("Atza|")
    assert authorized.emulator.stats()["total"] == 1


def test_export_refuses_a_terminal_without_reveal(authorized: GitOps) -> None:
    refused = run_with_pty_stdout(authorized, "export", "acme-us", "--format", "json")
    assert refused.code == 1
    assert refused.terminal == ""
    assert refused.stderr == ("spprov: export writes secrets; redirect it to a file or a pipe, "
                              "or add --reveal to show them on this terminal\n")
    shown = run_with_pty_stdout(authorized, "export", "acme-us", "--format", "json", "--reveal")
    assert shown.code == 0, shown.stderr
    assert json.loads(shown.terminal)["client_secret"] == authorized.app.client_secret


def test_export_without_state_file(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    result = gitops.run("export", "acme-us", "--format", "env")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == ("spprov: acme-us: no state file; run `spprov apply` or "
                             "`spprov authorize acme-us` first\n")


def test_export_needs_a_format(gitops: GitOps) -> None:
    result = gitops.run("export", "acme-us")
    assert result.code == 1
    assert "Missing option '--format'" in result.stderr
