"""Amazon's own Python SDK (amzn-sp-api) calls SP-API with `spprov export --format json`.

The SDK takes its LWA URL and SP-API endpoint as arguments (``SPAPIClient(config,
oauth_endpoint=..., endpoint=...)``), so it reaches the emulator without any patching: the
exported ``lwa_token_url`` and ``sp_api_endpoint`` go through spprov's own routing rule
(``SPPROV_AMAZON_URL``), as spprov's requests do.
"""

from __future__ import annotations

import json

import pytest
from spapi import SellersApi
from spapi.auth.credentials import SPAPIConfig
from spapi.client import SPAPIClient
from spapi.rest import ApiException

from spprov.amazon.routing import route
from tests.fixtures_gitops import EU, US, GitOps


@pytest.fixture
def exported(gitops: GitOps) -> dict[str, object]:
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    assert gitops.run("apply", "--yes").code == 0
    result = gitops.run("export", "acme-eu", "--format", "json")
    assert result.code == 0, result.output
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


def test_the_sdk_gets_a_token_and_calls_the_sellers_api(gitops: GitOps,
                                                        exported: dict[str, object]) -> None:
    gitops.emulator.reset_stats()
    config = SPAPIConfig(client_id=exported["client_id"],
                         client_secret=exported["client_secret"],
                         refresh_token=exported["refresh_token"], region="EU")
    client = SPAPIClient(config,
                         oauth_endpoint=route(str(exported["lwa_token_url"]), gitops.emulator.url),
                         endpoint=route(str(exported["sp_api_endpoint"]), gitops.emulator.url))
    response = SellersApi(client.api_client).get_marketplace_participations()

    ids = {p.marketplace.id for p in response.payload}
    # Every marketplace of the region; the consent URL's ones (exported) among them.
    assert set(exported["marketplace_ids"]) <= ids  # type: ignore[arg-type]
    assert "A1PA6795UKMFR9" in ids and "ATVPDKIKX0DER" not in ids  # Germany, not the US
    assert {p.store_name for p in response.payload} == {"Emulated Store"}
    stats = gitops.emulator.stats()
    assert (stats["token"], stats["sellers"]) == (1, 1)  # one token, one call


def test_the_sdk_is_refused_in_another_region(gitops: GitOps,
                                              exported: dict[str, object]) -> None:
    # The SDK's own error for a token of the wrong region: the emulator's 403, unchanged.
    config = SPAPIConfig(client_id=exported["client_id"],
                         client_secret=exported["client_secret"],
                         refresh_token=exported["refresh_token"], region="NA")
    client = SPAPIClient(config, oauth_endpoint=route(str(exported["lwa_token_url"]),
                                                      gitops.emulator.url),
                         endpoint=route("https://sellingpartnerapi-na.amazon.com",
                                        gitops.emulator.url))
    with pytest.raises(ApiException) as raised:
        SellersApi(client.api_client).get_marketplace_participations()
    assert raised.value.status == 403
    assert json.loads(raised.value.body)["errors"][0]["code"] == "Unauthorized"
