"""A real relay (`spprov relay serve` under uvicorn, SQLite) beside the emulator, and a
seller who follows an invitation link with a cookie-keeping HTTP client."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from spprov.amazon.lwa import tls_context
from spprov.relay.server import RelayServer, ServeOptions
from tests.fixtures_cli import clean_env
from tests.fixtures_emulator import EmulatorHandle
from tests.fixtures_gitops import GitOps

RELAY_TOKEN = "relay-token-0123456789abcdef"  # noqa: S105 - test data
CLIENT_SECRET = "amzn1.oa2-cs.v1.relaysecret"  # noqa: S105 - test data


@dataclass
class RelayProcess:
    """A running `spprov relay serve`."""

    url: str
    process: subprocess.Popen[str]
    db: Path
    stderr_path: Path

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def logs(self) -> str:
        return self.stderr_path.read_text()


def start_relay(folder: Path, home: Path, emulator_url: str, db: Path | None = None,
                *extra: str) -> RelayProcess:
    """Start a relay on a free loopback port and read its base URL from stdout."""
    folder.mkdir(parents=True, exist_ok=True)
    db = db or folder / "relay.sqlite3"
    stderr_path = folder / f"relay-{len(list(folder.glob('relay-*.log')))}.log"
    env = clean_env(home, relay_environ(emulator_url))
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "spprov", "relay", "serve", "--port", "0", "--db", str(db),
             *extra], stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), stderr_path.read_text()
    return RelayProcess(url, process, db, stderr_path)


@dataclass
class InProcessRelay:
    """The same relay (uvicorn over loopback, SQLite) in a thread of the test: it starts in
    milliseconds, not the second a new process takes to import the web stack."""

    url: str
    server: RelayServer
    db: Path

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.server.stop()
        return 0


Relay = RelayProcess | InProcessRelay


def relay_environ(emulator_url: str) -> dict[str, str]:
    return {"SPPROV_RELAY_TOKEN": RELAY_TOKEN, "SPPROV_AMAZON_URL": emulator_url,
            "SPPROV_APP_ACME_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def relay(request: pytest.FixtureRequest, tmp_path: Path, home: Path,
          emulator: EmulatorHandle) -> Iterator[Relay]:
    """A relay for app `acme` (its client secret is CLIENT_SECRET), routed to the emulator:
    in-process, or `spprov relay serve` for tests marked ``relay_process``."""
    running: Relay
    if request.node.get_closest_marker("relay_process"):
        running = start_relay(tmp_path / "relay", home, emulator.url)
    else:
        db = tmp_path / "relay.sqlite3"
        server = RelayServer(ServeOptions("127.0.0.1", 0, None, db),
                             relay_environ(emulator.url)).start()
        running = InProcessRelay(server.url, server, db)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def relayed(gitops: GitOps, relay: Relay) -> GitOps:
    """``gitops`` whose app `acme` declares the relay (its redirect URI is RELAY/callback)."""
    gitops.app = gitops.emulator.register_app(redirect_uris=(f"{relay.url}/callback",),
                                              client_secret=CLIENT_SECRET)
    gitops.env.update({"SPPROV_APP_ACME_CLIENT_SECRET": CLIENT_SECRET,
                       "SPPROV_RELAY_TOKEN": RELAY_TOKEN})
    gitops.env.pop("BROWSER", None)
    return gitops


def declare_relayed(gitops: GitOps, relay: Relay,
                    credentials: list[dict[str, object]]) -> None:
    """credentials.yaml with app `acme` behind the relay."""
    gitops.declare(credentials, relay=relay.url)


@dataclass
class Seller:
    """A person in a browser: follows links and redirects, keeps cookies."""

    emulator: EmulatorHandle
    http: httpx.Client = field(default_factory=lambda: httpx.Client(
        trust_env=False, timeout=30, verify=tls_context()))
    pages: list[httpx.Response] = field(default_factory=list)

    def open(self, url: str) -> httpx.Response:
        response = self.http.get(url)
        self.pages.append(response)
        return response

    def start(self, link: str) -> str:
        """Open the link, continue to Amazon: the consent page's address."""
        landing = self.open(link)
        assert landing.status_code == 200, landing.text
        href = re.search(r'<a class="button" href="([^"]+)"', landing.text)
        assert href is not None, landing.text
        started = self.http.get(href[1].replace("&amp;", "&"))
        assert started.status_code == 303, started.text
        return started.headers["location"]

    def decide(self, consent: str, decision: str = "approve",
               account: str | None = None) -> str:
        """Approve (or deny) at the emulator's consent page: where Amazon sends back."""
        headers = {"X-Emulator-Account": account} if account else {}
        answer = self.http.post(consent, data={"decision": decision}, headers=headers)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def consent(self, link: str, decision: str = "approve",
                account: str | None = None) -> httpx.Response:
        """The whole journey: link, landing, consent, back at the relay."""
        return self.open(self.decide(self.start(link), decision, account))

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def seller(emulator: EmulatorHandle) -> Iterator[Seller]:
    person = Seller(emulator)
    try:
        yield person
    finally:
        person.close()
