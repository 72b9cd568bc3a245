"""The emulator's SP-API answers conform to Amazon's published models.

tests/emulator/data/sp_api_models.json is a small copy of the relevant parts of
selling-partner-api-models (sellers v1, applications 2023-11-30, notifications v1; its
``$comment`` names the commit): every field the models mark required must be present with
the right type. The models are Swagger 2.0, whose schemas are JSON Schema draft 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from spprov.emulator.state import ROTATION_SCOPE
from tests.emulator.test_emulator import SELLERS, exchange, token_request
from tests.fixtures_emulator import EmulatorHandle

MODELS = json.loads((Path(__file__).parent / "data" / "sp_api_models.json").read_text())
NA = "/sellingpartnerapi-na.amazon.com"
ROTATION = f"{NA}/applications/2023-11-30/clientSecret"


def validator(model: str, name: str) -> Any:
    definitions = MODELS[model]["definitions"]
    return Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{name}"})


def problems(model: str, operation: str, status: str, body: Any) -> list[str]:
    name = MODELS[model]["responses"][operation][status]
    return sorted(e.message for e in validator(model, name).iter_errors(body))


def request_problems(model: str, operation: str, body: Any) -> list[str]:
    name = MODELS[model]["requests"][operation]
    return sorted(e.message for e in validator(model, name).iter_errors(body))


def header_problems(model: str, operation: str, response: httpx.Response) -> list[str]:
    """The model's headers this answer lacks, and Amazon's headers it has but should not."""
    listed = set(MODELS[model]["headers"][operation][str(response.status_code)])
    sent = {name for name in ("x-amzn-RequestId", "x-amzn-RateLimit-Limit")
            if name in response.headers}
    return sorted([f"missing {h}" for h in listed - sent] +
                  [f"not in the model: {h}" for h in sent - listed])


def test_the_model_copy_names_its_source() -> None:
    assert "github.com/amzn/selling-partner-api-models at commit " in MODELS["$comment"]
    assert "extract_models.py" in MODELS["$comment"]
    assert MODELS["sellers_v1"]["source"] == "models/sellers-api-model/sellers.json"
    assert MODELS["sellers_v1"]["definitions"]["MarketplaceParticipation"]["required"] == [
        "marketplace", "participation", "storeName"]


def test_marketplace_participations_conform(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    token = exchange(emulator, app, emulator.code(app))["access_token"]
    response = emulator.http.get(f"{NA}{SELLERS}", headers={"x-amz-access-token": str(token)})
    assert response.status_code == 200
    body = response.json()
    assert body["payload"], "an empty list would conform without showing anything"
    assert problems("sellers_v1", "getMarketplaceParticipations", "200", body) == []
    assert header_problems("sellers_v1", "getMarketplaceParticipations", response) == []
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.016"
    # The check is real: the answer the emulator gave before storeName was added fails it.
    del body["payload"][0]["storeName"]
    body["payload"][1]["participation"]["isParticipating"] = "true"
    assert problems("sellers_v1", "getMarketplaceParticipations", "200", body) == [
        "'storeName' is a required property", "'true' is not of type 'boolean'"]


@pytest.mark.parametrize("token", ["", "Atza|unknown"])
def test_sellers_errors_conform(emulator: EmulatorHandle, token: str) -> None:
    response = emulator.http.get(f"{NA}{SELLERS}", headers={"x-amz-access-token": token})
    assert response.status_code == 403
    assert problems("sellers_v1", "getMarketplaceParticipations", "403", response.json()) == []
    assert response.json()["errors"]
    assert header_problems("sellers_v1", "getMarketplaceParticipations", response) == []
    assert "x-amzn-RateLimit-Limit" not in response.headers  # never on a 403


def test_the_us_marketplace_reads_as_in_the_models_example(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    token = exchange(emulator, app, emulator.code(app))["access_token"]
    payload = emulator.http.get(f"{NA}{SELLERS}",
                                headers={"x-amz-access-token": str(token)}).json()["payload"]
    example = MODELS["sellers_v1"]["sandbox"]["getMarketplaceParticipations"]["200"][0]
    [us] = [p for p in payload if p["marketplace"]["id"] == "ATVPDKIKX0DER"]
    assert us["marketplace"] == example["payload"][0]["marketplace"]


EU_MARKETPLACES = {  # as Seller Central and each marketplace's site name them
    "A1F83G8C2ARO7P": ("GB", "Amazon.co.uk", "www.amazon.co.uk", "GBP", "en_GB"),
    "A1PA6795UKMFR9": ("DE", "Amazon.de", "www.amazon.de", "EUR", "de_DE"),
    "A13V1IB3VIYZZH": ("FR", "Amazon.fr", "www.amazon.fr", "EUR", "fr_FR"),
    "APJ6JRA9NG5V4": ("IT", "Amazon.it", "www.amazon.it", "EUR", "it_IT"),
    "A1RKKUPIHCS9HS": ("ES", "Amazon.es", "www.amazon.es", "EUR", "es_ES"),
    "A21TJRUUN4KGV": ("IN", "Amazon.in", "www.amazon.in", "INR", "en_IN"),
}


def test_each_european_marketplace_has_its_own_domain_name_and_language(
        emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    token = exchange(emulator, app, emulator.code(app, "https://sellercentral-europe.amazon.com"))
    payload = emulator.http.get(f"/sellingpartnerapi-eu.amazon.com{SELLERS}", headers={
        "x-amz-access-token": str(token["access_token"])}).json()["payload"]
    shown = {p["marketplace"]["id"]: tuple(p["marketplace"][k] for k in (
        "countryCode", "name", "domainName", "defaultCurrencyCode", "defaultLanguageCode"))
        for p in payload}
    assert {k: shown[k] for k in EU_MARKETPLACES} == EU_MARKETPLACES
    domains = [p["marketplace"]["domainName"] for p in payload]
    assert len(set(domains)) == len(domains) and all(d.startswith("www.amazon.") for d in domains)


def test_client_secret_rotation_conforms(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    wrong = exchange(emulator, app, emulator.code(app))["access_token"]
    refused = emulator.http.post(ROTATION, headers={"x-amz-access-token": str(wrong)})
    assert refused.status_code == 403
    assert problems("applications_2023_11_30", "rotateApplicationClientSecret", "403",
                    refused.json()) == []
    grantless = token_request(emulator, app, grant_type="client_credentials",
                              scope=ROTATION_SCOPE).json()["access_token"]
    emulator.control("POST", "/notification-preferences", {
        "client_id": app.client_id,
        "new_secret_queue_arn": "arn:aws:sqs:us-east-1:123456789012:q"})
    rotated = emulator.http.post(ROTATION, headers={"x-amz-access-token": grantless})
    assert MODELS["applications_2023_11_30"]["responses"]["rotateApplicationClientSecret"][
        "204"] is None  # the model's 204 has no body
    assert (rotated.status_code, rotated.content) == (204, b"")
    assert header_problems("applications_2023_11_30", "rotateApplicationClientSecret",
                           rotated) == []
    assert rotated.headers["x-amzn-RateLimit-Limit"] == "0.0167"


def test_an_unserved_notifications_call_answers_in_the_models_error_shape(
        emulator: EmulatorHandle) -> None:
    # The emulator serves only the Notifications API routes spprov calls (destinations and
    # subscriptions, GET and POST); what it answers elsewhere must still be an error body
    # that Amazon's model describes.
    response = emulator.http.delete(
        f"{NA}/notifications/v1/subscriptions/ANY_OFFER_CHANGED/subscription-1")
    assert response.status_code == 404
    assert problems("notifications_v1", "deleteSubscriptionById", "404", response.json()) == []
    assert response.json()["errors"][0]["code"] == "NotFound"
    assert header_problems("notifications_v1", "deleteSubscriptionById", response) == []


def _notifications_token(emulator: EmulatorHandle) -> dict[str, str]:
    app = emulator.register_app()
    token = token_request(emulator, app, grant_type="client_credentials",
                          scope="sellingpartnerapi::notifications").json()["access_token"]
    return {"x-amz-access-token": token}


def test_create_subscription_requires_the_payload_version(emulator: EmulatorHandle) -> None:
    headers = _notifications_token(emulator)
    created = emulator.http.post(f"{NA}/notifications/v1/destinations", headers=headers, json={
        "name": "orders", "resourceSpecification": {
            "sqs": {"arn": "arn:aws:sqs:us-east-1:123456789012:orders"}}})
    assert problems("notifications_v1", "createDestination", "200", created.json()) == []
    assert header_problems("notifications_v1", "createDestination", created) == []
    destination = created.json()["payload"]["destinationId"]
    url = f"{NA}/notifications/v1/subscriptions/ORDER_CHANGE"
    without = {"destinationId": destination}
    assert request_problems("notifications_v1", "createSubscription", without) == [
        "'payloadVersion' is a required property"]
    refused = emulator.http.post(url, headers=headers, json=without)
    assert refused.status_code == 400
    assert problems("notifications_v1", "createSubscription", "400", refused.json()) == []
    assert header_problems("notifications_v1", "createSubscription", refused) == []
    assert refused.json()["errors"][0]["code"] == "InvalidInput"
    complete = {"payloadVersion": "1.0", "destinationId": destination}
    assert request_problems("notifications_v1", "createSubscription", complete) == []
    subscribed = emulator.http.post(url, headers=headers, json=complete)
    assert subscribed.status_code == 200
    assert problems("notifications_v1", "createSubscription", "200", subscribed.json()) == []
    assert header_problems("notifications_v1", "createSubscription", subscribed) == []
    assert subscribed.headers["x-amzn-RateLimit-Limit"] == "1"
