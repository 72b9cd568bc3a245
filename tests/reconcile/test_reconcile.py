"""The life of a credential through the CLI, against the emulator over loopback HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import EU, US, GitOps, tree_digest


def test_full_life_of_a_credential(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", "description": "Acme", **US}])

    created = gitops.run("apply", "--yes")
    assert created.code == 0, created.output
    assert "acme: created (authorized by " in created.stdout
    first = gitops.readable("acme")
    assert first["region"] == "na"
    assert str(first["refresh_token"]).startswith("ENC[AES256_GCM,")
    gitops.commit()

    # A converged repository: zero requests, zero written bytes.
    gitops.emulator.reset_stats()
    before = tree_digest(gitops.repo)
    noop = gitops.run("apply", "--yes")
    assert noop.code == 0, noop.output
    assert noop.stdout.strip() == "No changes. 1 credential is up to date."
    assert gitops.emulator.stats()["total"] == 0
    assert tree_digest(gitops.repo) == before
    assert gitops.git_status() == ""

    # A description change touches only that line and the SOPS metadata.
    gitops.declare([{"name": "acme", "description": "Acme, renamed", **US}])
    updated = gitops.run("apply", "--yes")
    assert updated.code == 0, updated.output
    assert "acme: updated" in updated.stdout
    assert gitops.emulator.stats()["total"] == 0
    second = gitops.readable("acme")
    assert second["description"] == "Acme, renamed"
    assert second["refresh_token"] == first["refresh_token"]
    assert {k for k in first if first[k] != second[k]} == {"description", "sops"}

    # Moving to another region needs a new consent.
    gitops.declare([{"name": "acme", "description": "Acme, renamed", **EU}])
    plan = gitops.run("plan")
    assert "sp_api_endpoint: na -> eu region" in plan.stdout
    moved = gitops.run("apply", "--yes")
    assert moved.code == 0, moved.output
    assert "acme: reauthorized (authorized by " in moved.stdout
    third = gitops.readable("acme")
    assert third["region"] == "eu"
    assert third["refresh_token"] != second["refresh_token"]

    # A lifetime of zero days puts the authorization past its renewal date at once.
    gitops.declare([{"name": "acme", "description": "Acme, renamed", **EU}],
                   authorization_lifetime_days=0)
    renewed = gitops.run("apply", "--yes")
    assert renewed.code == 0, renewed.output
    assert "acme: renewed (authorized by " in renewed.stdout

    # A revoked refresh token is seen only with --refresh, and repaired.
    gitops.declare([{"name": "acme", "description": "Acme, renamed", **EU}])
    # The lifetime is recorded with the grant (state format 2): going back is an update.
    relifed = gitops.run("apply", "--yes")
    assert "authorization_lifetime_days changed (0 -> 365)" in relifed.stdout
    assert "acme: updated" in relifed.stdout
    for token in gitops.emulator.refresh_tokens(gitops.app.client_id):
        gitops.emulator.revoke(token["refresh_token"])
    assert "No changes" in gitops.run("plan").stdout
    repair = gitops.run("plan", "--refresh", "--detailed-exitcode")
    assert repair.code == 2, repair.output
    assert "repair" in repair.stdout
    repaired = gitops.run("apply", "--yes", "--refresh")
    assert repaired.code == 0, repaired.output
    assert "acme: repaired (authorized by " in repaired.stdout

    # An undeclared credential is kept until --prune.
    gitops.declare([])
    kept = gitops.run("apply", "--yes")
    assert kept.code == 0, kept.output
    assert gitops.state_file("acme").exists()
    pruned = gitops.run("apply", "--yes", "--prune")
    assert pruned.code == 0, pruned.output
    assert "acme: deleted" in pruned.stdout
    assert not gitops.state_file("acme").exists()


def test_ci_mode_waits_for_a_person_and_exits_3(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes", env={"CI": "true"})
    assert result.code == 3, result.output
    assert "Waiting for a person's authorization (1):" in result.stdout
    assert "    run: spprov authorize acme" in result.stdout
    assert ("    consent page: https://sellercentral.amazon.com/apps/authorize/consent?"
            f"application_id={gitops.app.application_id}") in result.stdout
    assert not gitops.state_file("acme").exists()
    assert gitops.emulator.stats()["total"] == 0


def test_non_interactive_flag_behaves_like_ci(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes", "--non-interactive")
    assert result.code == 3, result.output
    assert not gitops.state_file("acme").exists()


def test_apply_without_terminal_needs_yes(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply")
    assert result.code == 1
    assert result.stderr.strip().endswith(
        "spprov: apply needs --yes when it cannot ask (no terminal, --non-interactive or CI=true)")
    assert not gitops.state_file("acme").exists()


def test_paste_mode_without_terminal_waits(gitops: GitOps) -> None:
    app = gitops.emulator.register_app(redirect_uris=("https://auth.example.com/cb",))
    gitops.app = app
    gitops.env["SPPROV_APP_ACME_CLIENT_SECRET"] = app.client_secret
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes")
    assert result.code == 3, result.output
    assert "run: spprov authorize acme" in result.stdout
    assert not gitops.state_file("acme").exists()


def test_wrong_state_on_the_callback_is_ignored(gitops: GitOps, tmp_path: Path) -> None:
    # A forged redirect straight to spprov's listener, with a state it never issued, arrives
    # first: it is answered with a page that says so, and the real consent still goes through.
    seen = tmp_path / "forged-answer"
    forged = gitops.browser(
        "import os, pathlib\n"
        f"r = httpx.get('{gitops.app.redirect_uri}?state=forged&selling_partner_id=A1"
        "&spapi_oauth_code=ANcode', trust_env=False)\n"
        f"pathlib.Path({str(seen)!r}).write_text(f'{{r.status_code}} {{r.text}}')\n"
        "from spprov.emulator.browser import visit\n"
        "sys.exit(visit(url, dict(os.environ)))\n")
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes", env={"BROWSER": forged})
    assert result.code == 0, result.output
    assert gitops.state_file("acme").exists()
    assert seen.read_text().startswith("400 ")
    assert "Not the authorization spprov is waiting for" in seen.read_text()
    assert gitops.emulator.stats().get("token", 0) == 1  # only the real code was exchanged


def test_only_a_forged_redirect_times_out(gitops: GitOps) -> None:
    forged = gitops.browser(
        f"httpx.get('{gitops.app.redirect_uri}?state=forged&selling_partner_id=A1"
        "&spapi_oauth_code=ANcode', trust_env=False)")
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes", "--authorization-timeout", "2",
                        env={"BROWSER": forged})
    assert result.code == 1
    assert ("acme: create failed: no consent arrived within 2 s; open the consent page and "
            "run `spprov authorize acme` again (--authorization-timeout gives more time)"
            in result.stdout)
    assert not gitops.state_file("acme").exists()
    assert gitops.emulator.stats().get("token", 0) == 0


def test_pin_mismatch_is_refused(gitops: GitOps) -> None:
    actual = gitops.emulator.selling_partner_id("default", "na")
    gitops.declare([{"name": "acme", "selling_partner_id": "A2PINNEDEXAMPLE", **US}])
    result = gitops.run("apply", "--yes")
    assert result.code == 1
    assert (f"acme: create failed: selling partner {actual} consented, but the credential "
            "is pinned to A2PINNEDEXAMPLE") in result.stdout
    assert not gitops.state_file("acme").exists()
    assert gitops.emulator.stats().get("token", 0) == 0


def test_expired_code_is_reported_clearly(gitops: GitOps, tmp_path: Path) -> None:
    seen = tmp_path / "answer"
    # The person approves, then more than 5 minutes pass before the code reaches spprov.
    slow = gitops.browser(
        "from urllib.parse import urlsplit\n"
        "base = url.split('/', 3)[:3]\n"
        "emu = '/'.join(base)\n"
        "c = httpx.Client(trust_env=False)\n"
        "r = c.post(url, data={'decision': 'approve'})\n"
        "c.post(emu + '/_emulator/clock', json={'advance_seconds': 301})\n"
        "page = c.get(r.headers['location'])\n"
        f"open({str(seen)!r}, 'w').write(f'{{page.status_code}} {{page.text}}')\n")
    gitops.declare([{"name": "acme", **US}])
    result = gitops.run("apply", "--yes", env={"BROWSER": slow})
    assert result.code == 1
    assert ("acme: create failed: authorization code expired or already used: authorize again"
            in result.stdout)
    assert not gitops.state_file("acme").exists()
    # The browser tab says the same, and what to run.
    assert seen.read_text().startswith("400 ")
    assert ("<p>spprov could not finish the authorization of acme (app acme): authorization "
            "code expired or already used.</p>") in seen.read_text()
    assert '<code class="cmd">spprov authorize acme</code>' in seen.read_text()


def test_one_failed_exchange_keeps_the_others(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-a", **US}, {"name": "acme-b", **EU}])
    # The first exchange fails after the code was consumed: the retry learns it is used up.
    gitops.emulator.faults(error_rate=1.0, error_status=500, after_consume=True, count=1)
    result = gitops.run("apply", "--yes")
    assert result.code == 1, result.output
    assert ("acme-a: create failed: the authorization code was used up by an attempt whose "
            "answer was lost (") in result.stdout
    assert "the person must authorize again: run `spprov authorize acme-a`" in result.stdout
    assert "acme-b: created (authorized by " in result.stdout
    assert not gitops.state_file("acme-a").exists()
    assert gitops.state_file("acme-b").exists()
    again = gitops.run("apply", "--yes")
    assert again.code == 0, again.output
    assert "acme-a: created" in again.stdout


def test_ctrl_c_while_waiting_for_consent_exits_130_and_keeps_finished_work(
        gitops: GitOps, home: Path) -> None:
    # acme-a is authorized first; then the "browser" never comes back for acme-b.
    idle = gitops.browser(
        "import os, pathlib\n"
        "if 'sellercentral-europe' in url:\n"
        "    pathlib.Path(os.environ['WAITING_FLAG']).touch()\n"
        "else:\n"
        f"    os.execv('{gitops.env['BROWSER']}', ['browser', url])\n")
    flag = gitops.repo.parent / "waiting"
    gitops.declare([{"name": "acme-a", **US}, {"name": "acme-b", **EU}])
    env = clean_env(home, {**gitops.env, "BROWSER": idle, "WAITING_FLAG": str(flag)})
    child = subprocess.Popen([sys.executable, "-m", "spprov", "apply", "--yes"],
                             cwd=gitops.repo, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    assert stderr.endswith("Interrupted.\n")
    assert "Traceback" not in stderr
    assert "acme-a: created" in stdout
    # What finished and what did not, before the exit.
    assert ("Apply interrupted: 1 finished, 1 not finished.\n"
            "  finished: acme-a: created (authorized by ") in stderr
    assert "  not finished: acme-b\n" in stderr
    assert gitops.state_file("acme-a").exists()
    assert not gitops.state_file("acme-b").exists()


def test_invalid_declaration_writes_nothing_not_even_a_lock(gitops: GitOps) -> None:
    (gitops.repo / "credentials.yaml").write_text("version: 1\ncredentials:\n  - name: Bad\n")
    before = tree_digest(gitops.repo)
    for args in (("apply", "--yes"), ("authorize", "Bad"), ("plan",)):
        result = gitops.run(*args)
        assert result.code == 1, result.output
        assert result.stderr.startswith("credentials.yaml:3:"), result.stderr
    assert tree_digest(gitops.repo) == before
    assert not (gitops.repo / ".spprov.lock").exists()
