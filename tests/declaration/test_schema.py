"""The published JSON Schema: current, valid, and strict on its own in any stock validator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from spprov import regions
from spprov.declaration.schema import packaged_schema, schema_json

SCHEMA_FILE = Path(__file__).parents[2] / "schemas" / "credentials.schema.json"
PACKAGED_FILE = Path(__file__).parents[2] / "spprov" / "data" / "credentials.schema.json"
APP = {
    "application_id": "amzn1.sp.solution.00000000-0000-0000-0000-000000000000",
    "client_id": "amzn1.application-oa2-client.0123456789abcdef",
    "redirect_uri": "https://auth.example.com/spapi/callback",
}
CREDENTIAL = {
    "name": "acme-us",
    "seller_central_url": "https://sellercentral.amazon.com",
    "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com",
}


@pytest.fixture(scope="module")
def stock() -> Any:
    """A plain validator reading the committed file, as an editor would."""
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def document(app: dict[str, Any] | None = None, credential: dict[str, Any] | None = None,
             **top: Any) -> dict[str, Any]:
    return {"version": 1, "apps": {"acme": app or APP},
            "credentials": [credential or CREDENTIAL], **top}


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema_json(), "stale schema: run `make schema`"
    # The copy the wheel carries (`spprov schema`, `spprov init`) is the same text.
    assert PACKAGED_FILE.read_text() == schema_json(), "stale schema: run `make schema`"
    assert packaged_schema() == schema_json()


def test_module_prints_the_schema() -> None:
    printed = subprocess.run([sys.executable, "-m", "spprov.declaration.schema"],
                             capture_output=True, text=True, check=True).stdout
    assert printed == SCHEMA_FILE.read_text()


def test_schema_is_valid_2020_12_with_id_and_descriptions() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] and schema["title"] and schema["description"]
    credential = schema["properties"]["credentials"]["items"]
    app = schema["properties"]["apps"]["additionalProperties"]
    for properties in (credential["properties"], app["properties"]):
        # `true` marks the three fields whose rules (and descriptions) are in the pairing.
        assert all(rule is True or "description" in rule for rule in properties.values())
    for branch in credential["anyOf"]:
        assert all(rule is False or "description" in rule
                   for rule in branch["properties"].values())


@pytest.mark.parametrize(("key", "table"), [("seller_central_url", regions.SELLER_CENTRAL_URLS),
                                            ("vendor_central_url", regions.VENDOR_CENTRAL_URLS)])
def test_stock_validator_pairs_every_consent_url_with_its_region(stock: Any, key: str,
                                                                 table: dict[str, Any]) -> None:
    for url, region in table.items():
        for endpoint in regions.ENDPOINTS:
            credential = {"name": "c", key: url, "sp_api_endpoint": endpoint.url}
            assert stock.is_valid(document(credential=credential)) == (
                endpoint.region is region), (url, endpoint.url)


@pytest.mark.parametrize("credential", [
    {**CREDENTIAL, "vendor_central_url": "https://vendorcentral.amazon.com"},
    {"name": "c", "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com"},
    {**CREDENTIAL, "seller_central_url": "https://sellercentral.amazon.com/"},
    {**CREDENTIAL, "seller_central_url": "http://sellercentral.amazon.com"},
    {**CREDENTIAL, "sp_api_endpoint": "https://api.amazon.com/auth/o2/token"},
    {**CREDENTIAL, "name": "../etc"},
    {**CREDENTIAL, "name": "a/b"},
    {**CREDENTIAL, "name": "Acme"},
    {**CREDENTIAL, "name": "a" * 64},
    {**CREDENTIAL, "name": "-acme"},
    {**CREDENTIAL, "seller_centrl_url": "https://sellercentral.amazon.com"},
    {**CREDENTIAL, "refresh_token": "Atzr|x"},
    {**CREDENTIAL, "description": "my token is Atzr|IwEB"},
    {**CREDENTIAL, "selling_partner_id": "Atza|access"},
    {**CREDENTIAL, "authorization_version": 0},
])
def test_stock_validator_rejects_bad_credentials(stock: Any, credential: dict[str, Any]) -> None:
    assert not stock.is_valid(document(credential=credential))


@pytest.mark.parametrize("app", [
    {**APP, "client_secret": "x"},
    {**APP, "client_id": "amzn1.oa2-cs.v1.abc"},
    {**APP, "redirect_uri": "http://auth.example.com/cb"},
    {**APP, "redirect_uri": "http://127.0.0.2/cb"},
    {**APP, "redirect_uri": "ftp://auth.example.com/cb"},
    {**APP, "draft": "yes"},
    {**APP, "authorization_lifetime_days": -1},
    {**APP, "renewal_window_days": None},
    {key: value for key, value in APP.items() if key != "client_id"},
])
def test_stock_validator_rejects_bad_apps(stock: Any, app: dict[str, Any]) -> None:
    assert not stock.is_valid(document(app=app))


@pytest.mark.parametrize("redirect_uri", [
    "https://auth.example.com/spapi/callback", "https://auth.example.com",
    "http://127.0.0.1:53682/callback", "http://localhost/cb", "http://[::1]:8080/cb",
])
def test_stock_validator_accepts_redirect_uris(stock: Any, redirect_uri: str) -> None:
    assert stock.is_valid(document(app={**APP, "redirect_uri": redirect_uri}))


def test_optional_fields_and_x_keys(stock: Any) -> None:
    app = {**APP, "draft": True, "authorization_lifetime_days": None, "renewal_window_days": 0}
    credential = {**CREDENTIAL, "app": "acme", "description": "d", "authorization_version": 3,
                  "selling_partner_id": "A3FHEXAMPLEYWS"}
    assert stock.is_valid(document(app, credential, **{"x-defaults": {"a": [1, "b"]}}))


@pytest.mark.parametrize("top", [
    {"version": 2}, {"extra": 1}, {"client_secret": "x"},
    {"x-notes": {"deep": ["amzn1.oa2-cs.v1.abc"]}}, {"x-defaults": {"refresh_token": "x"}},
])
def test_stock_validator_rejects_bad_top_level(stock: Any, top: dict[str, Any]) -> None:
    assert not stock.is_valid(document(**top))


def test_file_needs_version_and_apps_or_credentials(stock: Any) -> None:
    assert not stock.is_valid({"version": 1})
    assert not stock.is_valid({"apps": {"acme": APP}})
    assert stock.is_valid({"version": 1, "apps": {"acme": APP}})
    assert stock.is_valid({"version": 1, "credentials": [CREDENTIAL]})
