"""The one HTTP client of spprov: Login with Amazon tokens and the SP-API calls spprov makes.

Every request is routed by ``SPPROV_AMAZON_URL`` (see ``spprov.amazon.routing``), has a timeout,
and is retried on 429, 5xx and connection errors when that is safe. This is the only
module that sees httpx errors; they leave it as ``spprov.errors`` types.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

from spprov.amazon.retry import Failure, RetryPolicy, UnsafeToRetry, parse_retry_after, with_retries
from spprov.amazon.routing import (
    amazon_url_from_env,
    error_fields,
    is_loopback_host,
    json_object,
    loggable,
    route,
    sp_api_error,
    token_error,
)
from spprov.errors import (
    AmazonError,
    InvalidGrantError,
    NotEnrolledError,
    SpprovError,
    TransientAmazonError,
)
from spprov.escape import url_excerpt
from spprov.hints import run_authorize
from spprov.regions import LWA_TOKEN_URL, endpoint_of
from spprov.secret import Secret

__all__ = ["AccessTokenCache", "ClientCredentials", "LwaClient", "RetryPolicy", "TokenGrant",
           "amazon_url_from_env", "route"]

log = logging.getLogger("spprov.amazon.lwa")

SELLERS_PATH = "/sellers/v1/marketplaceParticipations"


def sp_api_url(endpoint: str, path: str) -> str:
    """The URL of an SP-API call, only ever on an endpoint of the regions table: a state
    file's ``sp_api_endpoint`` is repository text, and an access token sent to any other
    host would be handed to whoever wrote it."""
    known = endpoint_of(endpoint)
    if known is None:
        raise SpprovError(f"{url_excerpt(endpoint)} is not an SP-API endpoint (one of "
                          "https://sellingpartnerapi-{na,eu,fe}.amazon.com or its sandbox.); "
                          "no request was sent")
    return known.url + path
ROTATION_PATH = "/applications/2023-11-30/clientSecret"
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
EXPIRY_MARGIN_SECONDS = 60
_FORM = "application/x-www-form-urlencoded;charset=UTF-8"
# Connection errors raised before any byte of the request left: Amazon saw nothing.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class ClientCredentials:
    """An LWA app's client id and secret; ``app`` names it in messages when known."""

    client_id: str
    client_secret: Secret
    app: str | None = None


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint answers for a code or a refresh token."""

    access_token: Secret
    refresh_token: Secret
    expires_in: int


class AccessTokenCache:
    """Access tokens per (client id, refresh token), reused until 60 s before expiry."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, Secret], tuple[Secret, float]] = {}
        self._key_locks: dict[tuple[str, Secret], threading.Lock] = {}

    def get(self, key: tuple[str, Secret]) -> Secret | None:
        """The cached token if it is good for more than the margin."""
        with self._lock:
            entry = self._tokens.get(key)
        if entry is None or self._clock() >= entry[1] - EXPIRY_MARGIN_SECONDS:
            return None
        return entry[0]

    def put(self, key: tuple[str, Secret], token: Secret, expires_at: float) -> None:
        """Remember a token until ``expires_at`` (by the cache's clock)."""
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def key_lock(self, key: tuple[str, Secret]) -> threading.Lock:
        """One lock per key, so concurrent callers refresh a token once."""
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def __repr__(self) -> str:
        return f"AccessTokenCache({len(self._tokens)} tokens)"


def tls_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """The process's one TLS context per CA bundle: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``
    of ``environ`` (as httpx reads them), else certifi's; ``None`` ignores the environment
    (loopback). Building one reads the whole bundle (about 30 ms), and a context is safe to
    share between clients and threads; the cache is keyed by the bundle, so one run's
    variables are never another's."""
    if environ is not None and environ.get("SSL_CERT_FILE"):
        return _tls_context(cafile=environ["SSL_CERT_FILE"])
    if environ is not None and environ.get("SSL_CERT_DIR"):
        return _tls_context(capath=environ["SSL_CERT_DIR"])
    return _tls_context()


@functools.cache
def _tls_context(cafile: str | None = None, capath: str | None = None) -> ssl.SSLContext:
    if cafile is None and capath is None:
        import certifi  # httpx's own dependency, and its default bundle
        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)


def _prefix(label: str | None) -> str:
    return f"{label}: " if label else ""


