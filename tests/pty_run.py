"""Run spprov with a pseudo-terminal as its stdout (to see what a person would see) or as
its stdin (to type what a person would type)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import GitOps


@dataclass(frozen=True)
class TerminalResult:
    """Exit code, what reached the terminal (stdout), and stderr."""

    code: int
    terminal: str
    stderr: str


def run_with_pty_stdout(gitops: GitOps, *args: str, stderr_pty: bool = False) -> TerminalResult:
    """spprov ARGS in ``gitops.repo`` with stdout (and optionally stderr) on a pty."""
    main, secondary = os.openpty()
    home = gitops.repo.parent / "home"
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "spprov", *args], cwd=gitops.repo,
            env=clean_env(home, {**gitops.env, "NO_COLOR": "1"}), stdin=subprocess.DEVNULL,
            stdout=secondary, stderr=secondary if stderr_pty else subprocess.PIPE,
            timeout=60, check=False)
    finally:
        os.close(secondary)
    terminal = drain(main)
    stderr = "" if stderr_pty else completed.stderr.decode()
    return TerminalResult(completed.returncode, terminal.replace("\r\n", "\n"), stderr)


def drain(fd: int) -> str:
    """Everything written to the pty whose other end is closed."""
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other end is closed and everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode()


def paste_consent(gitops: GitOps, home: Path, landed: Path,
                  typed: Callable[[str], str]) -> tuple[int, str, str]:
    """``spprov authorize acme`` in paste mode, its stdin a terminal: once the browser
    stand-in wrote the address it landed on to ``landed`` (``SPPROV_BROWSER_LANDED``),
    type ``typed(address)``. Returns the exit code, stdout and stderr."""
    env = clean_env(home, {**gitops.env, "SPPROV_APP_ACME_CLIENT_SECRET": gitops.app.client_secret,
                           "SPPROV_BROWSER_LANDED": str(landed)})
    main, secondary = os.openpty()
    child = subprocess.Popen([sys.executable, "-m", "spprov", "authorize", "acme"],
                             cwd=gitops.repo, env=env, stdin=secondary, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    os.close(secondary)
    try:
        deadline = time.monotonic() + 30
        while not landed.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert landed.exists(), "the browser stand-in never reached the redirect"
        os.write(main, typed(landed.read_text().strip()).encode() + b"\n")
        stdout, stderr = child.communicate(timeout=30)
    finally:
        os.close(main)
        child.kill()
    return child.returncode, stdout, stderr
