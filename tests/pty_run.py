"""Run spprov with a pseudo-terminal as its stdout, to see what a person would see."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

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
