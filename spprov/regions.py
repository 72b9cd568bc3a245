"""Amazon's marketplaces, consent URLs and SP-API endpoints: the one source of truth.

The JSON Schema in ``schemas/`` is generated from this table (``make schema``), and a
test fails when the committed schema is stale. Facts as of November 2026; rows marked
``confirmed=False`` are seen only in third-party sources.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Region(enum.StrEnum):
    """An SP-API region; one refresh token per (selling partner, region)."""

    NA = "na"
    EU = "eu"
    FE = "fe"


class AccountKind(enum.StrEnum):
    """Which portal the selling partner signs in to."""

    SELLER = "seller"
    VENDOR = "vendor"


class Environment(enum.StrEnum):
    """Production or the static sandbox (same app credentials and tokens)."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


@dataclass(frozen=True)
class Marketplace:
    """One Amazon marketplace and the portals where its partners consent."""

    region: Region
    country: str
    code: str
    marketplace_id: str
    seller_central_url: str
    vendor_central_urls: tuple[str, ...]
    confirmed: bool = True


@dataclass(frozen=True)
class Endpoint:
    """One SP-API endpoint."""

    url: str
    region: Region
    environment: Environment


_NA, _EU, _FE = Region.NA, Region.EU, Region.FE
_SC_EUROPE = "https://sellercentral-europe.amazon.com"
_VC_ME = "https://vendorcentral.amazon.me"

MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace(_NA, "Canada", "CA", "A2EUQ1WTGCTBG2",
                "https://sellercentral.amazon.ca", ("https://vendorcentral.amazon.ca",)),
    Marketplace(_NA, "United States", "US", "ATVPDKIKX0DER",
                "https://sellercentral.amazon.com", ("https://vendorcentral.amazon.com",)),
    Marketplace(_NA, "Mexico", "MX", "A1AM78C64UM0Y8",
                "https://sellercentral.amazon.com.mx", ("https://vendorcentral.amazon.com.mx",)),
    Marketplace(_NA, "Brazil", "BR", "A2Q3Y263D00KWC",
                "https://sellercentral.amazon.com.br", ("https://vendorcentral.amazon.com.br",)),
    Marketplace(_EU, "Ireland", "IE", "A28R8C7NBKEWEA",
                "https://sellercentral.amazon.ie", ("https://vendorcentral.amazon.ie",),
                confirmed=False),
    Marketplace(_EU, "Spain", "ES", "A1RKKUPIHCS9HS",
                _SC_EUROPE, ("https://vendorcentral.amazon.es",)),
    Marketplace(_EU, "United Kingdom", "UK", "A1F83G8C2ARO7P",
                _SC_EUROPE, ("https://vendorcentral.amazon.co.uk",)),
    Marketplace(_EU, "France", "FR", "A13V1IB3VIYZZH",
                _SC_EUROPE, ("https://vendorcentral.amazon.fr",)),
    Marketplace(_EU, "Belgium", "BE", "AMEN7PMS3EDWL",
                "https://sellercentral.amazon.com.be", ("https://vendorcentral.amazon.com.be",)),
    Marketplace(_EU, "Netherlands", "NL", "A1805IZSGTT6HS",
                "https://sellercentral.amazon.nl", ("https://vendorcentral.amazon.nl",)),
    Marketplace(_EU, "Germany", "DE", "A1PA6795UKMFR9",
                _SC_EUROPE, ("https://vendorcentral.amazon.de",)),
    Marketplace(_EU, "Italy", "IT", "APJ6JRA9NG5V4",
                _SC_EUROPE, ("https://vendorcentral.amazon.it",)),
    Marketplace(_EU, "Sweden", "SE", "A2NODRKZP88ZB9",
                "https://sellercentral.amazon.se", ("https://vendorcentral.amazon.se",)),
    Marketplace(_EU, "South Africa", "ZA", "AE08WJ6YKNBMC",
                "https://sellercentral.amazon.co.za", ("https://vendorcentral.amazon.co.za",),
                confirmed=False),
    Marketplace(_EU, "Poland", "PL", "A1C3SOZRARQ6R3",
                "https://sellercentral.amazon.pl", ("https://vendorcentral.amazon.pl",)),
    Marketplace(_EU, "Egypt", "EG", "ARBP9OOSHTCHU",
                "https://sellercentral.amazon.eg", (_VC_ME,)),
    Marketplace(_EU, "Turkey", "TR", "A33AVAJ2PDY3EV",
                "https://sellercentral.amazon.com.tr", ("https://vendorcentral.amazon.com.tr",)),
    Marketplace(_EU, "Saudi Arabia", "SA", "A17E79C6D8DWNP",
                "https://sellercentral.amazon.sa", (_VC_ME,)),
    Marketplace(_EU, "United Arab Emirates", "AE", "A2VIGQ35RCS4UG",
                "https://sellercentral.amazon.ae", (_VC_ME,)),
    # Sources disagree on India's Vendor Central host: accept both.
    Marketplace(_EU, "India", "IN", "A21TJRUUN4KGV",
                "https://sellercentral.amazon.in",
                ("https://www.vendorcentral.in", "https://vendorcentral.amazon.in")),
    Marketplace(_FE, "Singapore", "SG", "A19VAU5U5O7RUS",
                "https://sellercentral.amazon.sg", ("https://vendorcentral.amazon.com.sg",)),
    Marketplace(_FE, "Australia", "AU", "A39IBJ37TRP1C6",
                "https://sellercentral.amazon.com.au", ("https://vendorcentral.amazon.com.au",)),
    Marketplace(_FE, "Japan", "JP", "A1VC38T7YXB528",
                "https://sellercentral.amazon.co.jp", ("https://vendorcentral.amazon.co.jp",)),
)

