"""The LWA token endpoint, ``POST https://api.amazon.com/auth/o2/token``."""

from __future__ import annotations

from spprov.emulator.messages import Request, Response, json_response, lwa_error
from spprov.emulator.state import (
    ACCESS_TOKEN_LIFETIME_SECONDS,
    GRANTLESS_SCOPES,
    App,
    World,
)

TOKEN_HOST = "api.amazon.com"  # noqa: S105 - a host name
TOKEN_PATH = "/auth/o2/token"  # noqa: S105 - a path


class _Refusal(Exception):
    """An LWA error answer, raised where it is found."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.response = lwa_error(status, error, description)


def token_endpoint(world: World, request: Request) -> Response:
    """Answer one token request: authorization_code, refresh_token or client_credentials."""
    if request.method != "POST":
        return lwa_error(405, "invalid_request", "the token endpoint accepts POST only")
    params = request.params()
    try:
        grant_type = _required(params, "grant_type")
        app = _authenticate(world, params)
        if grant_type == "authorization_code":
            return _authorization_code(world, app, params)
        if grant_type == "refresh_token":
            return _refresh_token(world, app, params)
        if grant_type == "client_credentials":
            return _client_credentials(world, app, params)
        raise _Refusal(400, "unsupported_grant_type",
                       f"The authorization grant type {grant_type!r} is not supported")
    except _Refusal as refusal:
        return refusal.response


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise _Refusal(400, "invalid_request", f"The request is missing the parameter {name}")
    return value


def _authenticate(world: World, params: dict[str, str]) -> App:
    client_id = _required(params, "client_id")
    secret = _required(params, "client_secret")
    with world.lock:
        app = world.apps.get(client_id)
        if app is None or not app.secret_matches(secret, world.now()):
            raise _Refusal(401, "invalid_client",
                           "Client authentication failed")
        return app


def _authorization_code(world: World, app: App, params: dict[str, str]) -> Response:
    code_value = _required(params, "code")
    redirect_uri = _required(params, "redirect_uri")
    with world.lock:
        code = world.codes.get(code_value)
        if code is None or code.client_id != app.client_id:
            raise _Refusal(400, "invalid_grant", "The authorization code is invalid")
        # Single use: any presentation consumes it, even one that fails below.
        already_used, code.used = code.used, True
        if already_used:
            raise _Refusal(400, "invalid_grant", "The authorization code has already been used")
        if world.now() >= code.expires_at:
            raise _Refusal(400, "invalid_grant", "The authorization code has expired")
        if redirect_uri != code.redirect_uri:
            raise _Refusal(400, "invalid_grant",
                           "The redirect_uri does not match the authorization request")
    refresh_token = world.issue_refresh_token(code)
    access_token = world.issue_access_token(app.client_id, code.region, code.selling_partner_id)
    return _tokens(access_token, refresh_token)


def _refresh_token(world: World, app: App, params: dict[str, str]) -> Response:
    refresh_token = _required(params, "refresh_token")
    with world.lock:
        grant = world.refresh_grants.get(refresh_token)
        if grant is None or grant.client_id != app.client_id or grant.revoked:
            raise _Refusal(400, "invalid_grant",
                           "The request has an invalid grant parameter : refresh_token")
    access_token = world.issue_access_token(app.client_id, grant.region,
                                            grant.selling_partner_id)
    return _tokens(access_token, refresh_token)


def _client_credentials(world: World, app: App, params: dict[str, str]) -> Response:
    scope = _required(params, "scope")
    if scope not in GRANTLESS_SCOPES:
        raise _Refusal(400, "invalid_scope", "An unknown scope was requested")
    access_token = world.issue_access_token(app.client_id, None, None, scope)
    return json_response(200, {"access_token": access_token, "scope": scope,
                               "token_type": "bearer",
                               "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS})


def _tokens(access_token: str, refresh_token: str) -> Response:
    return json_response(200, {"access_token": access_token, "refresh_token": refresh_token,
                               "token_type": "bearer",
                               "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS})
