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

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped, unused-ignore]

from spprov.emulator.state import ROTATION_SCOPE
from tests.emulator.test_emulator import SELLERS, exchange, token_request
from tests.fixtures_emulator import EmulatorHandle

MODELS = json.loads((Path(__file__).parent / "data" / "sp_api_models.json").read_text())
NA = "/sellingpartnerapi-na.amazon.com"
ROTATION = f"{NA}/applications/2023-11-30/clientSecret"


def validator(model: str, operation: str, status: str) -> Any:
    definitions = MODELS[model]["definitions"]
    name = MODELS[model]["responses"][operation][status]
    return Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{name}"})


def problems(model: str, operation: str, status: str, body: Any) -> list[str]:
    return sorted(e.message for e in validator(model, operation, status).iter_errors(body))


def test_the_model_copy_names_its_source() -> None:
    assert "github.com/amzn/selling-partner-api-models at commit " in MODELS["$comment"]
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
    assert response.headers["x-amzn-RequestId"]
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


def test_client_secret_rotation_conforms(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    wrong = exchange(emulator, app, emulator.code(app))["access_token"]
    refused = emulator.http.post(ROTATION, headers={"x-amz-access-token": str(wrong)})
    assert refused.status_code == 403
    assert problems("applications_2023_11_30", "rotateApplicationClientSecret", "403",
                    refused.json()) == []
    grantless = token_request(emulator, app, grant_type="client_credentials",
                              scope=ROTATION_SCOPE).json()["access_token"]
    rotated = emulator.http.post(ROTATION, headers={"x-amz-access-token": grantless})
    assert MODELS["applications_2023_11_30"]["responses"]["rotateApplicationClientSecret"][
        "204"] is None  # the model's 204 has no body
    assert (rotated.status_code, rotated.content) == (204, b"")
    assert rotated.headers["x-amzn-RequestId"]


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
