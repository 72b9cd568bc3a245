"""Test controls under ``/_emulator/``: JSON in, JSON out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from spprov.const import SELF_AUTHORIZATION_LIMIT
from spprov.emulator.messages import Request, Response, json_response
from spprov.emulator.notifications import rotate_and_notify, send_expiry_notice
from spprov.emulator.state import App, Faults, NotificationPreferences, World, selling_partner_id
from spprov.regions import Region

Control = Callable[[World, Request], Response]


class _BadRequest(Exception):
    """A control called with a body it cannot use."""


def control(world: World, request: Request) -> Response:
    """Run one control; unknown ones answer 404."""
    handler = CONTROLS.get((request.method, request.path))
    if handler is None:
        return json_response(404, {"error": f"no control {request.method} /_emulator"
                                            f"{request.path}"})
    try:
        return handler(world, request)
    except (_BadRequest, ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})


def _body(request: Request) -> dict[str, Any]:
    return request.json()


def _register_app(world: World, request: Request) -> Response:
    body = _body(request)
    missing = [k for k in ("application_id", "client_id", "client_secret", "redirect_uris")
               if not body.get(k)]
    if missing:
        raise _BadRequest(f"missing fields: {', '.join(missing)}")
    uris = body["redirect_uris"]
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise _BadRequest("redirect_uris must be a list of strings")
    app = App(str(body["application_id"]), str(body["client_id"]), str(body["client_secret"]),
              list(uris), bool(body.get("draft", False)),
              appstore_listed=bool(body.get("appstore_listed", False)))
    world.register(app)
    return json_response(201, _app_json(app))


def _app_json(app: App) -> dict[str, Any]:
    return {"application_id": app.application_id, "client_id": app.client_id,
            "redirect_uris": app.redirect_uris, "draft": app.draft,
            "appstore_listed": app.appstore_listed}


def _list_apps(world: World, request: Request) -> Response:
    with world.lock:
        return json_response(200, {"apps": [_app_json(a) for a in world.apps.values()]})


def _stats(world: World, request: Request) -> Response:
    with world.lock:
        requests = {"total": 0, "token": 0, "consent": 0, "sellers": 0, "rotation": 0,
                    "notifications": 0}
        requests.update(world.stats)
        return json_response(200, {"requests": requests,
                                   "faults_injected": world.faults_injected})


def _reset_stats(world: World, request: Request) -> Response:
    with world.lock:
        world.stats.clear()
    return _stats(world, request)


def _set_faults(world: World, request: Request) -> Response:
    body = _body(request)
    seed = body.pop("seed", None)
    known = {f.name for f in fields(Faults)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise _BadRequest(f"unknown fault settings: {', '.join(unknown)}")
    faults = Faults(
        latency_ms=int(body.get("latency_ms", 0)),
        error_rate=float(body.get("error_rate", 0.0)),
        error_status=int(body.get("error_status", 500)),
        retry_after=_optional_int(body.get("retry_after")),
        after_consume=bool(body.get("after_consume", False)),
        drop_connection=bool(body.get("drop_connection", False)),
        count=_optional_int(body.get("count")),
    )
    if not 0.0 <= faults.error_rate <= 1.0:
        raise _BadRequest("error_rate must be between 0 and 1")
    world.set_faults(faults, None if seed is None else int(seed))
    return json_response(200, faults.as_json())


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _get_faults(world: World, request: Request) -> Response:
    with world.lock:
        return json_response(200, world.faults.as_json())


def _revoke(world: World, request: Request) -> Response:
    token = str(_body(request).get("refresh_token", ""))
    with world.lock:
        grant = world.refresh_grants.get(token)
        if grant is None:
            return json_response(404, {"error": "unknown refresh token"})
        grant.revoked = True
    return json_response(200, {"revoked": True})


def _clock(world: World, request: Request) -> Response:
    seconds = float(_body(request).get("advance_seconds", 0))
    if seconds < 0:
        raise _BadRequest("the clock only moves forward")
    return json_response(200, {"now": world.advance(seconds)})


def _get_clock(world: World, request: Request) -> Response:
    return json_response(200, {"now": world.now()})


def _account(world: World, request: Request) -> Response:
    account = str(_body(request).get("account", "")).strip()
    if not account:
        raise _BadRequest("account must be a non-empty string")
    with world.lock:
        world.account = account
    return json_response(200, {"account": account})


def _selling_partner_id(world: World, request: Request) -> Response:
    account = request.query.get("account") or world.account
    region = Region(request.query.get("region", ""))
    return json_response(200, {"account": account, "region": region.value,
                               "selling_partner_id": selling_partner_id(account, region.value)})


def _settings(world: World, request: Request) -> Response:
    body = _body(request)
    with world.lock:
        if "auto_approve" in body:
            world.auto_approve = bool(body["auto_approve"])
        if "sqs_endpoint_url" in body:
            endpoint = body["sqs_endpoint_url"]
            world.sqs_endpoint_url = str(endpoint) if endpoint else None
        if "hold_rotation_answer" in body:
            if body["hold_rotation_answer"]:
                world.rotation_answer_gate.clear()
            else:
                world.rotation_answer_gate.set()
        return json_response(200, {
            "auto_approve": world.auto_approve, "sqs_endpoint_url": world.sqs_endpoint_url,
            "hold_rotation_answer": not world.rotation_answer_gate.is_set()})


def _tokens(world: World, request: Request) -> Response:
    client_id = request.query.get("client_id")
    with world.lock:
        tokens = [{"refresh_token": token, "client_id": g.client_id, "region": g.region.value,
                   "selling_partner_id": g.selling_partner_id, "revoked": g.revoked}
                  for token, g in world.refresh_grants.items()
                  if client_id is None or g.client_id == client_id]
    return json_response(200, {"refresh_tokens": tokens})


def _self_authorize(world: World, request: Request) -> Response:
    """The app owner's "Authorize" in Seller Central (Develop Apps): a refresh token at
    once, at most 10 live ones per app (Amazon's self-authorization limit)."""
    body = _body(request)
    client_id = str(body.get("client_id", ""))
    region = Region(str(body.get("region", "na")))
    account = str(body.get("account") or world.account)
    with world.lock:
        app = world.apps.get(client_id)
        if app is None:
            return json_response(404, {"error": f"no app with client_id {client_id}"})
        partner = selling_partner_id(account, region.value)
        token = world.self_authorize(app, region, partner)
        if token is None:
            return json_response(400, {"error": "self-authorization limit reached: the app "
                                                f"holds {SELF_AUTHORIZATION_LIMIT} "
                                                "self-authorizations"})
        return json_response(201, {"refresh_token": token, "selling_partner_id": partner,
                                   "region": region.value,
                                   "self_authorizations": world.self_authorizations(client_id)})


def _rotate_secret(world: World, request: Request) -> Response:
    client_id = str(_body(request).get("client_id", ""))
    with world.lock:
        if client_id not in world.apps:
            return json_response(404, {"error": f"no app with client_id {client_id}"})
    secret = rotate_and_notify(world, client_id)
    return json_response(200, {"client_id": client_id, "client_secret": secret})


def _notification_preferences(world: World, request: Request) -> Response:
    """The Developer Console's Notification Preferences: the queue of each application row."""
    body = _body(request)
    client_id = str(body.get("client_id", ""))
    unknown = sorted(set(body) - {"client_id", *_PREFERENCE_FIELDS})
    if unknown:
        raise _BadRequest(f"unknown fields: {', '.join(unknown)}")
    arns = {name: body.get(name) for name in _PREFERENCE_FIELDS}
    for name, arn in arns.items():
        if arn is not None and (not isinstance(arn, str) or not arn.startswith("arn:aws:sqs:")
                                or arn.count(":") != 5):
            raise _BadRequest(f"{name} must be an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:"
                              "QUEUE) or null")
    with world.lock:
        if client_id not in world.apps:
            return json_response(404, {"error": f"no app with client_id {client_id}"})
        world.preferences[client_id] = NotificationPreferences(**arns)
    return json_response(200, {"client_id": client_id, **arns})


_PREFERENCE_FIELDS = ("new_secret_queue_arn", "secret_expiry_queue_arn")


def _secret_expiry_notice(world: World, request: Request) -> Response:
    client_id = str(_body(request).get("client_id", ""))
    with world.lock:
        if client_id not in world.apps:
            return json_response(404, {"error": f"no app with client_id {client_id}"})
    return json_response(200, {"notification": send_expiry_notice(world, client_id)})


def _rotations(world: World, request: Request) -> Response:
    with world.lock:
        return json_response(200, {"completed": world.rotations_completed})


def _notifications(world: World, request: Request) -> Response:
    with world.lock:
        return json_response(200, {"notifications": list(world.notifications)})


CONTROLS: dict[tuple[str, str], Control] = {
    ("POST", "/apps"): _register_app,
    ("GET", "/apps"): _list_apps,
    ("GET", "/stats"): _stats,
    ("POST", "/stats/reset"): _reset_stats,
    ("POST", "/faults"): _set_faults,
    ("GET", "/faults"): _get_faults,
    ("POST", "/revoke"): _revoke,
    ("POST", "/clock"): _clock,
    ("GET", "/clock"): _get_clock,
    ("POST", "/account"): _account,
    ("GET", "/selling-partner-id"): _selling_partner_id,
    ("POST", "/settings"): _settings,
    ("GET", "/tokens"): _tokens,
    ("POST", "/rotate-secret"): _rotate_secret,
    ("POST", "/self-authorize"): _self_authorize,
    ("GET", "/notifications"): _notifications,
    ("GET", "/rotations"): _rotations,
    ("POST", "/notification-preferences"): _notification_preferences,
    ("POST", "/secret-expiry-notice"): _secret_expiry_notice,
}
