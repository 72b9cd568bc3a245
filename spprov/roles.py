"""The SP-API roles an app may declare (``apps.NAME.roles``), as Amazon names them.

From Amazon's "Selling Partner API Roles" page (developer-docs.amazon.com/sp-api/docs/
roles-in-the-selling-partner-api, the role definitions, checked December 2026). The names
are written exactly as on that page and in the Developer Console; a role Amazon adds later
is one more line here. Adding a role to an app means every seller must authorize again
(Amazon's "Renew Authorizations"); removing one does not.
"""

from __future__ import annotations

import difflib

ROLES: tuple[str, ...] = (
    "Account Information Service Provider",
    "Amazon Fulfillment",
    "Amazon Logistics",
    "Amazon Warehousing and Distribution",
    "Brand Analytics",
    "Buyer Communication",
    "Buyer Solicitation",
    "Direct-to-Consumer Shipping (Restricted)",
    "Finance and Accounting",
    "Inventory and Order Tracking",
    "Pricing",
    "Product Listing",
    "Selling Partner Insights",
    "Tax Invoicing (Restricted)",
    "Tax Remittance (Restricted)",
)
_FOLDED = {"".join(ch for ch in role.lower() if ch.isalnum()): role for role in ROLES}


def suggestion(value: str) -> str | None:
    """The role a near miss most likely means: the same letters (case, spaces, hyphens and
    "(Restricted)" aside), else the closest name."""
    folded = "".join(ch for ch in value.lower() if ch.isalnum())
    for key, role in _FOLDED.items():
        if folded in (key, key.removesuffix("restricted")):
            return role
    close = difflib.get_close_matches(value.lower(), [r.lower() for r in ROLES], n=1,
                                      cutoff=0.6)
    if not close:
        return None
    return next(role for role in ROLES if role.lower() == close[0])
