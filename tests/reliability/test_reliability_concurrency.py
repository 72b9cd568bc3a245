"""Two applies on one repository at once: the second refuses, nothing is corrupted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps, tree_digest


def _waiting_browser(gitops: GitOps, started: Path, go: Path) -> str:
    """A browser that says it has the consent page, then waits for ``go`` before approving."""
    return gitops.browser(
        "import pathlib, subprocess, time\n"
        f"pathlib.Path({str(started)!r}).touch()\n"
        f"while not pathlib.Path({str(go)!r}).exists():\n"
        "    time.sleep(0.05)\n"
        "subprocess.run([sys.executable, '-m', 'spprov.emulator.browser', url], check=True)\n")


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_apply_refuses_while_the_first_holds_the_lock(gitops: GitOps,
                                                                home: Path) -> None:
    gitops.declare([{"name": "acme-a", **US}, {"name": "acme-b", **US}])
    started, go = gitops.repo.parent / "started", gitops.repo.parent / "go"
    env = clean_env(home, {**gitops.env, "BROWSER": _waiting_browser(gitops, started, go)})
    first = subprocess.Popen([sys.executable, "-m", "spprov", "apply", "--yes"],
                             cwd=gitops.repo, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(started)
        second = gitops.run("apply", "--yes")
        plan = gitops.run("plan")  # reading needs no lock
    finally:
        go.touch()
        out, err = first.communicate(timeout=120)
    assert second.code == 1
    # Like Terraform's: the holder and how to wait, never "remove the lock file" (an flock
    # cannot go stale, and removing the file lets a second writer in beside the first).
    assert second.stderr.strip() == (
        f"spprov: the repository {gitops.repo.resolve()} is locked by another spprov run, "
        f"pid {first.pid} (spprov apply --yes); run again when it has finished, or with "
        "`spprov --lock-timeout 5m` to wait for it")
    assert second.stdout == ""
    assert plan.code == 0, plan.output
    assert first.returncode == 0, out + err
    assert "acme-a: created" in out and "acme-b: created" in out
    verified = gitops.run("verify")
    assert verified.code == 0, verified.output
    assert verified.stdout.strip() == "verified 2 state files"


def test_lock_timeout_waits_for_the_holder_and_says_so(gitops: GitOps, home: Path) -> None:
    gitops.declare([{"name": "acme-a", **US}])
    started, go = gitops.repo.parent / "started", gitops.repo.parent / "go"
    env = clean_env(home, {**gitops.env, "BROWSER": _waiting_browser(gitops, started, go)})
    first = subprocess.Popen([sys.executable, "-m", "spprov", "apply", "--yes"],
                             cwd=gitops.repo, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    second = None
    try:
        _wait_for(started)
        second = subprocess.Popen([sys.executable, "-m", "spprov", "--lock-timeout", "2m",
                                   "apply", "--yes"], cwd=gitops.repo, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert second.stderr is not None
        waiting = second.stderr.readline()
    finally:
        go.touch()
        out, err = first.communicate(timeout=120)
        if second is not None:
            second_out, second_err = second.communicate(timeout=120)
    assert waiting == (f"waiting up to 2m for the lock on {gitops.repo.resolve()}, held by "
                       f"pid {first.pid} (spprov apply --yes)\n")
    assert first.returncode == 0 and "acme-a: created" in out, out + err
    # The second run plans under the lock, so it sees what the first one wrote.
    assert second.returncode == 0, second_out + second_err
    assert second_out.strip() == "No changes. 1 credential is up to date."
    assert len(gitops.emulator.refresh_tokens(gitops.app.client_id)) == 1


def test_the_lock_is_released_when_a_run_ends(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    before = tree_digest(gitops.repo)
    again = gitops.run("apply", "--yes")
    assert again.code == 0, again.output
    assert tree_digest(gitops.repo) == before
