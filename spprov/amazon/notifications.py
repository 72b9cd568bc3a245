"""The Notifications API calls and the message that carries a rotated client secret.

Destinations and the subscription to ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` are
application-level, so they are made with a grantless token (scope
``sellingpartnerapi::notifications``). Shapes follow Amazon's notifications v1 model:
answers are ``{"payload": ...}`` or ``{"errors": [...]}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from spprov.amazon.lwa import LwaClient
from spprov.amazon.routing import json_object, sp_api_error
from spprov.errors import AmazonError, SpprovError
from spprov.secret import Secret

NEW_SECRET = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"  # noqa: S105 - a notification type
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
DESTINATIONS_PATH = "/notifications/v1/destinations"
SUBSCRIPTIONS_PATH = "/notifications/v1/subscriptions"
DESTINATION_NAME = "spprov-client-secret-rotation"


@dataclass(frozen=True)
class NewSecretNotification:
    """The content of one ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` message."""

    client_id: str
    new_secret: Secret
    old_secret_expires_at: datetime | None
    event_time: str


def queue_arn(queue_url: str, region: str) -> str:
    """``arn:aws:sqs:REGION:ACCOUNT:QUEUE`` of ``https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE``."""
    account, _, queue = urlsplit(queue_url).path.strip("/").partition("/")
    return f"arn:aws:sqs:{region}:{account}:{queue}"


def ensure_subscription(lwa: LwaClient, endpoint: str, token: Secret, arn: str) -> str:
    """Make sure the new-secret notification goes to the queue ``arn``; its destination id."""
    destination = _destination_for(lwa, endpoint, token, arn) or _create_destination(
        lwa, endpoint, token, arn)
    url = f"{endpoint.rstrip('/')}{SUBSCRIPTIONS_PATH}/{NEW_SECRET}"
    response = lwa.sp_api_call("GET", url, token)
    if response.status_code == 200:
        subscribed = _payload(response).get("destinationId")
        if subscribed == destination:
            return destination
        raise SpprovError(
            f"{NEW_SECRET} is already subscribed to destination {subscribed}, not to {arn}: "
            "delete that subscription (Notifications API deleteSubscriptionById) or declare "
            "its queue, then run again")
    if response.status_code != 404:
        raise sp_api_error(endpoint, response)
    created = lwa.sp_api_call("POST", url, token, replay_safe=True,
                              body={"payloadVersion": "1.0", "destinationId": destination})
    if created.status_code not in (200, 409):  # 409: subscribed meanwhile (a retried create)
        raise sp_api_error(endpoint, created)
    return destination


def _destination_for(lwa: LwaClient, endpoint: str, token: Secret, arn: str) -> str | None:
    response = lwa.sp_api_call("GET", endpoint.rstrip("/") + DESTINATIONS_PATH, token)
    if response.status_code != 200:
        raise sp_api_error(endpoint, response)
    destinations = json_object(response).get("payload")
    if not isinstance(destinations, list):
        raise AmazonError(f"{endpoint} listed destinations without a payload list", 200)
    for destination in destinations:
        resource = destination.get("resource") if isinstance(destination, dict) else None
        sqs = resource.get("sqs") if isinstance(resource, dict) else None
        if isinstance(sqs, dict) and sqs.get("arn") == arn:
            return str(destination.get("destinationId"))
    return None


def _create_destination(lwa: LwaClient, endpoint: str, token: Secret, arn: str) -> str:
    body = {"name": DESTINATION_NAME, "resourceSpecification": {"sqs": {"arn": arn}}}
    response = lwa.sp_api_call("POST", endpoint.rstrip("/") + DESTINATIONS_PATH, token,
                               body=body, replay_safe=True)
    if response.status_code == 409:  # made by a retried request: it is listed now
        found = _destination_for(lwa, endpoint, token, arn)
        if found is not None:
            return found
    if response.status_code != 200:
        raise sp_api_error(endpoint, response)
    destination = _payload(response).get("destinationId")
    if not isinstance(destination, str) or not destination:
        raise AmazonError(f"{endpoint} created a destination without a destinationId", 200)
    return destination


def _payload(response: Any) -> dict[str, Any]:
    payload = json_object(response).get("payload")
    return payload if isinstance(payload, dict) else {}


def parse_new_secret(body: str) -> NewSecretNotification | None:
    """The new-secret content of an SQS message body; None for any other message."""
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("notificationType") != NEW_SECRET:
        return None
    payload = document.get("payload")
    content = payload.get("applicationOAuthClientNewSecret") if isinstance(payload, dict) else None
    if not isinstance(content, dict):
        return None
    client_id, secret = content.get("clientId"), content.get("newClientSecret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not secret:
        return None
    return NewSecretNotification(client_id, Secret(secret),
                                 _time(content.get("oldClientSecretExpiryTime")),
                                 str(document.get("eventTime", "")))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
