"""`spprov show PLANFILE`: a saved plan as text, JSON and Markdown, current or stale."""

from __future__ import annotations

import json

from tests.fixtures_gitops import EU, US, GitOps, tree_digest

PLAN = "plan.json"


def test_a_current_plan_is_shown_as_plan_shows_it(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    planned = gitops.run("plan", "--out", PLAN, "--only", "acme-us")
    assert planned.code == 0, planned.output
    made = json.loads((gitops.repo / PLAN).read_text())["plan"]["generated_at"]
    before = tree_digest(gitops.repo)
    shown = gitops.run("show", PLAN)
    assert (shown.code, shown.stderr) == (0, "")
    header, rest = shown.stdout.split("\n\n", 1)
    assert header == (f"Saved plan {PLAN} (made {made}, with --only acme-us): current; "
                      f"`spprov apply {PLAN}` carries out exactly this plan.")
    assert rest == planned.stdout  # exactly what `plan` printed
    assert tree_digest(gitops.repo) == before  # nothing written, no lock taken
    assert gitops.emulator.stats().get("token", 0) == 0

    document = json.loads(gitops.run("show", "--json", PLAN).stdout)
    assert (document["format_version"], document["kind"]) == (1, "spprov saved plan view")
    assert (document["current"], document["changed"]) == (True, [])
    assert document["apply"] == f"spprov apply {PLAN}"
    assert [c["action"] for c in document["plan"]["changes"]] == ["create"]

    markdown = gitops.run("show", "--markdown", PLAN).stdout
    assert markdown.startswith(f"Saved plan {PLAN} (made ")
    assert "\n\n## spprov plan\n\nPlan: 1 to create," in markdown


def test_a_stale_plan_says_what_changed_and_what_it_held(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    gitops.declare([{"name": "acme-us", **EU}])
    shown = gitops.run("show", PLAN)
    assert shown.code == 0
    lines = shown.stdout.splitlines()
    assert lines[0].endswith(
        f": stale, credentials.yaml changed since it was made; `spprov apply {PLAN}` would "
        f"refuse it: run `spprov plan --out {PLAN}` again. It held:")
    assert "  + create acme-us" in lines
    assert lines[-1] == ("Plan: 1 to create, 0 to reauthorize, 0 to renew, 0 to repair, "
                         "0 to update, 0 to delete; 1 need a person's authorization.")
    document = json.loads(gitops.run("show", "--json", PLAN).stdout)
    assert (document["current"], document["changed"], document["apply"]) == (
        False, ["credentials.yaml changed"], None)
    markdown = gitops.run("show", "--markdown", PLAN).stdout
    assert "## spprov plan (stale)\n\n- create acme-us: " in markdown
    # apply agrees: a stale plan is refused.
    assert gitops.run("apply", PLAN).code == 1


def test_a_missing_or_foreign_file_is_one_line(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    missing = gitops.run("show", PLAN)
    assert (missing.code, missing.stderr) == (
        1, f"spprov: {PLAN}: no such saved plan; make one with `spprov plan --out {PLAN}`\n")
    (gitops.repo / PLAN).write_text('{"kind": "other"}')
    foreign = gitops.run("show", PLAN)
    assert (foreign.code, foreign.stderr) == (
        1, f"spprov: {PLAN}: not a saved spprov plan (made by `spprov plan --out`)\n")
    both = gitops.run("show", "--json", "--markdown", PLAN)
    assert (both.code, both.stderr) == (1, "spprov: choose one of --json and --markdown\n")


def test_hostile_names_in_a_stale_plan_are_escaped(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("plan", "--out", PLAN).code == 0
    path = gitops.repo / PLAN
    document = json.loads(path.read_text())
    document["plan"]["changes"][0]["name"] = "x\n::add-mask::y\x1b[2J"
    path.write_text(json.dumps(document))
    shown = gitops.run("show", PLAN)
    assert "\x1b" not in shown.stdout
    assert not any(line.startswith("::") for line in shown.stdout.splitlines())
