"""The regions table: one row per marketplace, every URL in exactly one region."""

from __future__ import annotations

from spprov import regions
from spprov.regions import AccountKind, Environment, Region


def test_six_endpoints_two_per_region() -> None:
    assert {(e.region, e.environment) for e in regions.ENDPOINTS} == {
        (r, env) for r in Region for env in Environment}
    assert regions.endpoint("https://sandbox.sellingpartnerapi-eu.amazon.com") == \
        regions.Endpoint("https://sandbox.sellingpartnerapi-eu.amazon.com", Region.EU,
                         Environment.SANDBOX)
    assert regions.endpoint("https://sellingpartnerapi-eu.amazon.com/") is None


def test_every_marketplace_row() -> None:
    assert len(regions.MARKETPLACES) == 23
    assert len({m.marketplace_id for m in regions.MARKETPLACES}) == 23
    for marketplace in regions.MARKETPLACES:
        assert regions.consent_region(marketplace.seller_central_url) is marketplace.region
        assert regions.consent_kind(marketplace.seller_central_url) is AccountKind.SELLER
        for url in marketplace.vendor_central_urls:
            assert regions.consent_region(url) is marketplace.region
            assert regions.consent_kind(url) is AccountKind.VENDOR
        assert marketplace in regions.marketplaces_in_region(marketplace.region)


def test_urls_are_canonical() -> None:
    for url in [*regions.SELLER_CENTRAL_URLS, *regions.VENDOR_CENTRAL_URLS]:
        assert url.startswith("https://") and url == url.lower() and url.count("/") == 2


def test_shared_consent_urls_and_known_quirks() -> None:
    europe = regions.marketplaces_for_consent_url("https://sellercentral-europe.amazon.com")
    assert {m.code for m in europe} == {"ES", "UK", "FR", "DE", "IT"}
    middle_east = regions.marketplaces_for_consent_url("https://vendorcentral.amazon.me")
    assert {m.code for m in middle_east} == {"EG", "SA", "AE"}
    assert regions.consent_region("https://www.vendorcentral.in") is Region.EU
    assert regions.consent_region("https://vendorcentral.amazon.in") is Region.EU
    assert regions.consent_region("https://sellercentral.amazon.com.br") is Region.NA
    assert regions.consent_region("https://sellercentral.amazon.com.mx") is Region.NA
    assert {m.code for m in regions.MARKETPLACES if not m.confirmed} == {"IE", "ZA"}
    assert regions.consent_region("https://sellercentral.amazon.com/") is None


def test_country_domains_are_read_off_the_table() -> None:
    def code(host: str) -> str | None:
        found = regions.marketplace_for_host(host)
        return found.code if found else None
    assert code("sellercentral.amazon.de") == "DE"
    assert code("https://sellercentral.amazon.co.uk/home") == "UK"
    assert code("sellercentral.amazon.uk") == "UK"  # a marketplace code as the last label
    assert code("sellercentral.amazon.com") == "US"
    assert code("sellercentral.amazon.jp") == "JP"
    assert code("vendorcentral.amazon.me") is None  # shared by EG, SA, AE: no country
    assert code("sellercentral-europe.amazon.de") is None  # a region's host, not a country
    assert code("sellercentral.amazon.xyz") is None
    assert code("example.com") is None
    assert regions.endpoint_for(Region.FE, Environment.SANDBOX).url == \
        "https://sandbox.sellingpartnerapi-fe.amazon.com"
