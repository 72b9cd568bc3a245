"""The SP-API calls spprov makes: the sellers check and the client secret rotation."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any
from urllib.parse import urlsplit

from spprov.emulator.messages import Request, Response, json_response, sp_api_error
from spprov.emulator.notifications import (
    ROTATION_PATH,
    is_notifications,
    is_served,
    notifications_api,
    rotate_client_secret,
)
from spprov.emulator.retail import STOREFRONTS
from spprov.emulator.state import AccessGrant, World
from spprov.regions import ENDPOINTS, Marketplace, Region, marketplaces_in_region

SELLERS_PATH = "/sellers/v1/marketplaceParticipations"

ENDPOINT_HOSTS: dict[str, Region] = {urlsplit(e.url).netloc: e.region for e in ENDPOINTS}

_DENIED = "Access to requested resource is denied."


def request_kind(request: Request) -> str:
    """The stats key of an SP-API request."""
    if request.path == SELLERS_PATH:
        return "sellers"
    if request.path == ROTATION_PATH:
        return "rotation"
    if is_notifications(request.path):
        return "notifications"
    return "sp_api_other"


def sp_api(world: World, request: Request) -> Response:
    """Answer one SP-API request on one of the six endpoints.

    Every answer carries ``x-amzn-RequestId``, as Amazon's models list for every response,
    and those the models list it for carry ``x-amzn-RateLimit-Limit``, the operation's rate.
    """
    route = (request.method, request.path)
    if route == ("GET", SELLERS_PATH):
        response = _marketplace_participations(world, request)
    elif route == ("POST", ROTATION_PATH) or is_served(request.method, request.path):
        response = _grantless_call(world, request)
    else:
        response = sp_api_error(404, "NotFound", "Resource not found.")
    headers = [("x-amzn-RequestId", str(uuid.uuid4()))]
    if response.status in RATE_LIMIT_STATUSES:
        headers.append(("x-amzn-RateLimit-Limit", rate_limit(request.path)))
    return dataclasses.replace(response, headers=(*response.headers, *headers))


# The answers Amazon's models list x-amzn-RateLimit-Limit for (every operation served here:
# 200/204, 400 and 404; never 403, 429 or 5xx), and each operation's default rate
# (requests per second, the "Usage Plan" table of the model).
RATE_LIMIT_STATUSES = frozenset({200, 204, 400, 404})
RATES = {SELLERS_PATH: "0.016", ROTATION_PATH: "0.0167"}
NOTIFICATIONS_RATE = "1"


def rate_limit(path: str) -> str:
    """The ``x-amzn-RateLimit-Limit`` value of the operation at ``path``."""
    return RATES.get(path, NOTIFICATIONS_RATE)


def _grantless_call(world: World, request: Request) -> Response:
    grant = _access_grant(world, request)
    if isinstance(grant, Response):
        return grant
    if request.path == ROTATION_PATH:
        return rotate_client_secret(world, request, grant)
    return notifications_api(world, request, grant)


def _access_grant(world: World, request: Request) -> AccessGrant | Response:
    token = request.headers.get("x-amz-access-token", "")
    with world.lock:
        grant = world.access_grants.get(token)
        now = world.now()
    if grant is None:
        return sp_api_error(403, "Unauthorized", _DENIED,
                            "The access token you provided is revoked, malformed or invalid.")
    if now >= grant.expires_at:
        return sp_api_error(403, "Unauthorized", _DENIED,
                            "The access token you provided has expired.")
    return grant


def _marketplace_participations(world: World, request: Request) -> Response:
    grant = _access_grant(world, request)
    if isinstance(grant, Response):
        return grant
    region = ENDPOINT_HOSTS[request.host]
    if grant.region is not region or grant.selling_partner_id is None:
        return sp_api_error(403, "Unauthorized", _DENIED)
    return json_response(200, {"payload": [_participation(m) for m in
                                           marketplaces_in_region(region)]})


STORE_NAME = "Emulated Store"


def _participation(marketplace: Marketplace) -> dict[str, Any]:
    storefront = STOREFRONTS[marketplace.code]
    return {
        "marketplace": {
            "id": marketplace.marketplace_id,
            "countryCode": "GB" if marketplace.code == "UK" else marketplace.code,
            "name": storefront.name,
            "defaultCurrencyCode": storefront.currency,
            "defaultLanguageCode": storefront.language,
            "domainName": storefront.domain_name,
        },
        "participation": {"isParticipating": True, "hasSuspendedListings": False},
        # Required by Amazon's model (sellers.json, MarketplaceParticipation).
        "storeName": STORE_NAME,
    }
