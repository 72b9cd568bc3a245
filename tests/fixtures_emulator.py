"""Fixtures for the Amazon emulator: an in-process emulator on a free loopback port.

Tests talk to it over real HTTP, through the same `/_emulator/` controls the docs list,
so the fixture is also a check that those controls work.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from spprov.amazon.lwa import tls_context
from spprov.emulator.browser import write_browser_script
from spprov.emulator.server import Emulator
from spprov.emulator.state import World
from tests.programs import python_program

_app_numbers = itertools.count(1)


@dataclass(frozen=True)
class RegisteredApp:
    """An app registered with the emulator (test data, so the secret is a plain str)."""

    application_id: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    draft: bool = False

    @property
    def redirect_uri(self) -> str:
        return self.redirect_uris[0]


@dataclass(frozen=True)
class Consent:
    """Where the consent page redirected to, split into its parameters."""

    location: str
    params: dict[str, str]

    @property
    def code(self) -> str:
        return self.params["spapi_oauth_code"]


class EmulatorHandle:
    """Typed helpers over the emulator's HTTP controls."""

    def __init__(self, url: str, world: World | None = None) -> None:
        self.url = url
        self.world = world  # the in-process emulator's state, for snapshots of a setup
        # Plain HTTP on loopback; the shared context spares each test reading the CA bundle.
        self.http = httpx.Client(base_url=url, trust_env=False, timeout=10,
                                 verify=tls_context())

    def control(self, method: str, path: str, body: dict[str, Any] | None = None,
                **query: str) -> Any:
        response = self.http.request(method, f"/_emulator{path}", json=body,
                                     params=query or None)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def register_app(self, *, redirect_uris: tuple[str, ...] = ("https://app.example.com/cb",),
                     draft: bool = False, client_secret: str | None = None,
                     appstore_listed: bool = False) -> RegisteredApp:
        n = next(_app_numbers)
        app = RegisteredApp(f"amzn1.sp.solution.test-{n:04d}",
                            f"amzn1.application-oa2-client.test{n:04d}",
                            client_secret or f"amzn1.oa2-cs.v1.secret{n:04d}", redirect_uris,
                            draft)
        self.control("POST", "/apps", {
            "application_id": app.application_id, "client_id": app.client_id,
            "client_secret": app.client_secret, "redirect_uris": list(redirect_uris),
            "draft": draft, "appstore_listed": appstore_listed})
        return app

    def stats(self) -> dict[str, int]:
        return dict(self.control("GET", "/stats")["requests"])

    def reset_stats(self) -> None:
        self.control("POST", "/stats/reset")

    def faults(self, **settings: Any) -> None:
        self.control("POST", "/faults", settings)

    def revoke(self, refresh_token: str) -> None:
        self.control("POST", "/revoke", {"refresh_token": refresh_token})

    def advance_clock(self, seconds: float) -> None:
        self.control("POST", "/clock", {"advance_seconds": seconds})

    def set_account(self, account: str) -> None:
        self.control("POST", "/account", {"account": account})

    def selling_partner_id(self, account: str, region: str) -> str:
        data = self.control("GET", "/selling-partner-id", account=account, region=region)
        return str(data["selling_partner_id"])

    def refresh_tokens(self, client_id: str | None = None) -> list[dict[str, Any]]:
        query = {"client_id": client_id} if client_id else {}
        return list(self.control("GET", "/tokens", **query)["refresh_tokens"])

    def consent_path(self, app: RegisteredApp, consent_url: str = "https://sellercentral.amazon.com",
                     state: str = "state-1", **extra: str) -> str:
        query = {"application_id": app.application_id, "state": state,
                 "redirect_uri": app.redirect_uri, **extra}
        if app.draft:
            query.setdefault("version", "beta")
        return f"/{urlsplit(consent_url).netloc}/apps/authorize/consent?{urlencode(query)}"

    def consent(self, app: RegisteredApp, consent_url: str = "https://sellercentral.amazon.com",
                decision: str = "approve", account: str | None = None, **extra: str) -> Consent:
        """Approve (or deny) a consent page as a person would, without following the redirect."""
        headers = {"X-Emulator-Account": account} if account else {}
        response = self.http.post(self.consent_path(app, consent_url, **extra),
                                  data={"decision": decision}, headers=headers)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return Consent(location, params)

    def code(self, app: RegisteredApp, consent_url: str = "https://sellercentral.amazon.com",
             **extra: str) -> str:
        """A fresh authorization code for ``app`` in ``consent_url``'s region."""
        return self.consent(app, consent_url, **extra).code


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    """A fresh emulator on a free loopback port, stopped after the test."""
    with Emulator("127.0.0.1", 0) as running:
        handle = EmulatorHandle(running.url, running.world)
        try:
            yield handle
        finally:
            handle.http.close()


@pytest.fixture
def browser_script(tmp_path: Path) -> Path:
    """An executable for BROWSER that approves consent pages (see spprov.emulator.browser)."""
    return write_browser_script(tmp_path / "browser")


@pytest.fixture(scope="session")
def browser_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``browser_script`` does, started without ``site`` (tests/programs.py): the
    emulator's browser runs for every consent."""
    folder = tmp_path_factory.mktemp("browser")
    return python_program(folder / "browser", "spprov.emulator.browser")
