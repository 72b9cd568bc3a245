"""Failures are values: an unreadable state file blocks only its credential, a drift check
that could not check makes the plan fail, and no consent starts that cannot be stored."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps, authorized_repository

authorized = authorized_repository([{"name": "acme-a", **US}, {"name": "acme-b", **US}])

CONFLICTED = "state/credentials/acme-a.sops.yaml"
BLOCKED_REASON = (f"{CONFLICTED}: line 1: expected a mapping of fields (not valid YAML)")


def conflict(gitops: GitOps) -> bytes:
    """Put Git conflict markers into acme-a's state file, as a bad merge leaves it."""
    path = gitops.state_file("acme-a")
    text = path.read_text()
    broken = f"<<<<<<< HEAD\n{text}=======\n{text}>>>>>>> branch\n"
    path.write_text(broken)
    return broken.encode()


def blocked_reason(gitops: GitOps) -> str:
    document = json.loads(gitops.run("plan", "--json").stdout)
    [change] = [c for c in document["changes"] if c["name"] == "acme-a"]
    assert change["action"] == "blocked"
    assert change["failure"]["kind"] == "permanent"
    return str(change["reasons"][0])


def test_a_conflicted_state_file_is_blocked_not_created(authorized: GitOps) -> None:
    conflict(authorized)
    reason = blocked_reason(authorized)
    assert reason.startswith(f"{CONFLICTED}: ")
    text = authorized.run("plan", "--detailed-exitcode")
    assert text.code == 1, text.output
    assert "create" not in text.stdout
    assert f"  x blocked acme-a\n      # {reason}" in text.stdout
    assert text.stdout.rstrip().endswith(
        "Plan incomplete: 1 blocked (state file unreadable); nothing else to do.")
    markdown = authorized.run("plan", "--markdown")
    assert markdown.code == 1
    assert "### blocked: state file unreadable (1)" in markdown.stdout
    assert "| acme\\-a |" in markdown.stdout or "| acme-a |" in markdown.stdout


def test_apply_carries_out_the_rest_and_starts_no_consent_for_a_blocked_file(
        authorized: GitOps) -> None:
    broken = conflict(authorized)
    reason = blocked_reason(authorized)
    authorized.declare([{"name": "acme-a", **US}, {"name": "acme-b", "description": "B", **US},
                        {"name": "acme-c", **US}])
    authorized.emulator.reset_stats()
    result = authorized.run("apply", "--yes")
    assert result.code == 1, result.output
    assert "acme-b: updated" in result.stdout
    assert "acme-c: created (authorized by " in result.stdout
    assert f"acme-a: blocked, nothing done: {reason}" in result.stdout
    assert result.stdout.rstrip().endswith(
        "Apply finished: 2 done, 0 waiting for a person, 0 failed, 1 blocked, 0 orphans kept.")
    # One consent (its page and its approval) and one code exchange, both for acme-c:
    # nothing for the blocked credential.
    assert (authorized.emulator.stats()["consent"], authorized.emulator.stats()["token"]) == (2, 1)
    assert authorized.state_file("acme-a").read_bytes() == broken


def test_status_and_verify_give_the_blocked_reason(authorized: GitOps) -> None:
    conflict(authorized)
    reason = blocked_reason(authorized)
    status = authorized.run("status")
    assert status.code == 1
    assert f"unreadable: {reason}" in status.stdout
    # Judged as plan judges it: blocked, never "not authorized yet; run spprov authorize",
    # whose consent would overwrite a file whose grant may be fine.
    assert "not authorized" not in status.stdout and "authorize" not in status.stdout
    rows = {row["name"]: row for row in json.loads(authorized.run("status", "--json").stdout)
            ["credentials"]}
    assert rows["acme-a"]["status"] == "broken"
    assert rows["acme-a"]["problems"] == [{
        "code": "unreadable", "severity": "broken",
        "message": "state file unreadable (the reason is below); nothing is done for it until "
                   "it is restored from Git or fixed: then run spprov plan"}]
    verify = authorized.run("verify")
    assert verify.code == 1
    assert verify.stderr.splitlines()[0] == reason


