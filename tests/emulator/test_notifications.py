"""The emulator's Notifications API v1 and client secret rotation, in Amazon's shapes."""

from __future__ import annotations

import json

import httpx

from tests.fixtures_aws import Sqs
from tests.fixtures_emulator import EmulatorHandle, RegisteredApp

NA = "/sellingpartnerapi-na.amazon.com"
ARN = "arn:aws:sqs:us-east-1:123456789012:spprov-rotation"


def grantless(emulator: EmulatorHandle, app: RegisteredApp, scope: str) -> dict[str, str]:
    answer = emulator.http.post("/api.amazon.com/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": scope, "client_id": app.client_id,
        "client_secret": app.client_secret})
    assert answer.status_code == 200
    return {"x-amz-access-token": answer.json()["access_token"]}


def test_destinations_and_subscriptions(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    token = grantless(emulator, app, "sellingpartnerapi::notifications")
    http = emulator.http
    assert http.get(f"{NA}/notifications/v1/destinations", headers=token).json() == {
        "payload": []}
    body = {"name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}
    created = http.post(f"{NA}/notifications/v1/destinations", headers=token, json=body)
    assert created.status_code == 200
    destination = created.json()["payload"]
    assert set(destination) == {"name", "destinationId", "resource"}
    assert destination["resource"] == {"sqs": {"arn": ARN}}
    again = http.post(f"{NA}/notifications/v1/destinations", headers=token, json=body)
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "Conflict"
    path = f"{NA}/notifications/v1/subscriptions/APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    missing = http.get(path, headers=token)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NotFound"
    subscribed = http.post(path, headers=token, json={
        "payloadVersion": "1.0", "destinationId": destination["destinationId"]})
    assert subscribed.status_code == 200
    payload = subscribed.json()["payload"]
    assert set(payload) == {"subscriptionId", "payloadVersion", "destinationId"}
    assert http.get(path, headers=token).json() == {"payload": payload}
    assert http.post(path, headers=token, json={
        "payloadVersion": "1.0", "destinationId": destination["destinationId"]}
    ).status_code == 409
    # Another app sees none of it.
    other = grantless(emulator, emulator.register_app(), "sellingpartnerapi::notifications")
    assert http.get(f"{NA}/notifications/v1/destinations", headers=other).json() == {
        "payload": []}
    assert emulator.stats()["notifications"] == 8


def test_scopes_are_checked(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    rotation = grantless(emulator, app, "sellingpartnerapi::client_credential:rotation")
    refused = emulator.http.get(f"{NA}/notifications/v1/destinations", headers=rotation)
    assert refused.status_code == 403
    notifications = grantless(emulator, app, "sellingpartnerapi::notifications")
    refused = emulator.http.post(f"{NA}/applications/2023-11-30/clientSecret",
                                 headers=notifications)
    assert refused.status_code == 403
    assert emulator.stats()["rotation"] == 1 and emulator.control(
        "GET", "/rotations")["completed"] == 0


def test_rotation_delivers_to_the_subscribed_queue(emulator: EmulatorHandle, sqs: Sqs) -> None:
    emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    app = emulator.register_app()
    token = grantless(emulator, app, "sellingpartnerapi::notifications")
    destination = emulator.http.post(f"{NA}/notifications/v1/destinations", headers=token, json={
        "name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}).json()["payload"]
    emulator.http.post(f"{NA}/notifications/v1/subscriptions/APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                       headers=token, json={"payloadVersion": "1.0",
                                            "destinationId": destination["destinationId"]})
    rotated = emulator.http.post(f"{NA}/applications/2023-11-30/clientSecret", headers=grantless(
        emulator, app, "sellingpartnerapi::client_credential:rotation"))
    assert (rotated.status_code, rotated.content) == (204, b"")
    (body,) = sqs.bodies()
    message = json.loads(body)
    assert set(message) == {"notificationVersion", "notificationType", "payloadVersion",
                            "eventTime", "payload", "notificationMetadata"}
    content = message["payload"]["applicationOAuthClientNewSecret"]
    assert content["clientId"] == app.client_id
    assert content["newClientSecret"].startswith("amzn1.oa2-cs.v1.")
    assert message["notificationMetadata"]["applicationId"] == app.application_id
    token_url = f"{emulator.url}/api.amazon.com/auth/o2/token"
    for secret in (content["newClientSecret"], app.client_secret):  # old one: 7 more days
        assert httpx.post(token_url, data={
            "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
            "client_id": app.client_id, "client_secret": secret}).status_code == 200
