"""apply killed with SIGKILL at random moments: every state file stays valid and the next
apply finishes the job.

The whole process group is killed (spprov, the browser stand-in and any sops child), as a
power cut would; the delays are drawn from a seeded generator so a failure can be replayed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import EU, US, GitOps, tree_digest

NAMES = [f"acme-{n}" for n in range(4)]


def _kill_after(gitops: GitOps, env: dict[str, str], args: list[str], delay: float) -> None:
    """Start ``spprov ARGS`` and SIGKILL its process group after ``delay`` seconds."""
    run = subprocess.Popen([sys.executable, "-m", "spprov", *args], cwd=gitops.repo, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        run.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()


def _all_valid(gitops: GitOps, converged: bool = True) -> None:
    """verify passes; before convergence, pending work (a description not yet written)
    is the only thing it may report: every file still decrypts and has the right keys."""
    result = gitops.run("verify")
    if converged:
        assert result.code == 0, result.output
        return
    lines = result.stderr.splitlines()
    assert all("differs from the declaration (description changed)" in line
               for line in lines[:-1]), result.output


@pytest.mark.slow
def test_apply_killed_at_random_moments_leaves_valid_state(gitops: GitOps, home: Path) -> None:
    rng = random.Random(20261128)
    gitops.declare([{"name": n, "description": n, **(US if i % 2 else EU)}
                    for i, n in enumerate(NAMES)])
    env = clean_env(home, gitops.env)
    for round_number in range(12):
        # Alternate between creating and updating descriptions, so kills land in both
        # consent/exchange/encrypt and in sops set/commit.
        if round_number % 3 == 2:
            gitops.declare([{"name": n, "description": f"{n} v{round_number}",
                             **(US if i % 2 else EU)} for i, n in enumerate(NAMES)])
        _kill_after(gitops, env, ["apply", "--yes"], rng.uniform(0.2, 3.0))
        _all_valid(gitops, converged=False)
    final = gitops.run("apply", "--yes")
    assert final.code == 0, final.output
    _all_valid(gitops)
    assert sorted(p.name for p in gitops.state_file("x").parent.iterdir()) == [
        f"{n}.sops.yaml" for n in NAMES]
    before = tree_digest(gitops.repo)
    gitops.emulator.reset_stats()
    noop = gitops.run("apply", "--yes")
    assert noop.code == 0, noop.output
    assert gitops.emulator.stats()["total"] == 0
    assert tree_digest(gitops.repo) == before


@pytest.mark.slow
def test_a_kill_during_the_lock_leaves_no_stale_lock(gitops: GitOps, home: Path) -> None:
    gitops.declare([{"name": "acme", **US}])
    env = clean_env(home, gitops.env)
    started = time.monotonic()
    _kill_after(gitops, env, ["apply", "--yes"], 0.8)
    assert time.monotonic() - started < 30
    # flock dies with its holder: the next run takes the lock at once.
    result = gitops.run("apply", "--yes")
    assert result.code == 0, result.output
    _all_valid(gitops)