@pytest.mark.parametrize(("field", "replacement", "why"), [
    ("format: 2", "format: 9", "format: expected 1 or 2, got 9"),
    ("name: acme-a", "name: acme-z", "name: 'acme-z' does not match the file name (acme-a)"),
])
def test_a_wrong_format_or_name_blocks_too(authorized: GitOps, field: str, replacement: str,
                                           why: str) -> None:
    path = authorized.state_file("acme-a")
    path.write_text(path.read_text().replace(field, replacement, 1))
    reason = blocked_reason(authorized)
    assert reason.startswith(f"{CONFLICTED}: {why}")
    assert authorized.run("plan").code == 1


def test_the_drift_check_fails_when_the_client_secret_is_rejected(authorized: GitOps) -> None:
    result = authorized.run("plan", "--refresh", "--detailed-exitcode",
                            env={"SPPROV_APP_ACME_CLIENT_SECRET": "amzn1.oa2-cs.v1.wrong"})
    assert result.code == 1, result.output
    assert "No changes" not in result.output
    assert "  ? unchecked acme-a\n      # could not check: " in result.stdout
    assert "client secret" in result.stdout
    assert result.stdout.rstrip().endswith("Plan incomplete: 2 not checked; nothing else to do.")
    document = json.loads(authorized.run(
        "plan", "--refresh", "--json",
        env={"SPPROV_APP_ACME_CLIENT_SECRET": "amzn1.oa2-cs.v1.wrong"}).stdout)
    assert document["summary"]["complete"] is False
    assert {c["failure"]["kind"] for c in document["changes"]} == {"permanent"}


def test_the_drift_check_fails_when_amazon_is_unreachable(authorized: GitOps) -> None:
    # 429 with Retry-After: 0 runs through every retry at once; a 5xx waits out the backoff.
    authorized.emulator.faults(error_rate=1.0, error_status=429, retry_after=0)
    result = authorized.run("plan", "--refresh", "--detailed-exitcode")
    assert result.code == 1, result.output
    assert "could not check: Amazon did not answer after " in result.stdout
    status = authorized.run("status", "--refresh", "--json")
    assert status.code == 1
    checks = {c["name"]: c for c in json.loads(status.stdout)["credentials"]}
    messages = [p["message"] for p in checks["acme-a"]["problems"]]
    assert any(m.startswith("could not check: Amazon did not answer after ") for m in messages)


