"""Issue 12, attack 5: the app a grant was made for is state, and a change to it is visible."""

from __future__ import annotations

import json
import os
from dataclasses import replace

from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.fixtures_gitops import US, GitOps

CREDENTIAL = "state/credentials/acme.sops.yaml"


def test_app_identity_change_is_planned_not_silent(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    old_id, old_uri = gitops.app.application_id, gitops.app.redirect_uri
    new_id = "amzn1.sp.solution.11111111-2222-3333-4444-555555555555"
    new_uri = "https://attacker.example.net/callback"
    gitops.declare([{"name": "acme", **US}], application_id=new_id, redirect_uri=new_uri)

    plan = gitops.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    lines = plan.stdout.splitlines()
    assert "-/+ reauthorize acme" in lines
    assert (f"      # app acme: application_id changed ({old_id} -> {new_id}): the next consent "
            "is for another app") in lines
    assert (f"      # app acme: redirect_uri changed ({old_uri} -> {new_uri}): the next consent "
            "returns to another address") in lines
    document = json.loads(gitops.run("plan", "--json").stdout)
    (change,) = document["changes"]
    assert (change["action"], change["needs_person"]) == ("reauthorize", True)
    markdown = gitops.run("plan", "--markdown").stdout
    assert "application\\_id changed" in markdown


def test_draft_change_is_an_update_that_records_it(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    token_line = _token_line(gitops)
    gitops.declare([{"name": "acme", **US}], draft=True)
    plan = gitops.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    assert ("      # app acme: draft changed (false -> true): the next consent is for the draft "
            "app") in plan.stdout.splitlines()
    applied = gitops.run("apply", "--yes")
    assert "acme: updated" in applied.stdout, applied.output
    assert gitops.readable("acme")["draft"] is True
    assert _token_line(gitops) == token_line
    assert gitops.run("plan", "--detailed-exitcode").code == 0


def test_format_1_file_is_read_and_upgraded_by_an_update(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    store = StateStore(gitops.repo, gitops.repo / "state", os.environ)
    record = store.reader.records()["acme"]
    token = store.reader.decrypt("acme").refresh_token
    store.writer.write(replace(record, identity=None, format=1), Secret(token.reveal()))
    assert gitops.readable("acme")["format"] == 1
    assert "application_id" not in gitops.readable("acme")
    token_line = _token_line(gitops)

    plan = gitops.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    assert plan.stdout.splitlines()[2:4] == [
        "  ~ update acme",
        "      # state format 1 -> 2: records the app identity (application_id, redirect_uri, "
        "draft, authorization_lifetime_days)"]
    applied = gitops.run("apply", "--yes")
    assert "acme: updated" in applied.stdout, applied.output
    upgraded = gitops.readable("acme")
    assert (upgraded["format"], upgraded["application_id"], upgraded["redirect_uri"],
            upgraded["draft"], upgraded["authorization_lifetime_days"]) == (
        2, gitops.app.application_id, gitops.app.redirect_uri, False, 365)
    assert _token_line(gitops) == token_line  # metadata only: the token keeps its ciphertext
    assert gitops.run("verify").code == 0


def _token_line(gitops: GitOps) -> str:
    text = (gitops.repo / CREDENTIAL).read_text()
    return next(line for line in text.splitlines() if line.startswith("refresh_token:"))
