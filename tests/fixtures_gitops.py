"""A GitOps repository wired to the emulator: the setting of every reconciler test."""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures_cli import Result, RunSpprov
from tests.fixtures_emulator import EmulatorHandle, RegisteredApp

_PORT_BLOCK = 2000
_next_port = itertools.count()


def free_port() -> int:
    """A loopback port that is free right now (the app's redirect URI needs a fixed one).

    It is taken below the kernel's range for outgoing connections, from a block of its own
    per xdist worker: a port from that range could be the local end of some other test's
    connection by the time the consent listens on it ("port in use", seen once in 700).
    """
    block, first = _port_block()
    if first + block > _ephemeral_ports()[0]:
        return closed_port()
    for _ in range(block):
        port = first + next(_next_port) % block
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return closed_port()


def closed_port() -> int:
    """A loopback port nothing listens on right now (from the kernel's outgoing range)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_block() -> tuple[int, int]:
    """The size and first port of this worker's block.

    SPPROV_TESTS_PORT_SLOT (a small number) gives each of several suites running side by
    side on one machine (one per Git worktree) blocks of their own.
    """
    slot = os.environ.get("SPPROV_TESTS_PORT_SLOT", "")
    if not slot.isdigit():
        return _PORT_BLOCK, 10000 + _worker_number() * _PORT_BLOCK
    block = 700
    return block, 10000 + (int(slot) * 3 + _worker_number()) * block


def _worker_number() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker[2:]) if worker[2:].isdigit() else 0


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return int(low), int(high)


def tree_digest(root: Path) -> dict[str, str]:
    """Every file below root (outside .git) with the sha256 of its bytes."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.parts and path.name != ".spprov.lock"
    }


