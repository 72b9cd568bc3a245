"""Suggestions that stay in the right region: a country's domain -> its region's portal.

Everything here is derived from the one table in spprov.regions: a mistyped
``sellercentral.amazon.de`` is Germany, and Germany's sellers consent at
``https://sellercentral-europe.amazon.com``, whatever URL merely looks similar.
"""

from __future__ import annotations

from spprov import regions
from spprov.regions import AccountKind, Environment, Marketplace, Region

_PORTAL = {AccountKind.SELLER: "Seller Central", AccountKind.VENDOR: "Vendor Central"}


def portal_url(marketplace: Marketplace, kind: AccountKind) -> str:
    """Where a marketplace's partners of one kind consent (the first URL when two are known)."""
    if kind is AccountKind.SELLER:
        return marketplace.seller_central_url
    return marketplace.vendor_central_urls[0]


def written_kind(value: str) -> AccountKind | None:
    """Which portal a URL's host names, if it names one ('sellercentral...', 'vendorcentral...')."""
    host = value.split("://", 1)[-1].lower().removeprefix("www.")
    if host.startswith("seller"):
        return AccountKind.SELLER
    if host.startswith("vendor"):
        return AccountKind.VENDOR
    return None


def country_suggestion(value: str, kind: AccountKind) -> str | None:
    """'URL' (PORTAL for COUNTRY, region R) for a country domain of the right kind, else None."""
    marketplace = regions.marketplace_for_host(value)
    if marketplace is None:
        return None
    return f"{portal_url(marketplace, kind)!r} ({_PORTAL[kind]} for {marketplace.country}, " \
           f"region {marketplace.region})"


def wrong_kind_suggestion(value: str, key_kind: AccountKind) -> tuple[AccountKind, str] | None:
    """A country URL of the other portal: the kind it names and its region-aware URL."""
    named = written_kind(value)
    if named is None or named is key_kind:
        return None
    suggestion = country_suggestion(value, named)
    return (named, suggestion) if suggestion is not None else None


def environment_of(value: str) -> Environment:
    """A mistyped endpoint meant the sandbox when it says so."""
    return Environment.SANDBOX if "sandbox" in value.lower() else Environment.PRODUCTION


def endpoint_for_region(value: str, region: Region) -> str:
    """The endpoint of the consent URL's region, in the environment the value meant."""
    return regions.endpoint_for(region, environment_of(value)).url
