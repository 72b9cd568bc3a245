"""``spprov relay serve``: the relay under uvicorn, until SIGTERM.

The first line on stdout is the relay's base URL (as the emulator prints its own), so a
script or a test can start it on port 0 and read where it listens. Logs go to stderr, one
JSON object per line; uvicorn's access log is off because a callback's query carries the
``state`` and the code.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
import uvicorn

from spprov.amazon.lwa import LwaClient, amazon_url_from_env
from spprov.amazon.routing import is_loopback_host
from spprov.errors import UsageError
from spprov.hints import client_secret_variable
from spprov.relay.app import RelaySettings, create_app
from spprov.relay.database import open_database
from spprov.relay.journey import Journey
from spprov.relay.protocol import TOKEN_ENV
from spprov.secret import Secret

DEFAULT_DB = "spprov-relay.sqlite3"
# Callbacks wait on Amazon (the exchange, then the sellers call): threads, not CPU, bound
# how many sellers finish at once.
WORKER_THREADS = 128
MIN_TOKEN_CHARS = 16


@dataclass(frozen=True)
class ServeOptions:
    """What ``spprov relay serve`` was given."""

    host: str
    port: int
    public_url: str | None
    db: Path
    rate_per_minute: float = 120.0


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger and the message (or its event)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                                 "level": record.levelname.lower(), "logger": record.name}
        try:
            parsed = json.loads(message)
        except ValueError:
            parsed = None
        entry.update(parsed if isinstance(parsed, dict) else {"message": message})
        if record.exc_info and record.exc_info[0] is not None:
            # Where it failed and the type, never the message: it may quote a request.
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, sort_keys=True)


def admin_token(environ: Mapping[str, str]) -> Secret:
    """The admin API's token from SPPROV_RELAY_TOKEN; a UsageError when missing or short."""
    token = environ.get(TOKEN_ENV, "")
    if len(token) < MIN_TOKEN_CHARS:
        raise UsageError(f"{TOKEN_ENV} must be set to a random token of at least "
                         f"{MIN_TOKEN_CHARS} characters (e.g. `openssl rand -hex 32`); "
                         "spprov invite and apply send the same one")
    return Secret(token)


def _public_url(options: ServeOptions, port: int) -> str:
    if options.public_url is None:
        host = f"[{options.host}]" if ":" in options.host else options.host
        if not is_loopback_host(options.host):
            raise UsageError("--public-url is required when the relay listens beyond "
                             "loopback: give the https address sellers and Amazon reach")
        return f"http://{host}:{port}"
    parts = urlsplit(options.public_url)
    allowed = parts.scheme == "https" or (parts.scheme == "http"
                                          and is_loopback_host(parts.hostname))
    if allowed and parts.hostname and not parts.query and not parts.fragment:
        return options.public_url.rstrip("/")
    raise UsageError(f"--public-url {options.public_url!r} must be an https base URL (http "
                     "only on loopback), without query or fragment")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def configure_logging() -> None:
    """JSON lines on stderr for the relay's and uvicorn's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("spprov.relay", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def client_secrets(environ: Mapping[str, str]) -> Any:
    """A lookup of each app's client secret in SPPROV_APP_<APP>_CLIENT_SECRET."""
    def lookup(app: str) -> Secret | None:
        value = environ.get(client_secret_variable(app))
        return Secret(value) if value else None
    return lookup


class RelayServer:
    """One relay: bound, configured, ready to run (in the foreground, or in a thread for a
    test or a benchmark)."""

    def __init__(self, options: ServeOptions, environ: Mapping[str, str]) -> None:
        token = admin_token(environ)
        amazon_url = amazon_url_from_env(environ)
        self._sock = _bind(options.host, options.port)
        try:
            self.url = _public_url(options, self._sock.getsockname()[1])
            database = open_database(options.db)
        except BaseException:
            self._sock.close()
            raise
        self._lwa = LwaClient(amazon_url=amazon_url)
        journey = Journey(database, self._lwa, client_secrets(environ), amazon_url)
        settings = RelaySettings(self.url, token, rate_per_minute=options.rate_per_minute)

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[None]:
            anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
            yield

        app = create_app(settings, journey, lifespan=lifespan)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=10, server_header=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until SIGTERM or Ctrl-C (uvicorn's handlers, in the main thread)."""
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self.close()

    def start(self) -> RelayServer:
        """Serve in a daemon thread until ``stop``."""
        self._thread = threading.Thread(target=self.run, name="spprov-relay", daemon=True)
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Finish the requests in flight and stop (idempotent)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        """Release the connections and the socket."""
        self._lwa.close()
        self._sock.close()


def serve(options: ServeOptions, environ: Mapping[str, str]) -> None:
    """Run the relay until SIGTERM or Ctrl-C; its base URL is stdout's first line."""
    server = RelayServer(options, environ)
    configure_logging()
    print(server.url, flush=True)
    server.run()