@dataclass
class GitOps:
    """A repository, the emulator behind it, and a way to run spprov there."""

    repo: Path
    emulator: EmulatorHandle
    app: RegisteredApp
    env: dict[str, str]
    run_spprov: RunSpprov

    def declare(self, credentials: list[dict[str, object]], **app_fields: object) -> None:
        """Write credentials.yaml with one app `acme` and these credentials."""
        app = {"application_id": self.app.application_id, "client_id": self.app.client_id,
               "redirect_uri": self.app.redirect_uri, **app_fields}
        document = {"version": 1, "apps": {"acme": app}, "credentials": credentials}
        (self.repo / "credentials.yaml").write_text(yaml.safe_dump(document, sort_keys=False))

    def run(self, *args: str, env: dict[str, str | None] | None = None,
            input: str | None = None, process: bool = False) -> Result:
        """spprov ARGS in the repository (a real process with ``process=True``)."""
        return self.run_spprov(*args, cwd=self.repo, env={**self.env, **(env or {})},
                               input=input, process=process)

    def state_file(self, name: str) -> Path:
        return self.repo / "state" / "credentials" / f"{name}.sops.yaml"

    def readable(self, name: str) -> dict[str, object]:
        data = yaml.safe_load(self.state_file(name).read_text())
        assert isinstance(data, dict)
        return data

    def readable_app(self, app: str) -> dict[str, str]:
        data = yaml.safe_load((self.repo / "state" / "apps" / f"{app}.sops.yaml").read_text())
        assert isinstance(data, dict)
        return data

    def browser(self, body: str) -> str:
        """Write a custom BROWSER program (Python, receiving the URL as argv[1])."""
        path = self.repo.parent / f"browser-{abs(hash(body))}"
        path.write_text(f"#!{sys.executable}\nimport sys, httpx\nurl = sys.argv[1]\n{body}\n")
        path.chmod(0o755)
        return str(path)

    def commit(self) -> None:
        subprocess.run(["git", "-C", str(self.repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(self.repo), "-c", "user.email=t@example.com", "-c",
                        "user.name=t", "commit", "-qm", "state", "--allow-empty"], check=True)

    def git_status(self) -> str:
        return subprocess.run(["git", "-C", str(self.repo), "status", "--porcelain"],
                              check=True, capture_output=True, text=True).stdout


US = {"seller_central_url": "https://sellercentral.amazon.com",
      "sp_api_endpoint": "https://sellingpartnerapi-na.amazon.com"}
EU = {"seller_central_url": "https://sellercentral-europe.amazon.com",
      "sp_api_endpoint": "https://sellingpartnerapi-eu.amazon.com"}


@pytest.fixture
def gitops(state_repo: Path, emulator: EmulatorHandle, browser_program: Path,
           age_env: dict[str, str], spprov: RunSpprov) -> GitOps:
    """An interactive-capable setup: loopback redirect URI, auto-approving browser."""
    # What `spprov init` writes to .gitignore: the lock and temporary files are not state.
    (state_repo / ".gitignore").write_text(".spprov.lock\n.spprov-tmp-*\n")
    app = emulator.register_app(redirect_uris=(f"http://127.0.0.1:{free_port()}/callback",))
    env = {**age_env, "SPPROV_AMAZON_URL": emulator.url, "BROWSER": str(browser_program),
           "SPPROV_APP_ACME_CLIENT_SECRET": app.client_secret}
    return GitOps(state_repo, emulator, app, env, spprov)


Declare = Callable[..., None]


@dataclass(frozen=True)
class AuthorizedSnapshot:
    """An authorized repository as the first test of a module left it, to copy from."""

    repo: Path
    identity: str
    world: dict[str, Any]
    app: RegisteredApp


# Per test process (xdist worker): (module, fixture) -> snapshot.
_SNAPSHOTS: dict[tuple[str, int], AuthorizedSnapshot] = {}


def authorized_repository(credentials: list[dict[str, object]], *apply_args: str,
                          commit: bool = False) -> Any:
    """A fixture: ``gitops`` with ``credentials`` declared and applied (consent included).

    A full consent costs a browser process, an apply and the sops binary, so it runs once
    per test module; every other test gets a copy of that repository, its age identity
    and the emulator's world (apps, grants, tokens, counters) as the first test had them.
    """
    args = apply_args or ("apply", "--yes")

    @pytest.fixture
    def fixture(request: pytest.FixtureRequest, gitops: GitOps,
                tmp_path_factory: pytest.TempPathFactory) -> GitOps:
        key = (request.module.__name__, id(fixture))
        snapshot = _SNAPSHOTS.get(key)
        if snapshot is not None:
            return restore(gitops, snapshot)
        gitops.declare(credentials)
        result = gitops.run(*args)
        assert result.code == 0, result.output
        if commit:
            gitops.commit()
        _SNAPSHOTS[key] = take_snapshot(gitops, tmp_path_factory.mktemp("authorized"))
        return gitops

    return fixture


def take_snapshot(gitops: GitOps, folder: Path) -> AuthorizedSnapshot:
    """Copy the repository, the identity and the emulator's world aside."""
    world = gitops.emulator.world
    assert world is not None
    shutil.copytree(gitops.repo, folder / "repo", symlinks=True)
    with world.lock:
        # Locks and events are the world's machinery, not its state: they stay in place.
        state = {key: copy.deepcopy(value) for key, value in vars(world).items()
                 if key not in ("lock", "rotation_answer_gate")}
    identity = Path(gitops.env["SOPS_AGE_KEY_FILE"]).read_text()
    return AuthorizedSnapshot(folder / "repo", identity, state, gitops.app)


def restore(gitops: GitOps, snapshot: AuthorizedSnapshot) -> GitOps:
    """Make this test's repository, identity and emulator equal to the snapshot."""
    shutil.rmtree(gitops.repo)
    shutil.copytree(snapshot.repo, gitops.repo, symlinks=True)
    Path(gitops.env["SOPS_AGE_KEY_FILE"]).write_text(snapshot.identity)
    world = gitops.emulator.world
    assert world is not None
    with world.lock:
        for key, value in snapshot.world.items():
            setattr(world, key, copy.deepcopy(value))
    gitops.app = snapshot.app
    gitops.env["SPPROV_APP_ACME_CLIENT_SECRET"] = snapshot.app.client_secret
    return gitops
