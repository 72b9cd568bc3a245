"""The Notifications API v1 (destinations, subscriptions) and the client secret rotation.

Application-level: every call needs a grantless token, and destinations and
subscriptions belong to the token's app. Answers have the shapes of Amazon's
notifications v1 and applications 2023-11-30 models.
"""

from __future__ import annotations

import secrets

from spprov.emulator.delivery import deliver
from spprov.emulator.messages import Request, Response, json_response, sp_api_error
from spprov.emulator.state import (
    NOTIFICATIONS_SCOPE,
    ROTATION_SCOPE,
    AccessGrant,
    Destination,
    Subscription,
    World,
)

DESTINATIONS_PATH = "/notifications/v1/destinations"
SUBSCRIPTIONS_PREFIX = "/notifications/v1/subscriptions/"
ROTATION_PATH = "/applications/2023-11-30/clientSecret"
GATE_TIMEOUT_SECONDS = 60
_DENIED = "Access to requested resource is denied."


def is_notifications(path: str) -> bool:
    """Whether a path belongs to the Notifications API."""
    return path == DESTINATIONS_PATH or path.startswith(SUBSCRIPTIONS_PREFIX)


def is_served(method: str, path: str) -> bool:
    """The routes served: GET/POST destinations and GET/POST subscriptions/TYPE."""
    if method not in ("GET", "POST"):
        return False
    return path == DESTINATIONS_PATH or (path.startswith(SUBSCRIPTIONS_PREFIX)
                                         and "/" not in path.removeprefix(SUBSCRIPTIONS_PREFIX))


def _grantless(grant: AccessGrant, scope: str) -> Response | None:
    if grant.scope != scope:
        return sp_api_error(403, "Unauthorized", _DENIED,
                            f"A grantless token with scope {scope} is required.")
    return None


def notifications_api(world: World, request: Request, grant: AccessGrant) -> Response:
    """Destinations and subscriptions of the token's app."""
    refused = _grantless(grant, NOTIFICATIONS_SCOPE)
    if refused is not None:
        return refused
    if request.path == DESTINATIONS_PATH:
        if request.method == "GET":
            return _list_destinations(world, grant.client_id)
        if request.method == "POST":
            return _create_destination(world, request, grant.client_id)
    notification_type = request.path.removeprefix(SUBSCRIPTIONS_PREFIX)
    if "/" not in notification_type and request.method == "GET":
        return _get_subscription(world, grant.client_id, notification_type)
    if "/" not in notification_type and request.method == "POST":
        return _create_subscription(world, request, grant.client_id, notification_type)
    return sp_api_error(404, "NotFound", "Resource not found.")


def _destination_json(destination: Destination) -> dict[str, object]:
    return {"name": destination.name, "destinationId": destination.destination_id,
            "resource": {"sqs": {"arn": destination.arn}}}


def _list_destinations(world: World, client_id: str) -> Response:
    with world.lock:
        found = [_destination_json(d) for d in world.destinations.get(client_id, [])]
    return json_response(200, {"payload": found})


def _create_destination(world: World, request: Request, client_id: str) -> Response:
    body = _json(request)
    specification = body.get("resourceSpecification")
    sqs = specification.get("sqs") if isinstance(specification, dict) else None
    arn = sqs.get("arn") if isinstance(sqs, dict) else None
    name = body.get("name")
    if not isinstance(arn, str) or not arn.startswith("arn:aws:sqs:") or arn.count(":") != 5:
        return sp_api_error(400, "InvalidInput", "resourceSpecification.sqs.arn is invalid.")
    if not isinstance(name, str) or not name:
        return sp_api_error(400, "InvalidInput", "name is required.")
    with world.lock:
        mine = world.destinations.setdefault(client_id, [])
        if any(d.arn == arn for d in mine):
            return sp_api_error(409, "Conflict", "A destination for this resource exists.")
        destination = Destination(secrets.token_hex(16), name, arn)
        mine.append(destination)
    return json_response(200, {"payload": _destination_json(destination)})


def _subscription_json(subscription: Subscription) -> dict[str, object]:
    return {"subscriptionId": subscription.subscription_id,
            "payloadVersion": subscription.payload_version,
            "destinationId": subscription.destination_id}


def _get_subscription(world: World, client_id: str, notification_type: str) -> Response:
    with world.lock:
        subscription = world.subscriptions.get((client_id, notification_type))
    if subscription is None:
        return sp_api_error(404, "NotFound", "The subscription was not found.")
    return json_response(200, {"payload": _subscription_json(subscription)})


def _create_subscription(world: World, request: Request, client_id: str,
                         notification_type: str) -> Response:
    body = _json(request)
    missing = [name for name in ("payloadVersion", "destinationId")
               if not isinstance(body.get(name), str) or not body.get(name)]
    if missing:  # both are required by CreateSubscriptionRequest in Amazon's model
        return sp_api_error(400, "InvalidInput", f"{missing[0]} is required.")
    destination_id = str(body["destinationId"])
    if world.destination_arn(client_id, destination_id) is None:
        return sp_api_error(400, "InvalidInput", "The destinationId is not valid.")
    with world.lock:
        key = (client_id, notification_type)
        if key in world.subscriptions:
            return sp_api_error(409, "Conflict", "A subscription for this notification "
                                "type already exists.")
        subscription = Subscription(secrets.token_hex(16), str(body["payloadVersion"]),
                                    destination_id)
        world.subscriptions[key] = subscription
    return json_response(200, {"payload": _subscription_json(subscription)})


def rotate_client_secret(world: World, request: Request, grant: AccessGrant) -> Response:
    """``POST /applications/2023-11-30/clientSecret``: 204, the secret goes out by SQS."""
    refused = _grantless(grant, ROTATION_SCOPE)
    if refused is not None:
        return refused
    with world.lock:
        app = world.apps[grant.client_id]
    rotate_and_notify(world, app.client_id)
    world.rotation_answer_gate.wait(GATE_TIMEOUT_SECONDS)
    return Response(204, b"", "application/json")


def rotate_and_notify(world: World, client_id: str) -> str:
    """Rotate the app's secret and send the notification to its subscribed queue."""
    with world.lock:
        app = world.apps[client_id]
        notification = world.rotate_secret(app)
        subscription = world.subscriptions.get((client_id, str(notification["notificationType"])))
        endpoint = world.sqs_endpoint_url
        secret = app.client_secret
    if subscription is not None:
        arn = world.destination_arn(client_id, subscription.destination_id)
        if arn is not None:
            deliver(endpoint, arn, notification)
    with world.lock:  # counted once the notification is on its way, not before
        world.rotations_completed += 1
    return secret


def _json(request: Request) -> dict[str, object]:
    try:
        return request.json()
    except ValueError:
        return {}
