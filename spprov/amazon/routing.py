"""Where Amazon's URLs go (``SPPROV_AMAZON_URL``, plain-http refusal) and what answers mean."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from spprov.errors import (
    AccessDeniedError,
    AmazonError,
    InvalidClientError,
    InvalidGrantError,
    PermanentAmazonError,
    UsageError,
)
from spprov.hints import client_secret_variable, rotate_secret_command

if TYPE_CHECKING:  # only annotations: the emulator's browser imports this module and
    import httpx  # should not pay for httpx

AMAZON_URL_VARIABLE = "SPPROV_AMAZON_URL"


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse_plain_http(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(f"{where}: refusing plain http to {parts.hostname}; secrets travel "
                         "only over https (plain http is allowed to loopback addresses only)")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{where}: {url!r} is not an http(s) URL")


def amazon_url_from_env(environ: Mapping[str, str]) -> str | None:
    """The emulator's base URL from ``SPPROV_AMAZON_URL``, validated; None when unset."""
    value = environ.get(AMAZON_URL_VARIABLE, "").strip()
    if not value:
        return None
    _refuse_plain_http(value, AMAZON_URL_VARIABLE)
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise UsageError(f"{AMAZON_URL_VARIABLE}: {value!r} must be a base URL without "
                         "query or fragment, e.g. http://127.0.0.1:8080")
    return value.rstrip("/")


def route(url: str, amazon_url: str | None) -> str:
    """``https://HOST/PATH?Q`` -> ``{amazon_url}/HOST/PATH?Q``; unchanged without amazon_url."""
    _refuse_plain_http(url, "Amazon URL")
    if amazon_url is None:
        return url
    parts = urlsplit(url)
    if parts.scheme != "https":
        return url  # already a loopback address, e.g. the emulator itself
    base = urlsplit(amazon_url.rstrip("/"))
    return urlunsplit((base.scheme, base.netloc, f"{base.path}/{parts.netloc}{parts.path}",
                       parts.query, ""))


def loggable(url: str) -> str:
    """A URL fit for logs: the query string (state, codes) is left out."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise AmazonError(f"{loggable(str(response.request.url))} answered HTTP "
                          f"{response.status_code} without a JSON object", response.status_code)
    return data


def error_fields(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    if isinstance(data.get("errors"), list) and data["errors"]:
        first = data["errors"][0] if isinstance(data["errors"][0], dict) else {}
        return str(first.get("code", "")), str(first.get("message", ""))
    return str(data.get("error", "")), str(data.get("error_description", ""))


def token_error(response: httpx.Response, client_id: str, app: str | None,
                invalid_grant: str, environ: Mapping[str, str]) -> AmazonError:
    """The error for a refused token request; ``environ`` tells where the secret came from."""
    status = response.status_code
    error, description = error_fields(response)
    if error == "invalid_grant":
        return InvalidGrantError(invalid_grant, status, error)
    if error == "invalid_client" or status == 401:
        return InvalidClientError(rejected_secret(client_id, app, environ), status, error or None)
    # Amazon's descriptions carry no secrets; the emulator's neither. Keep them short.
    return PermanentAmazonError(
        f"the LWA token endpoint refused the request: HTTP {status} {error or 'error'}"
        f"{': ' + description[:200] if description else ''}", status, error or None)


def rejected_secret(client_id: str, app: str | None, environ: Mapping[str, str]) -> str:
    """What to do when LWA refuses an app's client secret, naming where the secret came from."""
    name = app or "APP"
    variable = client_secret_variable(name)
    if app is not None and environ.get(variable):
        return (f"client secret rejected for client {client_id}: it comes from {variable}; "
                f"set it to the app's current secret, or rotate it with "
                f"`{rotate_secret_command(name)}` and then update {variable}")
    return (f"client secret rejected for client {client_id}: rotate it with "
            f"`{rotate_secret_command(name)}`, or store the current one with "
            f"`spprov app set-secret {name}`")


def sp_api_error(endpoint: str, response: httpx.Response) -> AmazonError:
    status = response.status_code
    code, message = error_fields(response)
    detail = f"{code}: {message}" if code else f"HTTP {status}"
    if status == 403:
        return AccessDeniedError(
            f"{endpoint} rejected the access token ({detail[:200]}); a token works only on "
            "the endpoints of the region where the partner consented", status, code or None)
    return PermanentAmazonError(f"{endpoint} answered HTTP {status} ({detail[:200]})", status,
                                code or None)
