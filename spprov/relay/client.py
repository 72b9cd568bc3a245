"""The relay's admin API as spprov calls it (``spprov invite``, ``spprov apply``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from spprov.amazon.lwa import tls_context
from spprov.amazon.routing import is_loopback_host
from spprov.relay.protocol import ADMIN_PATH, TOKEN_ENV, Invitation, RelayError
from spprov.secret import Secret


def relay_token(environ: Mapping[str, str]) -> Secret:
    """The admin token from SPPROV_RELAY_TOKEN; a RelayError says what to set otherwise."""
    token = environ.get(TOKEN_ENV, "")
    if not token:
        raise RelayError(f"{TOKEN_ENV} is not set: set it to the token the relay was started "
                         "with (its admin API refuses requests without it)")
    return Secret(token)


class RelayClient:
    """One relay's admin API over HTTPS (plain HTTP only on loopback)."""

    def __init__(self, base_url: str, token: Secret, timeout: float = 15.0,
                 transport: httpx.BaseTransport | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        loopback = is_loopback_host(httpx.URL(self.base_url).host)
        self._token = token
        self._http = httpx.Client(timeout=timeout, transport=transport, trust_env=not loopback,
                                  verify=tls_context(None if loopback else (environ or {})),
                                  follow_redirects=False)

    def __repr__(self) -> str:
        return f"RelayClient({self.base_url!r})"

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> RelayClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def add_invitation(self, invitation: Invitation) -> None:
        """Register an invitation; its link works from now until it expires."""
        self._call("POST", "/invitations", 201, json=invitation.to_json())

    def delete_invitation(self, invitation_id: str) -> None:
        """Forget an invitation and its grant (after collection, or when replaced)."""
        self._call("DELETE", f"/invitations/{invitation_id}", 204)

    def sealed_grants(self, invitation_ids: list[str]) -> dict[str, str]:
        """The sealed grants waiting for these invitations."""
        if not invitation_ids:
            return {}
        body = self._call("POST", "/grants/query", 200, json={"invitation_ids": invitation_ids})
        grants = body.get("grants") if isinstance(body, dict) else None
        if not isinstance(grants, dict) or not all(isinstance(v, str) for v in grants.values()):
            raise RelayError(f"relay {self.base_url} answered without a grants object")
        return {str(k): v for k, v in grants.items()}

    def _call(self, method: str, path: str, expected: int, **kwargs: Any) -> Any:
        url = f"{self.base_url}{ADMIN_PATH}{path}"
        headers = {"Authorization": f"Bearer {self._token.reveal()}"}
        try:
            response = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise RelayError(f"relay {self.base_url} cannot be reached "
                             f"({type(exc).__name__}); check that it runs") from None
        if response.status_code == 401:
            raise RelayError(f"relay {self.base_url} refused the token in {TOKEN_ENV}; set it "
                             "to the token the relay was started with")
        if response.status_code != expected:
            raise RelayError(f"relay {self.base_url} answered HTTP {response.status_code} to "
                             f"{method} {ADMIN_PATH}{path}: {_error(response)}")
        return response.json() if response.content else None


def _error(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return "no JSON error"
    message = data.get("error") if isinstance(data, dict) else None
    return str(message)[:200] if message else "no error message"
