"""Invite -> a seller's journey through the real relay -> `CI=true spprov apply` collects."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.fixtures_gitops import US, GitOps
from tests.fixtures_relay import CLIENT_SECRET, RELAY_TOKEN, Relay, Seller, declare_relayed

CI = {"CI": "true"}


def _invite(gitops: GitOps, *names: str) -> dict[str, str]:
    result = gitops.run("invite", *names)
    assert result.code == 0, result.output
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


@pytest.mark.relay_process  # `spprov relay serve` itself, as a team runs it
def test_invite_journey_collect(relayed: GitOps, relay: Relay, seller: Seller) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", "description": "ACME US store", **US}])
    links = _invite(relayed, "acme-us")
    assert list(links) == ["acme-us"]
    assert re.fullmatch(rf"{relay.url}/i/[A-Za-z0-9_-]{{43}}", links["acme-us"])
    record = yaml.safe_load((relayed.repo / "state/invitations/acme-us.yaml").read_text())
    assert record["relay"] == relay.url and record["action"] == "create"
    assert links["acme-us"].rsplit("/", 1)[1] not in str(record)
    relayed.emulator.reset_stats()

    consent = seller.start(links["acme-us"])
    back = seller.decide(consent)
    page = seller.open(back)
    assert page.status_code == 200, page.text
    assert "is authorized" in page.text
    assert relayed.emulator.stats()["consent"] == 1  # the seller's approval, nothing else

    plan = relayed.run("plan")
    assert "acme-us: invited through " in plan.stdout
    assert "a grant is ready to collect" in plan.stdout

    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 0, result.output
    partner = relayed.emulator.selling_partner_id("default", "na")
    assert f"acme-us: created (authorized by {partner}, collected from {relay.url})" \
        in result.stdout
    assert relayed.readable("acme-us")["selling_partner_id"] == partner
    assert not (relayed.repo / "state/invitations/acme-us.yaml").exists()
    assert relayed.emulator.stats()["consent"] == 1  # none from the operator
    token = relayed.run("token", "acme-us")
    assert token.code == 0, token.output

    again = relayed.run("apply", "--yes", env=CI)
    assert again.code == 0 and "No changes" in again.stdout

    # The relay's log is JSON lines with no secret of the journey in it.
    logs = relay.logs()  # type: ignore[union-attr]
    query = dict(part.split("=", 1) for part in back.split("?", 1)[1].split("&"))
    [grant] = relayed.emulator.refresh_tokens()
    for secret in (links["acme-us"].rsplit("/", 1)[1], query["state"],
                   query["spapi_oauth_code"], grant["refresh_token"], CLIENT_SECRET,
                   RELAY_TOKEN):
        assert secret not in logs
    events = [json.loads(line).get("event") for line in logs.splitlines()]
    assert {"invitation_added", "consent_started", "grant_stored",
            "invitation_deleted"} <= set(events)


def test_invite_refusals_and_json(relayed: GitOps, relay: Relay) -> None:
    relayed.declare([{"name": "acme-us", **US}])  # the app declares no relay
    result = relayed.run("invite", "acme-us")
    assert (result.code, result.stderr.strip()) == (
        1, "spprov: acme-us: app acme declares no relay; add `relay: BASE_URL` to app acme "
           "(see docs/relay.md)")
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    missing = relayed.run("invite", "acme-us", env={"SPPROV_RELAY_TOKEN": None})
    assert missing.code == 1
    assert missing.stderr.strip() == (
        "spprov: SPPROV_RELAY_TOKEN is not set: set it to the token the relay was started "
        "with (its admin API refuses requests without it)")
    wrong = relayed.run("invite", "acme-us", env={"SPPROV_RELAY_TOKEN": "wrong-token"})
    assert wrong.code == 1 and "refused the token in SPPROV_RELAY_TOKEN" in wrong.stderr
    assert not (relayed.repo / "state/invitations").exists()
    listed = relayed.run("invite", "acme-us", "--json", "--expires", "30m")
    assert listed.code == 0, listed.output
    document = json.loads(listed.stdout)
    assert document["format_version"] == 1
    [invitation] = document["invitations"]
    assert (invitation["name"], invitation["relay"], invitation["action"]) == \
        ("acme-us", relay.url, "create")
    assert invitation["link"].startswith(f"{relay.url}/i/")


def test_ci_apply_invites_and_waits(relayed: GitOps, relay: Relay) -> None:
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    result = relayed.run("apply", "--yes", env=CI)
    assert result.code == 3, result.output
    link = re.search(r"invitation link: (\S+)", result.stdout)
    assert link is not None and link[1].startswith(f"{relay.url}/i/"), result.stdout
    again = relayed.run("apply", "--yes", env=CI)
    assert again.code == 3
    assert "invitation link" not in again.stdout
    assert "acme-us: invited through" in again.stdout
    assert relayed.emulator.stats()["consent"] == 0


def test_ci_apply_lists_links_in_json_and_markdown(relayed: GitOps, relay: Relay) -> None:
    # A bot reads the links from apply's report and sends each seller theirs.
    declare_relayed(relayed, relay, [{"name": "acme-us", **US}])
    result = relayed.run("apply", "--yes", "--json", env=CI)
    assert result.code == 3, result.output
    report = json.loads(result.stdout)  # stdout is the document alone
    assert (report["format_version"], report["exit_code"]) == (1, 3)
    assert report["summary"] == {"done": 0, "waiting": 1, "kept": 0, "failed": 0,
                                 "blocked": 0}
    [waiting] = report["outcomes"]
    assert (waiting["name"], waiting["action"], waiting["status"]) == \
        ("acme-us", "create", "waiting")
    assert waiting["invitation"]["relay"] == relay.url
    link = waiting["invitation"]["link"]
    assert re.fullmatch(rf"{relay.url}/i/[A-Za-z0-9_-]{{43}}", link)
    assert waiting["run"] is None  # the seller consents through the link, nobody runs it
    assert report["plan"]["changes"][0]["name"] == "acme-us"
    # The plan and the progress lines go to stderr, so a person still sees them.
    assert "  + create acme-us\n" in result.stderr
    assert result.stderr.rstrip().endswith(
        "Apply finished: 0 done, 1 waiting for a person, 0 failed, 0 orphans kept.")

    # The next apply invites anew only once this one expired; its Markdown names the relay.
    (relayed.repo / "state/invitations/acme-us.yaml").unlink()
    markdown = relayed.run("apply", "--yes", "--markdown", env=CI)
    assert markdown.code == 3, markdown.output
    [row] = [line for line in markdown.stdout.splitlines() if line.startswith("| acme-us ")]
    fresh = re.search(r"<(\S+)>", row)
    assert fresh is not None and fresh[1].startswith(f"{relay.url}/i/") and fresh[1] != link
    assert row == f"| acme-us | create | send the seller this invitation link: <{fresh[1]}> |"
    assert markdown.stdout.startswith("## spprov apply\n\n### waiting for a person (1)")
    assert "invitation link" not in markdown.stderr


def test_apply_json_with_nothing_to_do_and_both_formats(relayed: GitOps, relay: Relay) -> None:
    relayed.declare([])
    result = relayed.run("apply", "--yes", "--json", env=CI)
    assert result.code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["exit_code"], report["outcomes"]) == (0, [])
    assert "No changes" in result.stderr
    both = relayed.run("apply", "--yes", "--json", "--markdown", env=CI)
    assert both.code == 1
    assert "choose one of --json and --markdown" in both.stderr
