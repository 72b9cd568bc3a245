"""Faults at Amazon's end: token errors, 429 with Retry-After, dropped connections, latency.

Refreshes and code exchanges are retried; a code that a failed attempt consumed is refused
on the retry (invalid_grant), so such a credential fails this run and the next apply (a new
consent) finishes it. Either way apply converges and keeps every file it wrote.
"""

from __future__ import annotations

import pytest

from tests.fixtures_gitops import EU, US, GitOps, tree_digest

NAMES = ["acme-a", "acme-b", "acme-c"]


def _declare(gitops: GitOps) -> None:
    gitops.declare([{"name": name, **(US if i % 2 else EU)} for i, name in enumerate(NAMES)])


def _converge(gitops: GitOps, runs: int, *args: str) -> list[int]:
    """Apply until it exits 0 (at most ``runs`` times); the exit codes seen."""
    codes = []
    for _ in range(runs):
        result = gitops.run("apply", "--yes", *args)
        assert "Traceback" not in result.output
        codes.append(result.code)
        if result.code == 0:
            break
        assert result.code == 1, result.output
        assert gitops.run("verify").code in (0, 1)
    return codes


def _converged(gitops: GitOps) -> None:
    gitops.emulator.faults()
    verified = gitops.run("verify")
    assert verified.code == 0, verified.output
    assert verified.stdout.strip() == f"verified {len(NAMES)} state files"
    gitops.emulator.reset_stats()
    before = tree_digest(gitops.repo)
    noop = gitops.run("apply", "--yes")
    assert noop.stdout.strip() == f"No changes. {len(NAMES)} credentials are up to date."
    assert gitops.emulator.stats()["total"] == 0
    assert tree_digest(gitops.repo) == before


def test_429_with_retry_after_is_waited_out(gitops: GitOps) -> None:
    _declare(gitops)
    gitops.emulator.faults(error_rate=1.0, error_status=429, retry_after=1, count=1)
    result = gitops.run("-v", "apply", "--yes")
    assert result.code == 0, result.output
    assert "retrying in 1.0 s" in result.stderr
    _converged(gitops)


def test_refresh_checks_ride_out_30_percent_server_errors(gitops: GitOps) -> None:
    _declare(gitops)
    assert gitops.run("apply", "--yes").code == 0
    gitops.emulator.faults(error_rate=0.3, error_status=500, seed=7)
    plan = gitops.run("plan", "--refresh", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "token check failed" not in plan.stderr
    assert gitops.emulator.stats()["token"] > len(NAMES)  # some were retried


@pytest.mark.slow
@pytest.mark.parametrize("faults", [
    {"error_rate": 0.3, "error_status": 500, "seed": 1},
    {"error_rate": 0.3, "error_status": 503, "after_consume": True, "seed": 2},
    {"error_rate": 0.3, "drop_connection": True, "seed": 3},
    {"error_rate": 0.3, "drop_connection": True, "after_consume": True, "seed": 4},
], ids=["500", "503-after-consume", "dropped", "dropped-after-consume"])
def test_apply_converges_through_token_faults(gitops: GitOps, faults: dict[str, object]) -> None:
    _declare(gitops)
    gitops.emulator.faults(**faults)
    codes = _converge(gitops, 8)
    assert codes[-1] == 0, codes
    _converged(gitops)


@pytest.mark.slow
def test_latency_spikes_slow_apply_down_but_it_converges(gitops: GitOps) -> None:
    _declare(gitops)
    gitops.emulator.faults(latency_ms=700)
    result = gitops.run("apply", "--yes", "--refresh")
    assert result.code == 0, result.output
    _converged(gitops)
