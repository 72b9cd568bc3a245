"""How each marketplace reads in Amazon's Sellers API answers: name, domain, currency, language.

Amazon's sellers model (``getMarketplaceParticipations`` example: ``"name": "Amazon.com"``,
``"domainName": "www.amazon.com"``, ``"defaultLanguageCode": "en_US"``) and the retail
site of each marketplace: the name is the site's, the domain its ``www`` host, the
language the site's default locale. One marketplace per Seller Central URL is not a rule
(sellercentral-europe.amazon.com serves five), so none of this is derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Storefront:
    """The retail face of one marketplace."""

    domain: str  # e.g. amazon.co.uk
    currency: str
    language: str

    @property
    def name(self) -> str:
        """``Amazon.co.uk``: the name Amazon's answers and Seller Central show."""
        return "Amazon." + self.domain.removeprefix("amazon.")

    @property
    def domain_name(self) -> str:
        """``www.amazon.co.uk``."""
        return "www." + self.domain


STOREFRONTS: dict[str, Storefront] = {
    "CA": Storefront("amazon.ca", "CAD", "en_CA"),
    "US": Storefront("amazon.com", "USD", "en_US"),
    "MX": Storefront("amazon.com.mx", "MXN", "es_MX"),
    "BR": Storefront("amazon.com.br", "BRL", "pt_BR"),
    "IE": Storefront("amazon.ie", "EUR", "en_IE"),
    "ES": Storefront("amazon.es", "EUR", "es_ES"),
    "UK": Storefront("amazon.co.uk", "GBP", "en_GB"),
    "FR": Storefront("amazon.fr", "EUR", "fr_FR"),
    "BE": Storefront("amazon.com.be", "EUR", "fr_BE"),
    "NL": Storefront("amazon.nl", "EUR", "nl_NL"),
    "DE": Storefront("amazon.de", "EUR", "de_DE"),
    "IT": Storefront("amazon.it", "EUR", "it_IT"),
    "SE": Storefront("amazon.se", "SEK", "sv_SE"),
    "ZA": Storefront("amazon.co.za", "ZAR", "en_ZA"),
    "PL": Storefront("amazon.pl", "PLN", "pl_PL"),
    "EG": Storefront("amazon.eg", "EGP", "ar_EG"),
    "TR": Storefront("amazon.com.tr", "TRY", "tr_TR"),
    "SA": Storefront("amazon.sa", "SAR", "ar_SA"),
    "AE": Storefront("amazon.ae", "AED", "en_AE"),
    "IN": Storefront("amazon.in", "INR", "en_IN"),
    "SG": Storefront("amazon.sg", "SGD", "en_SG"),
    "AU": Storefront("amazon.com.au", "AUD", "en_AU"),
    "JP": Storefront("amazon.co.jp", "JPY", "ja_JP"),
}
