"""The Notifications API v1 (destinations, subscriptions) and the client secret rotation.

Application-level: every call needs a grantless token, and destinations and
subscriptions belong to the token's app. Answers have the shapes of Amazon's
notifications v1 and applications 2023-11-30 models.

The application notifications (a new client secret, a secret about to expire) are not
subscriptions: a person registers their queue in the Developer Console's Notification
Preferences (the ``notification-preferences`` control stands in for it), and the
Notifications API refuses them. A rotation without a registered queue is refused too.
"""

from __future__ import annotations

import secrets

from spprov.emulator.delivery import deliver
from spprov.emulator.messages import Request, Response, json_response, sp_api_error
from spprov.emulator.state import (
    APPLICATION_TYPES,
    NEW_SECRET_TYPE,
    NOTIFICATIONS_SCOPE,
    ROTATION_SCOPE,
    SECRET_EXPIRY_TYPE,
    AccessGrant,
    Destination,
    Subscription,
    World,
)
from spprov.regions import Environment, endpoint

DESTINATIONS_PATH = "/notifications/v1/destinations"
SUBSCRIPTIONS_PREFIX = "/notifications/v1/subscriptions/"
ROTATION_PATH = "/applications/2023-11-30/clientSecret"
GATE_TIMEOUT_SECONDS = 60
_DENIED = "Access to requested resource is denied."
# The 400 of the applications 2023-11-30 model (also its static sandbox answer).
NOT_ENROLLED = ("Application is not enrolled for rotation notification. Please update "
                "application notification preference in Developer console.")
QUOTA_EXCEEDED = "You exceeded your quota for the requested resource."


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
    if notification_type in APPLICATION_TYPES:
        return sp_api_error(400, "InvalidInput", f"{notification_type} notifications are set "
                            "up in the Developer Console (Notification Preferences), not "
                            "through the Notifications API.")
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
    found = endpoint(f"https://{request.host}")
    if found is not None and found.environment is Environment.SANDBOX:
        # "cannot be called using a sandbox application": the sandbox answers the model's
        # static 400.
        return sp_api_error(400, "InvalidInput", NOT_ENROLLED)
    with world.lock:
        app = world.apps[grant.client_id]
        enrolled = world.preferences.get(app.client_id)
        if enrolled is None or enrolled.new_secret_queue_arn is None:
            return sp_api_error(400, "InvalidInput", NOT_ENROLLED)
        if world.rotation_wait(app) > 0:
            return sp_api_error(429, "QuotaExceeded", QUOTA_EXCEEDED)
        notification = world.rotate_secret(app)  # under the lock: one rotation per minute
    _send_new_secret(world, app.client_id, notification)
    world.rotation_answer_gate.wait(GATE_TIMEOUT_SECONDS)
    return Response(204, b"", "application/json")


def rotate_and_notify(world: World, client_id: str) -> str:
    """Rotate the app's secret and send the notification to its registered queue."""
    with world.lock:
        app = world.apps[client_id]
        notification = world.rotate_secret(app)
        secret = app.client_secret
    _send_new_secret(world, client_id, notification)
    return secret


def _send_new_secret(world: World, client_id: str, notification: dict[str, object]) -> None:
    send_to_registered_queue(world, client_id, NEW_SECRET_TYPE, notification)
    with world.lock:  # counted once the notification is on its way, not before
        world.rotations_completed += 1


def send_expiry_notice(world: World, client_id: str) -> dict[str, object]:
    """Send the app's ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`` notice, as Amazon does ahead."""
    with world.lock:
        notification = world.expiry_notice(world.apps[client_id])
    send_to_registered_queue(world, client_id, SECRET_EXPIRY_TYPE, notification)
    return notification


def send_to_registered_queue(world: World, client_id: str, notification_type: str,
                             notification: dict[str, object]) -> bool:
    """Deliver to the queue registered for the type in the console; False when none."""
    with world.lock:
        preferences = world.preferences.get(client_id)
        arn = preferences.queue_for(notification_type) if preferences else None
        sqs_endpoint = world.sqs_endpoint_url
    return arn is not None and deliver(sqs_endpoint, arn, notification)


def _json(request: Request) -> dict[str, object]:
    try:
        return request.json()
    except ValueError:
        return {}
