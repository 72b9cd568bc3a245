"""HTTP plumbing: ``https://HOST/PATH`` is served at ``/HOST/PATH``; controls at ``/_emulator/``."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

from spprov.emulator.consent import CONSENT_HOSTS, consent
from spprov.emulator.controls import control
from spprov.emulator.lwa import TOKEN_HOST, TOKEN_PATH, token_endpoint
from spprov.emulator.messages import NOT_FOUND, Request, Response, json_response
from spprov.emulator.sellingpartner import ENDPOINT_HOSTS, request_kind, sp_api
from spprov.emulator.state import Faults, World

log = logging.getLogger("spprov.emulator")

CONTROL_PREFIX = "_emulator"
MAX_BODY_BYTES = 1 << 20


class Emulator:
    """The emulator in a background thread: ``with Emulator() as emu: emu.url``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 auto_approve: bool = False, sqs_endpoint_url: str | None = None) -> None:
        self.world = World(auto_approve=auto_approve)
        self.world.sqs_endpoint_url = sqs_endpoint_url
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread."""
        server_class = _Server6 if ":" in self._address[0] else _Server
        self._server = server_class(self._address, _Handler)
        self._server.dispatch = self.handle
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="spprov-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def handle(self, request: Request) -> Response:
        """Route one request by its first path segment, the original host."""
        if request.host == CONTROL_PREFIX:
            return control(self.world, request)
        if request.host == TOKEN_HOST and request.path == TOKEN_PATH:
            return self._faulty("token", request, token_endpoint)
        if request.host in ENDPOINT_HOSTS:
            return self._faulty(request_kind(request), request, sp_api)
        if request.host in CONSENT_HOSTS:
            self.world.count("consent")
            return consent(self.world, request)
        self.world.count("not_found")
        return NOT_FOUND

    def _faulty(self, kind: str, request: Request,
                serve: Callable[[World, Request], Response]) -> Response:
        """Serve with the injected latency and failures of the faults control."""
        self.world.count(kind)
        latency = self.world.faults.latency_ms
        if latency > 0:
            time.sleep(latency / 1000)
        fault = self.world.draw_fault()
        if fault is None:
            return serve(self.world, request)
        if fault.after_consume:
            serve(self.world, request)  # the work is done; only the answer is lost
        return _fault_response(kind, fault)


def _fault_response(kind: str, fault: Faults) -> Response:
    if fault.drop_connection:
        return Response(status=0, drop=True)
    headers = (("Retry-After", str(fault.retry_after)),) if fault.retry_after is not None else ()
    status = fault.error_status
    if kind == "token":
        error = "temporarily_unavailable" if status in (429, 503) else "server_error"
        return json_response(status, {"error": error,
                                      "error_description": "injected by the emulator"}, headers)
    code = "QuotaExceeded" if status == 429 else "InternalFailure"
    return json_response(status, {"errors": [{"code": code, "message": "injected by the emulator",
                                              "details": ""}]}, headers)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # many concurrent refreshes connect at once
    dispatch: Callable[[Request], Response]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per answer (flushed by http.server) and no Nagle delay: without
    # them every keep-alive request waits for a delayed ACK (~40 ms).
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        request = self._request()
        if request is None:
            return
        try:
            response = self.server.dispatch(request)
        except Exception:  # noqa: BLE001 - an emulator bug must answer, not hang the client
            log.exception("emulator error on %s /%s%s", request.method, request.host, request.path)
            response = json_response(500, {"error": "server_error",
                                           "error_description": "emulator bug, see its log"})
        if response.drop:
            self.close_connection = True
        else:
            self._write(response)
        # Never the query string: it may carry a state or, on a redirect target, a code.
        log.debug("%s /%s%s -> %s (%.0f ms)", request.method, request.host, request.path,
                  "dropped" if response.drop else response.status,
                  (time.monotonic() - started) * 1000)

    def _request(self) -> Request | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(413)
            return None
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        host, _, rest = parts.path.lstrip("/").partition("/")
        headers = {name.lower(): value for name, value in self.headers.items()}
        return Request(self.command, host, "/" + rest, dict(parse_qsl(parts.query)),
                       headers, body)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's
        """Silence http.server's own request log; ``_serve`` logs without query strings."""