def test_the_drift_check_fails_when_nothing_can_be_decrypted(authorized: GitOps,
                                                              tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.txt"
    stranger.write_text("")
    result = authorized.run("plan", "--refresh", "--detailed-exitcode",
                            env={"SOPS_AGE_KEY_FILE": str(stranger)})
    assert result.code == 1, result.output
    assert "could not check: cannot decrypt state/credentials/acme-a.sops.yaml" in result.stdout


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_declining_the_confirmation_says_apply_cancelled(authorized: GitOps) -> None:
    authorized.declare([{"name": "acme-a", "description": "A", **US}, {"name": "acme-b", **US}])
    before = _digest(authorized.state_file("acme-a"))
    main, secondary = os.openpty()
    try:
        # stdin is a terminal (a person could answer) and CI is unset: spprov asks.
        completed = subprocess.run(
            [sys.executable, "-m", "spprov", "apply"], cwd=authorized.repo,
            env=clean_env(authorized.repo.parent / "home", authorized.env), stdin=secondary,
            capture_output=True, text=True, timeout=60, check=False,
            preexec_fn=lambda: os.write(main, b"n\n") and None)
    finally:
        os.close(secondary)
        os.close(main)
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.endswith("Carry out this plan? [y/N]: Apply cancelled.\n")
    assert _digest(authorized.state_file("acme-a")) == before


def test_no_browser_is_said_at_once_with_the_page_to_open(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-a", **US}])
    missing = str(gitops.repo.parent / "no-such-browser")
    started = time.monotonic()
    result = gitops.run("apply", "--yes", "--authorization-timeout", "1",
                        env={"BROWSER": missing})
    assert result.code == 1, result.output
    lines = result.stderr.splitlines()
    at = lines.index("acme-a: opening the consent page in your browser:")
    assert lines[at + 2] == (
        "acme-a: no browser could be started: open the page above yourself, in a browser on "
        f"this machine (the consent returns to {gitops.app.redirect_uri})")
    assert lines[at + 3] == ("acme-a: waiting up to 0:01 for the consent (Ctrl-C stops; if "
                             "Amazon's page shows an error code such as MD5101, `spprov "
                             "explain CODE` says what to do)")
    assert ("acme-a: create failed: no consent arrived within 1 s; open the consent page and "
            "run `spprov authorize acme-a` again (--authorization-timeout gives more time)"
            ) in result.stdout
    assert not gitops.state_file("acme-a").exists()
    assert time.monotonic() - started < 30


def _browser_that_blocks_the_write(gitops: GitOps, name: str, page: Path) -> str:
    """Approves the consent, then (after Amazon's redirect, before the loopback page is
    read) puts a folder where the state file goes, so the write fails after the exchange;
    writes the loopback page it was finally given to ``page``."""
    block = gitops.state_file(name)
    return gitops.browser(
        "import os, pathlib\n"
        "from spprov.emulator import browser\n"
        "def land(http, target, environ):\n"
        f"    pathlib.Path({str(block)!r}).mkdir(parents=True)\n"
        "    answer = http.get(target)\n"
        f"    pathlib.Path({str(page)!r}).write_text(f'{{answer.status}}\\n{{answer.text}}')\n"
        "    return 0\n"
        "browser._land = land\n"
        "sys.exit(browser.visit(url, dict(os.environ)))\n")


def test_the_browser_says_authorized_only_once_the_state_file_is_written(
        gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    page = gitops.repo.parent / "page.html"
    browser = _browser_that_blocks_the_write(gitops, "acme", page)
    result = gitops.run("apply", "--yes", env={"BROWSER": browser})
    assert result.code == 1, result.output
    status, html = page.read_text().split("\n", 1)
    assert status == "500"
    assert "Authorized" not in html
    folder = ("state/credentials/acme.sops.yaml: is a folder, not a regular file; spprov "
              "reads and writes only regular files in the repository; replace it with one")
    assert ("<h1>Not stored</h1><p>Amazon granted the consent for acme (app acme), but spprov "
            f"could not store the refresh token: {folder}.</p><p>Nothing was stored, so this "
            "consent is lost. Fix the problem your terminal shows, then run:</p>"
            '<code class="cmd">spprov authorize acme</code>') in html
    assert f"acme: create failed: {folder}\n" in result.stdout


def test_every_creation_rule_of_the_run_is_tried_before_any_consent(gitops: GitOps) -> None:
    recipient = gitops.repo.joinpath(".sops.yaml").read_text().split("age: >-\n", 1)[1].strip()
    gitops.repo.joinpath(".sops.yaml").write_text(
        "creation_rules:\n"
        "  - path_regex: ^state/credentials/acme-a\\.sops\\.yaml$\n"
        f"    age: {recipient}\n"
        "  - path_regex: ^state/credentials/[^/]+\\.sops\\.yaml$\n"
        "    age: age1-not-a-recipient\n")
    gitops.declare([{"name": "acme-a", **US}, {"name": "acme-b", **US}])
    result = gitops.run("apply", "--yes")
    assert result.code == 1, result.output
    assert "acme-a: created (authorized by " in result.stdout
    assert ("acme-b: create failed: no consent was started: the state file could not be "
            "written: .sops.yaml: creation rule 2: 'age1-not-a-recipient' is not an age "
            "recipient") in result.stdout
    # One consent, for acme-a: none was spent on a token that could not be stored.
    assert len(gitops.emulator.refresh_tokens(gitops.app.client_id)) == 1
    assert not gitops.state_file("acme-b").exists()
