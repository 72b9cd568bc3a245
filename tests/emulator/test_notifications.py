"""The emulator's Notifications API v1 and client secret rotation, as Amazon documents them.

The application notifications are registered in the Developer Console (the
notification-preferences control), never through the Notifications API; a rotation
without a registered queue, above the rate, or on a sandbox host is refused. Every answer
here is also checked against Amazon's published models (tests/emulator/test_models.py).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.emulator.test_models import header_problems, problems
from tests.fixtures_aws import Sqs
from tests.fixtures_emulator import EmulatorHandle, RegisteredApp

NA = "/sellingpartnerapi-na.amazon.com"
ROTATION = f"{NA}/applications/2023-11-30/clientSecret"
ARN = "arn:aws:sqs:us-east-1:123456789012:spprov-rotation"
NOT_ENROLLED = ("Application is not enrolled for rotation notification. Please update "
                "application notification preference in Developer console.")
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"


def grantless(emulator: EmulatorHandle, app: RegisteredApp, scope: str) -> dict[str, str]:
    answer = emulator.http.post("/api.amazon.com/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": scope, "client_id": app.client_id,
        "client_secret": app.client_secret})
    assert answer.status_code == 200
    return {"x-amz-access-token": answer.json()["access_token"]}


def enroll(emulator: EmulatorHandle, app: RegisteredApp, new_secret: str | None = ARN,
           expiry: str | None = ARN) -> Any:
    return emulator.control("POST", "/notification-preferences", {
        "client_id": app.client_id, "new_secret_queue_arn": new_secret,
        "secret_expiry_queue_arn": expiry})


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
    path = f"{NA}/notifications/v1/subscriptions/ANY_OFFER_CHANGED"
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


@pytest.mark.parametrize("notification_type", [
    "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"])
def test_application_notifications_cannot_be_subscribed(emulator: EmulatorHandle,
                                                        notification_type: str) -> None:
    app = emulator.register_app()
    token = grantless(emulator, app, "sellingpartnerapi::notifications")
    destination = emulator.http.post(f"{NA}/notifications/v1/destinations", headers=token, json={
        "name": "q", "resourceSpecification": {"sqs": {"arn": ARN}}}).json()["payload"]
    refused = emulator.http.post(
        f"{NA}/notifications/v1/subscriptions/{notification_type}", headers=token,
        json={"payloadVersion": "1.0", "destinationId": destination["destinationId"]})
    assert refused.status_code == 400
    assert problems("notifications_v1", "createSubscription", "400", refused.json()) == []
    assert header_problems("notifications_v1", "createSubscription", refused) == []
    assert refused.json()["errors"][0] == {
        "code": "InvalidInput", "details": "",
        "message": f"{notification_type} notifications are set up in the Developer Console "
                   "(Notification Preferences), not through the Notifications API."}


def test_scopes_are_checked(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    rotation = grantless(emulator, app, ROTATION_SCOPE)
    refused = emulator.http.get(f"{NA}/notifications/v1/destinations", headers=rotation)
    assert refused.status_code == 403
    notifications = grantless(emulator, app, "sellingpartnerapi::notifications")
    refused = emulator.http.post(ROTATION, headers=notifications)
    assert refused.status_code == 403
    assert emulator.stats()["rotation"] == 1 and emulator.control(
        "GET", "/rotations")["completed"] == 0


def test_rotation_without_a_registered_queue_is_not_enrolled(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    enroll(emulator, app, new_secret=None)  # only the expiry row filled in
    refused = emulator.http.post(ROTATION, headers=grantless(emulator, app, ROTATION_SCOPE))
    assert refused.status_code == 400
    assert refused.json() == {"errors": [
        {"code": "InvalidInput", "message": NOT_ENROLLED, "details": ""}]}
    assert problems("applications_2023_11_30", "rotateApplicationClientSecret", "400",
                    refused.json()) == []
    assert header_problems("applications_2023_11_30", "rotateApplicationClientSecret",
                           refused) == []
    assert emulator.control("GET", "/rotations")["completed"] == 0


def test_rotation_on_a_sandbox_host_answers_the_models_sandbox_error(
        emulator: EmulatorHandle) -> None:
    from tests.emulator.test_models import MODELS

    app = emulator.register_app()
    enroll(emulator, app)
    refused = emulator.http.post("/sandbox.sellingpartnerapi-na.amazon.com/applications/"
                                 "2023-11-30/clientSecret",
                                 headers=grantless(emulator, app, ROTATION_SCOPE))
    assert refused.status_code == 400
    [static] = MODELS["applications_2023_11_30"]["sandbox"]["rotateApplicationClientSecret"][
        "400"]
    assert [{k: e[k] for k in ("code", "message")} for e in refused.json()["errors"]] == \
        static["errors"]
    assert emulator.control("GET", "/rotations")["completed"] == 0


def test_one_rotation_a_minute(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    enroll(emulator, app)
    token = grantless(emulator, app, ROTATION_SCOPE)
    assert emulator.http.post(ROTATION, headers=token).status_code == 204
    throttled = emulator.http.post(ROTATION, headers=token)
    assert throttled.status_code == 429
    assert problems("applications_2023_11_30", "rotateApplicationClientSecret", "429",
                    throttled.json()) == []
    assert header_problems("applications_2023_11_30", "rotateApplicationClientSecret",
                           throttled) == []
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"
    emulator.advance_clock(60)
    assert emulator.http.post(ROTATION, headers=token).status_code == 204
    assert emulator.control("GET", "/rotations")["completed"] == 2


def test_rotation_delivers_to_the_registered_queue(emulator: EmulatorHandle, sqs: Sqs) -> None:
    emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    app = emulator.register_app()
    enroll(emulator, app)
    rotated = emulator.http.post(ROTATION, headers=grantless(emulator, app, ROTATION_SCOPE))
    assert (rotated.status_code, rotated.content) == (204, b"")
    (body,) = sqs.bodies()
    message = json.loads(body)
    # The sample body of amzn/selling-partner-api-samples use-cases/lwa-rotation.
    assert set(message) == {"notificationVersion", "notificationType", "payloadVersion",
                            "eventTime", "payload", "notificationMetadata"}
    assert (message["notificationVersion"], message["payloadVersion"]) == ("1.0", "2023-11-30")
    content = message["payload"]["applicationOAuthClientNewSecret"]
    assert set(content) == {"clientId", "newClientSecret", "newClientSecretExpiryTime",
                            "oldClientSecretExpiryTime"}
    assert content["clientId"] == app.client_id
    assert content["newClientSecret"].startswith("amzn1.oa2-cs.v1.")
    event = _time(message["eventTime"])
    assert _time(content["newClientSecretExpiryTime"]) - event == timedelta(days=180)
    assert _time(content["oldClientSecretExpiryTime"]) - event == timedelta(days=7)
    assert set(message["notificationMetadata"]) == {"applicationId", "subscriptionId",
                                                    "publishTime", "notificationId"}
    assert message["notificationMetadata"]["applicationId"] == app.application_id
    token_url = f"{emulator.url}/api.amazon.com/auth/o2/token"
    for secret in (content["newClientSecret"], app.client_secret):  # old one: 7 more days
        assert httpx.post(token_url, data={
            "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
            "client_id": app.client_id, "client_secret": secret}).status_code == 200


def test_an_expiry_notice_on_demand(emulator: EmulatorHandle, sqs: Sqs) -> None:
    emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    app = emulator.register_app()
    enroll(emulator, app, new_secret=None)
    sent = emulator.control("POST", "/secret-expiry-notice", {"client_id": app.client_id})
    (body,) = sqs.bodies()
    message = json.loads(body)
    assert message == sent["notification"]
    assert message["notificationType"] == "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
    content = message["payload"]["applicationOAuthClientSecretExpiry"]
    assert set(content) == {"clientId", "clientSecretExpiryTime", "clientSecretExpiryReason"}
    assert (content["clientId"], content["clientSecretExpiryReason"]) == (
        app.client_id, "PERIODIC_ROTATION")
    assert timedelta(days=179) < _time(content["clientSecretExpiryTime"]) - _time(
        message["eventTime"]) <= timedelta(days=180)


def test_preferences_control_checks_its_body(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    bad = emulator.http.post("/_emulator/notification-preferences", json={
        "client_id": app.client_id, "new_secret_queue_arn": "https://sqs.example"})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("new_secret_queue_arn must be an SQS queue ARN")
    unknown = emulator.http.post("/_emulator/notification-preferences", json={
        "client_id": "nobody", "new_secret_queue_arn": ARN})
    assert unknown.status_code == 404
    assert enroll(emulator, app) == {"client_id": app.client_id, "new_secret_queue_arn": ARN,
                                     "secret_expiry_queue_arn": ARN}


def _time(value: str) -> datetime:
    assert value.endswith("Z") and len(value) == len("2024-01-10T22:09:17.456Z")
    return datetime.fromisoformat(value)