class LwaClient:
    """Talks to LWA and SP-API; thread-safe, one httpx.Client inside."""

    def __init__(self, *, amazon_url: str | None = None, timeout: float = 15.0,
                 retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, shared safely
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        # None: Amazon itself. The CLI passes amazon_url_from_env(environ) (the emulator).
        self._amazon_url = amazon_url
        # Only to say where a rejected client secret came from (its variable, or a file).
        self._environ: Mapping[str, str] = environ or {}
        self._retry = retry
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._cache = AccessTokenCache(clock)
        # Told of every 429 with its Retry-After, so bulk checks can slow down (pacing).
        self.on_throttle: Callable[[float | None], None] | None = None
        # Proxy settings from the environment must not divert loopback emulator traffic.
        routed_to_loopback = self._amazon_url is not None and is_loopback_host(
            httpx.URL(self._amazon_url).host)
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False,
                                  trust_env=not routed_to_loopback,
                                  verify=tls_context(None if routed_to_loopback else self._environ))

    def __repr__(self) -> str:
        return f"LwaClient(amazon_url={self._amazon_url!r})"

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> LwaClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- LWA grants -------------------------------------------------------------------

    def exchange_code(self, client: ClientCredentials, code: Secret, redirect_uri: str, *,
                      label: str | None = None) -> TokenGrant:
        """Exchange a consent's single-use code, retried like any token request.

        Retrying is safe (RFC 6749 4.1.2): a code that an earlier attempt consumed is refused
        with invalid_grant, so a retry can only turn a lost answer into a kept consent. When
        that happens, the error says the failed attempt used the code up.
        """
        form: dict[str, str | Secret] = {"grant_type": "authorization_code", "code": code,
                                         "redirect_uri": redirect_uri}
        invalid = f"{_prefix(label)}authorization code expired or already used: authorize again"
        lost: list[Failure] = []
        try:
            data = self._token_request(client, form, invalid, replay_safe=True, lost=lost)
        except InvalidGrantError as exc:
            if not lost:
                raise
            again = f"{run_authorize(label)}" if label else "authorize again"
            raise InvalidGrantError(
                f"{_prefix(label)}the authorization code was used up by an attempt whose "
                f"answer was lost ({lost[-1].description}); the person must authorize "
                f"again: {again}", exc.status, exc.error) from None
        return _grant(data, None)

    def refresh(self, client: ClientCredentials, refresh_token: Secret, *,
                label: str | None = None) -> TokenGrant:
        """A new access token for a refresh token; fills the cache."""
        started = self._clock()
        form: dict[str, str | Secret] = {"grant_type": "refresh_token",
                                         "refresh_token": refresh_token}
        if label:
            invalid = f"{label}: refresh token revoked or expired: {run_authorize(label)}"
        else:
            invalid = (f"refresh token revoked or expired: {run_authorize()} "
                       "for the credential")
        grant = _grant(self._token_request(client, form, invalid, replay_safe=True),
                       refresh_token)
        expires_at = started + grant.expires_in
        for token in {refresh_token, grant.refresh_token}:
            self._cache.put((client.client_id, token), grant.access_token, expires_at)
        return grant

    def access_token(self, client: ClientCredentials, refresh_token: Secret, *,
                     label: str | None = None) -> Secret:
        """A usable access token: cached until 60 s before expiry, else refreshed."""
        key = (client.client_id, refresh_token)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        with self._cache.key_lock(key):
            cached = self._cache.get(key)  # another thread may have refreshed meanwhile
            if cached is not None:
                return cached
            return self.refresh(client, refresh_token, label=label).access_token

    def grantless_token(self, client: ClientCredentials, scope: str) -> Secret:
        """An access token without a selling partner (client_credentials grant)."""
        form: dict[str, str | Secret] = {"grant_type": "client_credentials", "scope": scope}
        invalid = f"LWA refused the grantless token for scope {scope}"
        data = self._token_request(client, form, invalid, replay_safe=True)
        return Secret(_required_str(data, "access_token"))

    # -- SP-API -----------------------------------------------------------------------

    def marketplace_participations(self, endpoint: str,
                                   access_token: Secret) -> list[dict[str, Any]]:
        """``GET /sellers/v1/marketplaceParticipations``: proves a token works on ``endpoint``."""
        response = self._send("GET", sp_api_url(endpoint, SELLERS_PATH), replay_safe=True,
                              headers={"x-amz-access-token": access_token.reveal()})
        if response.status_code != 200:
            raise sp_api_error(endpoint, response)
        payload = json_object(response).get("payload")
        if not isinstance(payload, list):
            raise AmazonError(f"{endpoint} answered without a payload list", 200)
        return payload

    def rotate_client_secret(self, endpoint: str, grantless_token: Secret) -> None:
        """Ask Amazon to rotate the app's secret; the new one arrives by SQS notification.

        Sent once, never retried: Amazon may have rotated on a lost answer, and its usage
        plan (0.0167 requests/s, burst 1) refuses a second try within the minute anyway.
        """
        try:
            response = self._send("POST", sp_api_url(endpoint, ROTATION_PATH),
                                  replay_safe=False, policy=_ONCE,
                                  headers={"x-amz-access-token": grantless_token.reveal()})
        except UnsafeToRetry as exc:
            raise AmazonError(
                f"the client secret rotation failed after it was sent "
                f"({exc.failure.description}); Amazon may have rotated the secret: wait for "
                "the APPLICATION_OAUTH_CLIENT_NEW_SECRET notification before trying again",
                exc.failure.status) from None
        except TransientAmazonError as exc:
            if exc.status != 429:
                raise
            raise AmazonError(ROTATION_THROTTLED, 429, "QuotaExceeded") from None
        if response.status_code == 400 and _not_enrolled(response):
            raise NotEnrolledError(
                f"{endpoint}: the app is not enrolled for rotation notifications", 400,
                "InvalidInput")
        if response.status_code != 204:
            raise sp_api_error(endpoint, response)

    # -- plumbing ---------------------------------------------------------------------

    def _token_request(self, client: ClientCredentials, form: dict[str, str | Secret],
                       invalid_grant: str, *, replay_safe: bool,
                       lost: list[Failure] | None = None) -> dict[str, Any]:
        fields = {**form, "client_id": client.client_id, "client_secret": client.client_secret}
        body = urlencode({k: v.reveal() if isinstance(v, Secret) else v
                          for k, v in fields.items()})
        response = self._send("POST", LWA_TOKEN_URL, replay_safe=replay_safe, lost=lost,
                              content=body.encode(), headers={"Content-Type": _FORM})
        if response.status_code == 200:
            return json_object(response)
        raise token_error(response, client.client_id, client.app, invalid_grant, self._environ)

    def _send(self, method: str, url: str, *, replay_safe: bool,
              lost: list[Failure] | None = None, policy: RetryPolicy | None = None,
              **kwargs: Any) -> httpx.Response:
        """Send with retries; failed attempts Amazon may have acted on are added to ``lost``."""
        routed = route(url, self._amazon_url)

        def attempt(number: int) -> httpx.Response | Failure:
            outcome = self._attempt(method, routed, number, **kwargs)
            if lost is not None and isinstance(outcome, Failure) \
                    and outcome.may_have_been_processed:
                lost.append(outcome)
            return outcome

        return with_retries(attempt, policy or self._retry, replay_safe=replay_safe,
                            clock=self._clock, sleep=self._sleep, rng=self._rng)

    def _attempt(self, method: str, url: str, number: int,
                 **kwargs: Any) -> httpx.Response | Failure:
        started = time.monotonic()
        where = f"{method} {loggable(url)}"
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            log.debug("%s -> %s (attempt %d, %.0f ms)", where, type(exc).__name__, number,
                      (time.monotonic() - started) * 1000)
            return Failure(f"{where}: {_describe(exc)}",
                           may_have_been_processed=not isinstance(exc, _NOT_SENT))
        log.debug("%s -> %d (attempt %d, %.0f ms)", where, response.status_code, number,
                  (time.monotonic() - started) * 1000)
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if status == 429 and self.on_throttle is not None:
                self.on_throttle(retry_after)
            return Failure(f"{where} answered HTTP {status}", status, retry_after,
                           may_have_been_processed=status != 429)
        return response


_ONCE = RetryPolicy(attempts=1)
ROTATION_THROTTLED = (
    "Amazon refused the client secret rotation: it allows one a minute (usage plan 0.0167 "
    "requests/s, burst 1); wait a minute and run again (a notification of the earlier "
    "rotation is collected first)")


def _not_enrolled(response: httpx.Response) -> bool:
    _, message = error_fields(response)
    return "not enrolled" in message


def _describe(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return f"connection failed ({type(exc).__name__})"


def _required_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise AmazonError(f"the LWA token endpoint answered without {key}")
    return value


def _grant(data: dict[str, Any], sent_refresh_token: Secret | None) -> TokenGrant:
    access_token = Secret(_required_str(data, "access_token"))
    returned = data.get("refresh_token")
    if isinstance(returned, str) and returned:
        refresh_token = Secret(returned)
    elif sent_refresh_token is not None:
        refresh_token = sent_refresh_token
    else:
        raise AmazonError("the LWA token endpoint answered without refresh_token")
    expires_in = data.get("expires_in", 3600)
    return TokenGrant(access_token, refresh_token,
                      expires_in if isinstance(expires_in, int) else 3600)
