"""Run spprov as a user would, with an environment the test controls.

The environment is rebuilt from scratch for every run so that what happens to be set on
the developer's machine or in CI (CI=true, SOPS_AGE_KEY_FILE, SPPROV_*) cannot change
the outcome; tests that want such a variable pass it explicitly.

A run calls the CLI's entry point in the test process (tests/inprocess.py); where a
process is the point (signals, kills, terminals, locks between processes), tests start
one themselves, or pass ``process=True``. ``SPPROV_TESTS_REAL_PROCESS=1`` makes every
run a real ``python -m spprov``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import inprocess
from tests.programs import python_program

_DROPPED_PREFIXES = ("SPPROV_", "SOPS_", "AWS_", "GNUPG", "BROWSER")
_DROPPED = {"CI", "NO_COLOR", "GITHUB_ACTIONS", "BROWSER"}


@dataclass(frozen=True)
class Result:
    """What a spprov run produced."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def clean_env(home: Path, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The process environment without anything that would steer spprov, plus ``extra``."""
    env = {
        key: value for key, value in os.environ.items()
        if key not in _DROPPED and not key.startswith(_DROPPED_PREFIXES)
    }
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


RunSpprov = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A throwaway home folder, so no real age identity or config is ever used."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def base_env(home: Path) -> dict[str, str]:
    """Extra variables every run of this test gets (fixtures add to it)."""
    return {}


@pytest.fixture(scope="session")
def shim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the front of PATH whose ``spprov`` is the console script, started
    without ``site`` (tests/programs.py)."""
    folder = tmp_path_factory.mktemp("shim-bin")
    python_program(folder / "spprov", "spprov")
    return folder


@pytest.fixture
def spprov(home: Path, base_env: dict[str, str]) -> RunSpprov:
    """Call as ``spprov("validate", cwd=path, env={...}, input="...")``; ``process=True``
    for a real process (``timeout`` applies to real processes only)."""

    def run(*args: str, cwd: Path | None = None, env: Mapping[str, str | None] | None = None,
            input: str | None = None, timeout: float = 120, process: bool = False) -> Result:
        merged: dict[str, str | None] = {**base_env, **(env or {})}
        environ = clean_env(home, merged)
        stdin = input if input is not None else ""
        if not (process or inprocess.real_processes_only() or inprocess.needs_process(environ)):
            return Result(*inprocess.run(list(args), cwd, environ, stdin))
        completed = subprocess.run(
            [sys.executable, "-m", "spprov", *args], cwd=cwd, env=environ, input=stdin,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        return Result(completed.returncode, completed.stdout, completed.stderr)

    return run
