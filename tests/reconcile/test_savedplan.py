"""Saved plans: `spprov plan --out FILE` then `spprov apply FILE`, refused when stale."""

from __future__ import annotations

import json

from tests.fixtures_gitops import EU, US, GitOps, authorized_repository, tree_digest

PLAN = "spprov.plan.json"


def _stale(what: str, options: str = "") -> str:
    return (f"spprov: the saved plan {PLAN} is stale: {what} since it was made; "
            f"run `spprov plan {options}--out {PLAN}` again\n")


def test_a_saved_plan_is_applied_exactly_without_a_prompt(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    planned = gitops.run("plan", "--out", PLAN, "--detailed-exitcode")
    assert planned.code == 2, planned.output
    assert f"Saved the plan to {PLAN}: `spprov apply {PLAN}`" in planned.stderr
    document = json.loads((gitops.repo / PLAN).read_text())
    assert document["kind"] == "spprov saved plan"
    assert document["options"] == {"only": [], "prune": False, "refresh": False}
    assert set(document["fingerprint"]) == {"credentials.yaml", ".sops.yaml"}
    assert [c["action"] for c in document["plan"]["changes"]] == ["create"]

    # No --yes and no terminal: a saved plan is its own consent.
    applied = gitops.run("apply", PLAN)
    assert applied.code == 0, applied.output
    assert "acme-us: created (authorized by " in applied.stdout
    assert gitops.state_file("acme-us").exists()


def test_a_plan_saved_before_an_apply_is_stale_after_it(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    assert gitops.run("apply", "--yes").code == 0
    stale = gitops.run("apply", PLAN)
    assert stale.code == 1
    assert stale.stderr == _stale("state/credentials/acme-us.sops.yaml was added")


def test_a_changed_sops_yaml_makes_the_plan_stale(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    sops_yaml = gitops.repo / ".sops.yaml"
    sops_yaml.write_text(sops_yaml.read_text() + "# reviewed for other recipients\n")
    stale = gitops.run("apply", PLAN)
    assert (stale.code, stale.stderr) == (1, _stale(".sops.yaml changed"))
    assert not gitops.state_file("acme-us").exists()


def test_a_changed_declaration_makes_the_plan_stale_and_changes_nothing(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    gitops.declare([{"name": "acme-us", "description": "US", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    gitops.declare([{"name": "acme-us", "description": "US", **EU}])
    before = tree_digest(gitops.repo)
    gitops.emulator.reset_stats()
    stale = gitops.run("apply", PLAN)
    assert stale.code == 1
    assert stale.stdout == ""
    assert stale.stderr == _stale("credentials.yaml changed")
    assert tree_digest(gitops.repo) == before
    assert gitops.emulator.stats()["total"] == 0


def test_a_removed_state_file_is_named(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    assert gitops.run("apply", "--yes").code == 0
    assert gitops.run("plan", "--out", PLAN, "--prune").code == 0
    gitops.state_file("acme-eu").unlink()
    stale = gitops.run("apply", "--prune", PLAN)
    assert stale.stderr == _stale("state/credentials/acme-eu.sops.yaml was removed", "--prune ")


def test_the_stale_advice_keeps_the_options_the_plan_was_made_with(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    assert gitops.run("apply", "--yes").code == 0
    made = gitops.run("plan", "--only", "acme-us", "--only", "acme-eu", "--prune", "--refresh",
                      "--out", PLAN)
    assert made.code == 0, made.output
    gitops.declare([{"name": "acme-us", "description": "US", **US}, {"name": "acme-eu", **EU}])
    stale = gitops.run("apply", "--prune", "--refresh", PLAN)
    assert stale.code == 1
    assert stale.stderr == _stale("credentials.yaml changed",
                                  "--only acme-eu --only acme-us --prune --refresh ")


def test_a_credential_file_given_as_the_plan_says_how_to_apply_it(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    before = tree_digest(gitops.repo)
    declared = gitops.run("apply", "credentials.yaml")
    assert (declared.code, declared.stdout) == (1, "")
    assert declared.stderr == (
        "spprov: credentials.yaml is a credential file, not a saved plan: run `spprov apply` "
        "(it reads credentials.yaml); a saved plan is the file `spprov plan --out FILE` "
        "writes\n")
    (gitops.repo / "credentials").mkdir()
    (gitops.repo / "credentials" / "eu.yaml").write_text("version: 1\n")
    other = gitops.run("apply", "credentials/eu.yaml")
    assert other.stderr == (
        "spprov: credentials/eu.yaml is a credential file, not a saved plan: run "
        "`spprov --config credentials/eu.yaml apply`; a saved plan is the file "
        "`spprov plan --out FILE` writes\n")
    folder = gitops.run("apply", "credentials")
    assert folder.stderr == (
        "spprov: credentials is a credential folder, not a saved plan: run "
        "`spprov --config credentials apply`; a saved plan is the file "
        "`spprov plan --out FILE` writes\n")
    (gitops.repo / "credentials" / "eu.yaml").unlink()
    (gitops.repo / "credentials").rmdir()
    assert tree_digest(gitops.repo) == before
    assert gitops.emulator.stats()["total"] == 0


def test_a_saved_plan_named_yaml_is_still_a_saved_plan(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", "plan.yaml").code == 0
    applied = gitops.run("apply", "plan.yaml")
    assert applied.code == 0, applied.output


def test_a_saved_plan_can_only_be_narrower_than_the_apply(gitops: GitOps) -> None:
    """Issue 22, attack 7: a saved plan is a file (a CI artifact) anyone may have edited; it
    cannot ask for more than the command that applies it: `--prune` to delete."""
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    assert gitops.run("apply", "--yes").code == 0
    gitops.declare([{"name": "acme-us", "description": "US", **US}])
    assert gitops.run("plan", "--out", PLAN, "--prune").code == 0
    refused = gitops.run("apply", PLAN)
    assert (refused.code, refused.stderr) == (1, (
        f"spprov: the saved plan {PLAN} asks for --prune, which this apply was not given; a "
        "saved plan can only do less than the command that applies it: review it, then run "
        f"`spprov apply --prune {PLAN}`\n"))
    assert gitops.state_file("acme-eu").exists()
    applied = gitops.run("apply", "--prune", PLAN)
    assert applied.code == 0, applied.output
    assert "acme-us: updated" in applied.stdout
    assert "acme-eu: deleted" in applied.stdout
    assert not gitops.state_file("acme-eu").exists()


def test_an_edited_saved_plan_cannot_delete_without_prune(gitops: GitOps) -> None:
    """The reproduction: `prune: true` and the deletion's `pending: true` written into the
    JSON of a plan made without --prune."""
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    assert gitops.run("apply", "--yes").code == 0
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    path = gitops.repo / PLAN
    document = json.loads(path.read_text())
    document["options"]["prune"] = True
    for change in document["plan"]["changes"]:
        if change["name"] == "acme-eu":
            change["pending"] = True
    path.write_text(json.dumps(document))
    refused = gitops.run("apply", PLAN)
    assert refused.code == 1
    assert "asks for --prune, which this apply was not given" in refused.stderr
    assert gitops.state_file("acme-eu").exists()
    narrower = gitops.run("apply", "--only", "acme-us", PLAN)
    assert narrower.code == 1
    assert ("asks for --prune, --only every credential, which this apply was not given"
            in narrower.stderr), narrower.stderr


def test_a_narrower_saved_plan_applies_under_wider_options(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN, "--only", "acme-us").code == 0
    applied = gitops.run("apply", "--prune", PLAN)
    assert applied.code == 0, applied.output
    assert "acme-us: created" in applied.stdout


def test_a_missing_or_foreign_file_is_one_line(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    missing = gitops.run("apply", "nope.json")
    assert (missing.code, missing.stderr) == (
        1, "spprov: nope.json: no such saved plan; make one with "
           "`spprov plan --out nope.json`\n")
    (gitops.repo / "other.json").write_text('{"format_version": 1}')
    foreign = gitops.run("apply", "other.json")
    assert (foreign.code, foreign.stderr) == (
        1, "spprov: other.json: not a saved spprov plan (made by `spprov plan --out`)\n")


def test_out_refuses_a_plan_for_another_moment(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    refused = gitops.run("plan", "--out", PLAN, "--at", "2030-01-01")
    assert refused.code == 1
    assert "--out saves a plan to apply now; it cannot be made --at TIME" in refused.stderr
    assert not (gitops.repo / PLAN).exists()


def test_a_refresh_plan_repairs_what_it_found_revoked_and_holds_no_secret(
        gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    tokens = [t["refresh_token"] for t in gitops.emulator.refresh_tokens(gitops.app.client_id)]
    for token in tokens:
        gitops.emulator.revoke(token)
    planned = gitops.run("plan", "--refresh", "--out", PLAN)
    assert planned.code == 0, planned.output
    text = (gitops.repo / PLAN).read_text()
    assert "Atzr|" not in text and "Atza|" not in text
    assert gitops.app.client_secret not in text
    assert all(token not in text for token in tokens)
    repaired = gitops.run("apply", "--refresh", PLAN)
    assert repaired.code == 0, repaired.output
    assert "acme-us: repaired (authorized by " in repaired.stdout


authorized = authorized_repository([{"name": "acme-a", **US}, {"name": "acme-b", **US}])
WRONG_SECRET = {"SPPROV_APP_ACME_CLIENT_SECRET": "amzn1.oa2-cs.v1.wrong"}


def _incomplete(what: str, options: str = "--refresh ") -> str:
    return (f"spprov: the saved plan {PLAN} is incomplete ({what}), so nothing was applied: "
            f"fix what `spprov show {PLAN}` lists, then run `spprov plan {options}--out "
            f"{PLAN}` again\n")


def test_a_plan_saved_with_failed_checks_is_refused_not_no_changes(authorized: GitOps) -> None:
    planned = authorized.run("plan", "--refresh", "--out", PLAN, env=WRONG_SECRET)
    assert planned.code == 1, planned.output
    assert (f"Saved the plan to {PLAN}, incomplete (2 not checked): `spprov apply {PLAN}` "
            f"will refuse it; fix what is listed, then run `spprov plan --refresh --out "
            f"{PLAN}` again.") in planned.stderr
    document = json.loads((authorized.repo / PLAN).read_text())
    assert document["plan"]["summary"]["complete"] is False
    before = tree_digest(authorized.repo)
    authorized.emulator.reset_stats()
    # With the right secret now: the checks were still not made when the plan was.
    refused = authorized.run("apply", "--refresh", PLAN)
    assert (refused.code, refused.stdout) == (1, ""), refused.output
    assert refused.stderr == _incomplete("2 not checked")
    assert "No changes" not in refused.output
    assert tree_digest(authorized.repo) == before
    assert authorized.emulator.stats()["total"] == 0
    shown = authorized.run("show", PLAN)
    assert shown.stdout.splitlines()[0].endswith(
        f": current but incomplete (2 not checked); `spprov apply {PLAN}` would refuse it: "
        f"fix what is listed, then run `spprov plan --refresh --out {PLAN}` again.")
    assert "Plan incomplete: 2 not checked; nothing else to do." in shown.stdout
    assert json.loads(authorized.run("show", PLAN, "--json").stdout)["apply"] is None
    # A complete plan made again is applied as it says.
    assert authorized.run("plan", "--refresh", "--out", PLAN).code == 0
    applied = authorized.run("apply", "--refresh", PLAN)
    assert applied.code == 0, applied.output
    assert "No changes. 2 credentials are up to date." in applied.stdout


def test_a_plan_saved_with_a_blocked_file_is_refused_before_any_consent(
        authorized: GitOps) -> None:
    path = authorized.state_file("acme-a")
    path.write_text(f"<<<<<<< HEAD\n{path.read_text()}=======\n>>>>>>> branch\n")
    authorized.declare([{"name": "acme-a", **US}, {"name": "acme-b", **US},
                        {"name": "acme-c", **US}])
    planned = authorized.run("plan", "--out", PLAN)
    assert planned.code == 1, planned.output
    assert f"Saved the plan to {PLAN}, incomplete (1 blocked (state file unreadable))" in (
        planned.stderr)
    before = tree_digest(authorized.repo)
    authorized.emulator.reset_stats()
    refused = authorized.run("apply", PLAN)
    assert (refused.code, refused.stdout) == (1, ""), refused.output
    assert refused.stderr == _incomplete("1 blocked (state file unreadable)", "")
    assert tree_digest(authorized.repo) == before
    assert authorized.emulator.stats()["total"] == 0  # acme-c's consent was not started
    assert not authorized.state_file("acme-c").exists()
