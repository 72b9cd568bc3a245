"""A one-shot HTTP listener on the app's loopback redirect URI (RFC 8252 style)."""

from __future__ import annotations

import http.server
import logging
import threading
from types import TracebackType
from urllib.parse import urlsplit

from spprov.amazon.consent import Callback, parse_callback_query
from spprov.errors import AuthorizationError, SpprovError

log = logging.getLogger("spprov.amazon.loopback")

_DONE_PAGE = (b"<!doctype html><title>spprov</title><h1>Authorized</h1>"
              b"<p>spprov received the authorization. You can close this tab.</p>")
_FAILED_PAGE = (b"<!doctype html><title>spprov</title><h1>Not authorized</h1>"
                b"<p>spprov could not use this authorization; see the terminal.</p>")


class LoopbackListener:
    """Receives one redirect on the redirect URI's host, port and path, then stops."""

    def __init__(self, redirect_uri: str, expected_state: str) -> None:
        parts = urlsplit(redirect_uri)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._path = parts.path or "/"
        self._state = expected_state
        self._done = threading.Event()
        self._result: Callback | SpprovError | None = None
        self._server: http.server.HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LoopbackListener:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Bind before the browser opens, so the redirect cannot arrive too early."""
        try:
            self._server = http.server.HTTPServer((self._host, self._port), self._handler())
        except OSError as exc:
            raise AuthorizationError(
                f"cannot listen on {self._host}:{self._port} for the redirect ({exc.strerror}); "
                "is another authorization running?") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening (idempotent)."""
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
            raise self._result
        assert self._result is not None
        return self._result

    def _receive(self, query: str) -> bool:
        try:
            self._result = parse_callback_query(query, self._state)
        except SpprovError as exc:
            self._result = exc
        self._done.set()
        return isinstance(self._result, Callback)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                parts = urlsplit(self.path)
                if parts.path != listener._path or listener._done.is_set():
                    self._answer(404, b"not found")
                    return
                ok = listener._receive(parts.query)
                self._answer(200 if ok else 400, _DONE_PAGE if ok else _FAILED_PAGE)

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # The request line holds the code: never log it.
                log.debug("loopback listener answered a request")

        return Handler
