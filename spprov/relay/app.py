"""The relay's ASGI application (Starlette): routes as a list, collaborators passed in.

Public pages (the seller's journey) carry a strict Content-Security-Policy, refuse framing,
send no referrer and are rate-limited per address. The admin API (``/admin/...``), which
``spprov invite`` and ``spprov apply`` call, refuses any request without the token.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spprov.relay import pages
from spprov.relay.journey import Journey, Redirect, event
from spprov.relay.limits import RateLimiter
from spprov.relay.pages import CONTENT_SECURITY_POLICY, Page
from spprov.relay.protocol import (
    ADMIN_PATH,
    HEALTH_PATH,
    LINK_PATH,
    Invitation,
    RelayError,
    secret_hash,
)
from spprov.secret import Secret

BROWSER_COOKIE = "spprov_relay_browser"
MAX_ADMIN_BODY = 1 << 20
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True)
class RelaySettings:
    """How one relay runs."""

    public_url: str  # the base URL sellers and Amazon reach, no trailing slash
    admin_token: Secret
    rate_per_minute: float = 120.0

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure when the public address is https."""
        return self.public_url.startswith("https://")


def _page(page: Page) -> HTMLResponse:
    return HTMLResponse(page.render(), page.status)


def create_app(settings: RelaySettings, journey: Journey,
               lifespan: Any = None) -> ASGIApp:
    """The relay's application."""
    database = journey.database

    async def home(request: Request) -> Response:
        return _page(pages.failure(404, "spprov relay",
                                   "This is where sellers complete an invitation.",
                                   "open the link you were sent"))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def landing(request: Request) -> Response:
        secret = request.path_params["secret"]
        start = f"{settings.public_url}{LINK_PATH}{secret}/start"
        return _page(await run_in_threadpool(journey.landing, secret, start))

    async def start(request: Request) -> Response:
        result = await run_in_threadpool(journey.start, request.path_params["secret"],
                                         request.cookies.get(BROWSER_COOKIE))
        if isinstance(result, Page):
            return _page(result)
        return _redirect(result, settings)

    async def callback(request: Request) -> Response:
        page = await run_in_threadpool(journey.callback, dict(request.query_params),
                                       request.cookies.get(BROWSER_COOKIE))
        return _page(page)

    async def add_invitation(request: Request) -> Response:
        try:
            invitation = Invitation.from_json(await _json_body(request))
            await run_in_threadpool(database.add_invitation, invitation)
        except RelayError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        event("invitation_added", invitation=invitation.invitation_id,
              credential=invitation.credential)
        return JSONResponse({"invitation_id": invitation.invitation_id}, 201)

    async def get_invitation(request: Request) -> Response:
        invitation_id = request.path_params["invitation_id"]
        stored = await run_in_threadpool(database.invitation, invitation_id)
        if stored is None:
            return JSONResponse({"error": f"no invitation {invitation_id}"}, 404)
        sealed = (await run_in_threadpool(database.sealed_grants, [invitation_id])).get(
            invitation_id)
        return JSONResponse({"invitation_id": invitation_id, "sealed_grant": sealed,
                             "used": stored.used_at is not None})

    async def delete_invitation(request: Request) -> Response:
        invitation_id = request.path_params["invitation_id"]
        await run_in_threadpool(database.delete_invitation, invitation_id)
        event("invitation_deleted", invitation=invitation_id)
        return Response(status_code=204)

    async def query_grants(request: Request) -> Response:
        try:
            body = await _json_body(request)
        except RelayError as exc:
            return JSONResponse({"error": str(exc)}, 400)
        ids = body.get("invitation_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return JSONResponse({"error": "invitation_ids must be a list of IDs"}, 400)
        return JSONResponse({"grants": await run_in_threadpool(database.sealed_grants, ids)})

    routes = [
        Route("/", home),
        Route(HEALTH_PATH, health),
        Route(LINK_PATH + "{secret}", landing),
        Route(LINK_PATH + "{secret}/start", start),
        Route("/callback", callback),
        Route(ADMIN_PATH + "/invitations", add_invitation, methods=["POST"]),
        Route(ADMIN_PATH + "/invitations/{invitation_id}", get_invitation, methods=["GET"]),
        Route(ADMIN_PATH + "/invitations/{invitation_id}", delete_invitation,
              methods=["DELETE"]),
        Route(ADMIN_PATH + "/grants/query", query_grants, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Bursts of half a minute's allowance: a page and its follow-ups load at once.
    limiter = RateLimiter(settings.rate_per_minute, max(1, int(settings.rate_per_minute / 2)))
    return _Guard(app, settings.admin_token, limiter)


def _redirect(result: Redirect, settings: RelaySettings) -> Response:
    response = RedirectResponse(result.location, status_code=303)
    response.set_cookie(BROWSER_COOKIE, result.browser_cookie, max_age=86400, path="/",
                        secure=settings.secure_cookies, httponly=True, samesite="lax")
    return response


async def _json_body(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_ADMIN_BODY:
        raise RelayError("the request body is too large")
    try:
        return json.loads(body)
    except ValueError:
        raise RelayError("the request body is not JSON") from None


class _Guard:
    """Security headers on every answer, the admin token, and the public rate limit."""

    def __init__(self, app: ASGIApp, token: Secret, limiter: RateLimiter) -> None:
        self._app = app
        self._token_hash = secret_hash(token.reveal())
        self._limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if path == ADMIN_PATH or path.startswith(ADMIN_PATH + "/"):
            if not self._authorized(scope):
                await _json(401, {"error": "the admin API needs the relay's token "
                                           "(Authorization: Bearer $SPPROV_RELAY_TOKEN)"},
                            scope, receive, with_headers)
                return
        elif path != HEALTH_PATH:
            client = scope.get("client")
            if not self._limiter.allow(client[0] if client else "-"):
                page = pages.failure(429, "Too many requests", "This address sent too many "
                                     "requests in a short time.", "wait a minute and reload")
                await HTMLResponse(page.render(), 429, headers={"Retry-After": "60"})(
                    scope, receive, with_headers)
                return
        await self._app(scope, receive, with_headers)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value.decode("latin-1")
                if given.startswith("Bearer "):
                    return hmac.compare_digest(secret_hash(given[7:]), self._token_hash)
        return False


async def _json(status: int, body: dict[str, Any], scope: Scope, receive: Receive,
                send: Send) -> None:
    await JSONResponse(body, status)(scope, receive, send)