ENDPOINTS: tuple[Endpoint, ...] = tuple(
    Endpoint(f"https://{prefix}sellingpartnerapi-{region.value}.amazon.com", region, env)
    for region in Region
    for prefix, env in (("", Environment.PRODUCTION), ("sandbox.", Environment.SANDBOX))
)

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"  # noqa: S105 - a URL
CONSENT_PATH = "/apps/authorize/consent"


def _consent_urls(kind: AccountKind) -> dict[str, Region]:
    urls: dict[str, Region] = {}
    for marketplace in MARKETPLACES:
        if kind is AccountKind.SELLER:
            urls[marketplace.seller_central_url] = marketplace.region
        else:
            for url in marketplace.vendor_central_urls:
                urls[url] = marketplace.region
    return urls


SELLER_CENTRAL_URLS: dict[str, Region] = _consent_urls(AccountKind.SELLER)
VENDOR_CENTRAL_URLS: dict[str, Region] = _consent_urls(AccountKind.VENDOR)
ENDPOINTS_BY_URL: dict[str, Endpoint] = {endpoint.url: endpoint for endpoint in ENDPOINTS}


def consent_urls(kind: AccountKind) -> dict[str, Region]:
    """Every consent URL of one kind, with its region."""
    return SELLER_CENTRAL_URLS if kind is AccountKind.SELLER else VENDOR_CENTRAL_URLS


def consent_region(url: str) -> Region | None:
    """The region of a Seller or Vendor Central URL, or None when it is not in the table."""
    return SELLER_CENTRAL_URLS.get(url) or VENDOR_CENTRAL_URLS.get(url)


def consent_kind(url: str) -> AccountKind | None:
    """Whether a consent URL is Seller Central or Vendor Central."""
    if url in SELLER_CENTRAL_URLS:
        return AccountKind.SELLER
    if url in VENDOR_CENTRAL_URLS:
        return AccountKind.VENDOR
    return None


def endpoint(url: str) -> Endpoint | None:
    """The SP-API endpoint with this exact URL, or None."""
    return ENDPOINTS_BY_URL.get(url)


def endpoint_of(url: str) -> Endpoint | None:
    """``endpoint``, a trailing slash allowed."""
    return ENDPOINTS_BY_URL.get(url.rstrip("/")) if isinstance(url, str) else None


def marketplaces_for_consent_url(url: str) -> tuple[Marketplace, ...]:
    """The marketplaces whose partners consent at this URL (one URL may serve several)."""
    return tuple(
        m for m in MARKETPLACES if url == m.seller_central_url or url in m.vendor_central_urls
    )


def marketplaces_in_region(region: Region) -> tuple[Marketplace, ...]:
    """Every marketplace of one region."""
    return tuple(m for m in MARKETPLACES if m.region is region)


def _domain_suffix(url_or_host: str) -> str | None:
    """The part after 'amazon.' of an Amazon host: 'de', 'co.uk', 'com'; None otherwise."""
    host = url_or_host.split("://", 1)[-1].split("/", 1)[0].lower()
    labels = host.split(".")
    if labels[0].endswith("-europe"):
        return None  # sellercentral-europe.amazon.com: a region, not a country
    for index, label in enumerate(labels[:-1]):
        if label == "amazon":
            return ".".join(labels[index + 1:])
    return None


def _marketplaces_by_suffix() -> dict[str, Marketplace]:
    """Each country's own domain suffix, read off the table's country-specific URLs.

    A URL shared by several marketplaces (sellercentral-europe.amazon.com,
    vendorcentral.amazon.me) says nothing about one country and is skipped.
    """
    shared = {url for url in (*SELLER_CENTRAL_URLS, *VENDOR_CENTRAL_URLS)
              if len(marketplaces_for_consent_url(url)) > 1}
    found: dict[str, Marketplace] = {}
    for marketplace in MARKETPLACES:
        for url in (marketplace.seller_central_url, *marketplace.vendor_central_urls):
            suffix = _domain_suffix(url)
            if url not in shared and suffix is not None:
                found.setdefault(suffix, marketplace)
    return found


def marketplace_for_host(url_or_host: str) -> Marketplace | None:
    """The marketplace a country domain such as sellercentral.amazon.de stands for.

    The suffix after 'amazon.' is looked up among the table's own URLs ('co.uk' is the
    United Kingdom's because vendorcentral.amazon.co.uk is); failing that, a last label
    equal to a marketplace code ('uk', 'sg') is taken as that country.
    """
    suffix = _domain_suffix(url_or_host)
    if suffix is None:
        return None
    known = _MARKETPLACES_BY_SUFFIX.get(suffix)
    if known is not None:
        return known
    code = suffix.rsplit(".", 1)[-1].upper()
    return next((m for m in MARKETPLACES if m.code == code), None)


def endpoint_for(region: Region, environment: Environment) -> Endpoint:
    """The one SP-API endpoint of a region and environment."""
    return next(e for e in ENDPOINTS if e.region is region and e.environment is environment)


_MARKETPLACES_BY_SUFFIX: dict[str, Marketplace] = _marketplaces_by_suffix()
