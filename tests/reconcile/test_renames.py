"""Renames with `moved` entries, end to end: no consent, ciphertext kept byte for byte."""

from __future__ import annotations

import json
import re

import yaml

from tests.fixtures_gitops import US, GitOps

ENCRYPTED = re.compile(r"^(refresh_token|client_secret): ENC\[.*\]$", re.MULTILINE)


def ciphertext(text: str) -> str:
    (line,) = [match.group(0) for match in ENCRYPTED.finditer(text)]
    return line


def write(gitops: GitOps, app: str, credentials: list[dict[str, object]],
          moved: list[dict[str, object]] | None = None) -> None:
    fields = {"application_id": gitops.app.application_id, "client_id": gitops.app.client_id,
              "redirect_uri": gitops.app.redirect_uri}
    document: dict[str, object] = {"version": 1, "apps": {app: fields},
                                   "credentials": credentials}
    if moved is not None:
        document["moved"] = moved
    (gitops.repo / "credentials.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def test_a_credential_rename_makes_no_consent_and_keeps_the_token(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-old", **US}])
    assert gitops.run("apply", "--yes").code == 0
    before = gitops.state_file("acme-old").read_text()
    gitops.declare([{"name": "acme-us", "description": "Acme US", **US}])
    (gitops.repo / "credentials.yaml").write_text(
        (gitops.repo / "credentials.yaml").read_text()
        + "moved:\n  - from: acme-old\n    to: acme-us\n")
    gitops.emulator.reset_stats()

    plan = gitops.run("plan")
    assert plan.code == 0, plan.output
    assert (" => move acme-us\n      # moved from acme-old (moved entry)\n"
            "      # description changed\n"
            '      description: (none) -> "Acme US"\n') in plan.stdout
    assert plan.stdout.endswith("0 to update, 0 to delete, 1 to move; 0 need a person's "
                                "authorization.\n")
    document = json.loads(gitops.run("plan", "--json").stdout)
    (change,) = document["changes"]
    assert (change["action"], change["moved_from"], document["summary"]["move"]) == (
        "move", "acme-old", 1)
    markdown = gitops.run("plan", "--markdown").stdout
    assert ("### move (1)\n\n| credential | region | environment | reasons |\n|---|---|---|---|\n"
            "| acme-us | na | production | moved from acme-old (moved entry)<br>description "
            "changed |\n") in markdown

    applied = gitops.run("apply", "--yes")
    assert applied.code == 0, applied.output
    assert "acme-us: moved (from acme-old)\n" in applied.stdout
    assert not gitops.state_file("acme-old").exists()
    after = gitops.state_file("acme-us").read_text()
    assert ciphertext(after) == ciphertext(before)
    assert gitops.readable("acme-us")["name"] == "acme-us"
    assert gitops.readable("acme-us")["description"] == "Acme US"
    assert gitops.emulator.stats()["total"] == 0  # no consent, no token request
    assert gitops.run("verify").code == 0
    assert gitops.run("token", "acme-us").code == 0

    again = gitops.run("plan")
    assert again.stdout == (
        "Note: moved acme-old -> acme-us: no state file acme-old (already moved?); nothing "
        "to do, the entry can be removed\n\n"
        "No changes. 1 credential is up to date.\n")


def test_an_app_rename_makes_no_consent_and_moves_the_secret_file(gitops: GitOps) -> None:
    write(gitops, "acme", [{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    assert gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret).code == 0
    token_before = ciphertext(gitops.state_file("acme-us").read_text())
    secret_file = gitops.repo / "state/apps/acme.sops.yaml"
    secret_before = ciphertext(secret_file.read_text())
    set_at = yaml.safe_load(secret_file.read_text())["set_at"]
    write(gitops, "acme-na", [{"name": "acme-us", **US}],
          [{"from": {"app": "acme"}, "to": {"app": "acme-na"}}])
    env = {"SPPROV_APP_ACME_CLIENT_SECRET": None}
    gitops.emulator.reset_stats()

    plan = gitops.run("plan", env=env)
    assert plan.code == 0, plan.output
    assert (" => move app acme -> app acme-na\n      # state/apps/acme.sops.yaml renamed "
            "(moved entry); the client secret is kept\n\n"
            " => move acme-us\n      # app: acme -> acme-na (moved entry, same client_id)\n"
            ) in plan.stdout
    assert "2 to move; 0 need a person's authorization." in plan.stdout

    applied = gitops.run("apply", "--yes", env=env)
    assert applied.code == 0, applied.output
    assert "\napp acme-na: moved (from app acme)\nacme-us: moved\n" in applied.stdout
    assert not secret_file.exists()
    moved_secret = gitops.repo / "state/apps/acme-na.sops.yaml"
    assert ciphertext(moved_secret.read_text()) == secret_before
    assert yaml.safe_load(moved_secret.read_text())["set_at"] == set_at
    assert ciphertext(gitops.state_file("acme-us").read_text()) == token_before
    assert gitops.readable("acme-us")["app"] == "acme-na"
    assert gitops.emulator.stats()["consent"] == 0 and gitops.emulator.stats()["token"] == 0
    assert gitops.run("verify", env=env).code == 0
    # The renamed app's stored secret is found under its new name.
    assert gitops.run("token", "acme-us", env=env).code == 0
    assert gitops.run("plan", "--detailed-exitcode", env=env).code == 0


def test_bad_moved_entries_are_refused(gitops: GitOps) -> None:
    write(gitops, "acme", [{"name": "acme-us", **US}],
          [{"from": "acme-us", "to": {"app": "acme"}}, {"from": "a", "to": "a"},
           {"from": "b", "to": "c"}, {"from": "c", "to": "d"}])
    result = gitops.run("validate")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "credentials.yaml:12:3: moved: from and to must both be credential names or both "
        "{app: NAME}",
        "credentials.yaml:15:3: moved a -> a: from and to are the same; remove the entry",
        "credentials.yaml:19:3: moved c -> d: overlaps the entry at credentials.yaml:17:3 "
        "(b -> c); move each name once, straight to its final name"]
