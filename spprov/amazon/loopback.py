"""An HTTP listener on the app's loopback redirect URI (RFC 8252 style).

It serves each connection on its own thread, so a connection that never sends its
request (a half-open socket, a port scanner) cannot hold up the real redirect, and it
drops such connections after SLOW_CONNECTION_SECONDS. A request without this
authorization's ``state`` is answered with a page that says so and otherwise ignored:
the listener keeps waiting for the real redirect. The real redirect's page is held
until spprov knows how the authorization ended (:meth:`LoopbackListener.finish`), so
the browser says "Authorized" only once the refresh token is in hand.
"""

from __future__ import annotations

import http.server
import logging
import secrets
import socketserver
import threading
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from spprov.amazon import pages
from spprov.amazon.consent import Callback, parse_callback_query
from spprov.amazon.pages import Page, Who
from spprov.errors import AuthorizationError, SpprovError
from spprov.interrupts import helper_thread

log = logging.getLogger("spprov.amazon.loopback")

SLOW_CONNECTION_SECONDS = 10.0
# How long the real redirect's page waits for the outcome before saying "received".
OUTCOME_WAIT_SECONDS = 60.0
# How long finish() waits for that page to be written before the listener stops.
DELIVERY_SECONDS = 5.0
SHUTDOWN_POLL_SECONDS = 0.05


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False  # a slow connection must not hold up stop()


class LoopbackListener:
    """Receives the redirect on the redirect URI's host, port and path, then stops."""

    def __init__(self, redirect_uri: str, expected_state: str, who: Who,
                 wake: threading.Event | None = None) -> None:
        """``wake``, when given, is set as well once the redirect (or a refusal) came in."""
        parts = urlsplit(redirect_uri)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._path = parts.path or "/"
        self._state = expected_state
        self._who = who
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._wake = wake
        self._result: Callback | SpprovError | None = None
        self._outcome: Page | None = None
        self._outcome_known = threading.Event()
        self._delivered = threading.Event()
        self._server: _Server | None = None

    def __enter__(self) -> LoopbackListener:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Bind before the browser opens, so the redirect cannot arrive too early."""
        try:
            self._server = _Server((self._host, self._port), self._handler())
        except OSError as exc:
            raise AuthorizationError(
                f"cannot listen on {self._host}:{self._port} for the redirect ({exc.strerror}); "
                "is another authorization running?") from exc
        # A short poll interval: stop() waits for the loop to notice, once per consent.
        helper_thread(self._server.serve_forever, SHUTDOWN_POLL_SECONDS).start()

    def stop(self) -> None:
        """Stop listening (idempotent); connections still open end on their own timeout."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def arrived(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True once the redirect (or a refusal) came in."""
        return self._done.wait(timeout)

    def wait(self, timeout: float) -> Callback:
        """The callback, or AuthorizationError when it is refused or does not come in time."""
        if not self._done.wait(timeout):
            raise AuthorizationError(
                f"no redirect arrived within {timeout:g} s; run the authorization again")
        if isinstance(self._result, SpprovError):
            self._delivered.wait(DELIVERY_SECONDS)  # let the tab say what happened first
            raise self._result
        assert self._result is not None
        return self._result

    def finish(self, page: Page) -> None:
        """How the authorization ended: answer the waiting browser tab with ``page``."""
        with self._lock:
            self._outcome = page
        self._outcome_known.set()
        if self._result is not None:
            self._delivered.wait(DELIVERY_SECONDS)

    def _answer_for(self, query: str) -> Page:
        """The page for one request on the redirect path (runs on the request's thread)."""
        params = parse_qs(query)
        state = params.get("state", [""])[0]
        if not secrets.compare_digest(state.encode(), self._state.encode()):
            log.info("ignored a request on the redirect URI without this authorization's state")
            return pages.wrong_state(self._who)
        with self._lock:
            first = self._result is None
            if first:
                self._result = _parse(query, self._state)
        if first and isinstance(self._result, SpprovError):
            page = _failure_page(self._who, params, self._result)
            with self._lock:
                self._outcome = page
            self._outcome_known.set()
        if first:
            self._done.set()
            if self._wake is not None:
                self._wake.set()
        self._outcome_known.wait(OUTCOME_WAIT_SECONDS)
        with self._lock:
            return self._outcome or pages.still_working(self._who)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = SLOW_CONNECTION_SECONDS  # applied to the socket by StreamRequestHandler

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urlsplit(self.path)
                if parts.path != listener._path:
                    self._answer(pages.NOT_FOUND)
                    return
                page = listener._answer_for(parts.query)
                try:
                    self._answer(page)
                finally:
                    if page is listener._outcome:
                        listener._delivered.set()

            def _answer(self, page: Page) -> None:
                body = page.html()
                self.send_response(page.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Content-Security-Policy",
                                 "default-src 'none'; style-src 'unsafe-inline'")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # The request line holds the code: never log it.
                log.debug("loopback listener answered a request")

        return Handler


def _parse(query: str, state: str) -> Callback | SpprovError:
    try:
        return parse_callback_query(query, state)
    except SpprovError as exc:
        return exc


def _failure_page(who: Who, params: dict[str, list[str]], error: SpprovError) -> Page:
    if "error" in params:
        return pages.denied(who, params["error"][0])
    return pages.failed(who, str(error))
