"""Amazon's authorization limits in the plan, in apply and in the emulator (issue 24).

An app not listed in the Appstore is authorized by at most 25 sellers through OAuth; the
plan counts them per app, apply starts no consent for a 26th seller, and the emulator
answers one with "OAuth limit reached", as Amazon does. `appstore_listed: true` lifts it.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures_gitops import US, GitOps
from tests.programs import python_script

HEADING = "Authorizations against Amazon's limits:"
HINT = ("  over the limit if each new credential is another seller: apply starts no consent "
        "for a new seller once 25 hold one; remove credentials, pin selling_partner_id where "
        "a seller already holds one, or declare appstore_listed: true once the app is listed")
REFUSAL = ("no consent was started: app acme is authorized by 25 sellers, Amazon's limit for "
           "an app not listed in the Appstore (25), so a new seller's consent ends in \"OAuth "
           "limit reached\"; free one (the seller removes the app under Manage Your Apps), pin "
           "selling_partner_id to a seller who holds one, or declare appstore_listed: true "
           "once the app is listed")


def _shops(count: int) -> list[dict[str, object]]:
    return [{"name": f"shop-{index:02d}", **US} for index in range(count)]


def _sellers_browser(gitops: GitOps) -> str:
    """A browser that signs in as another seller for each consent (seller-0, seller-1...)."""
    counter = gitops.repo.parent / "consents"
    return str(python_script(gitops.repo.parent / "sellers-browser", (
        "import pathlib\n"
        "from spprov.emulator.browser import visit\n"
        f"counter = pathlib.Path({str(counter)!r})\n"
        "n = int(counter.read_text()) if counter.exists() else 0\n"
        "counter.write_text(str(n + 1))\n"
        "sys.exit(visit(sys.argv[1], {**os.environ, 'SPPROV_BROWSER_ACCOUNT': f'seller-{n}'}))\n")))


def _budget_block(output: str) -> list[str]:
    lines = output.splitlines()
    if HEADING not in lines:
        return []
    start = lines.index(HEADING)
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_the_plan_counts_sellers_against_the_limit_at_24_25_and_26(gitops: GitOps) -> None:
    gitops.declare(_shops(24))
    assert _budget_block(gitops.run("plan").stdout) == [
        HEADING,
        "  app acme: seller OAuth: 0 stored, 24 declared, up to 24 after apply; limit 25 "
        "(not listed in the Appstore): 1 left",
        "  app acme: self: 0 stored, 0 declared; limit 10: 10 left"]
    gitops.declare(_shops(25))
    assert _budget_block(gitops.run("plan").stdout) == [
        HEADING,
        "  app acme: seller OAuth: 0 stored, 25 declared, up to 25 after apply; limit 25 "
        "(not listed in the Appstore): at the limit",
        "  app acme: self: 0 stored, 0 declared; limit 10: 10 left"]
    gitops.declare(_shops(26))
    plan = gitops.run("plan")
    assert _budget_block(plan.stdout) == [
        HEADING,
        "  app acme: seller OAuth: 0 stored, 26 declared, up to 26 after apply; limit 25 "
        "(not listed in the Appstore): 1 over the limit",
        "  app acme: self: 0 stored, 0 declared; limit 10: 10 left",
        HINT]
    markdown = gitops.run("plan", "--markdown").stdout
    assert ("### authorizations against amazon's limits\n\n- app acme: seller OAuth: 0 stored, "
            "26 declared, up to 26 after apply; limit 25 (not listed in the Appstore): 1 over "
            "the limit\n") in markdown
    document = json.loads(gitops.run("plan", "--json").stdout)
    assert document["authorizations"] == [{
        "app": "acme", "appstore_listed": False,
        "seller_oauth": {"stored_sellers": 0, "declared": 26, "new": 26, "after_apply": 26,
                         "limit": 25, "over": 1},
        "self": {"stored": 0, "declared": 0, "limit": 10, "over": 0},
        "may_exceed": True}]
    # Far from the limits the text plan reads as before; the JSON still counts.
    gitops.declare(_shops(3))
    assert _budget_block(gitops.run("plan").stdout) == []
    counted = json.loads(gitops.run("plan", "--json").stdout)["authorizations"][0]
    assert counted["seller_oauth"]["declared"] == 3


def test_apply_starts_no_consent_for_a_26th_seller_and_appstore_listed_lifts_it(
        gitops: GitOps, tmp_path: Path) -> None:
    env = {"BROWSER": _sellers_browser(gitops)}
    gitops.declare(_shops(25))
    first = gitops.run("apply", "--yes", env=env)
    assert first.code == 0, first.output
    gitops.declare(_shops(26))
    plan = gitops.run("plan")
    assert _budget_block(plan.stdout)[1] == (
        "  app acme: seller OAuth: 25 stored, 26 declared, up to 26 after apply; limit 25 "
        "(not listed in the Appstore): 1 over the limit")
    consents = gitops.emulator.stats()["consent"]
    grants = len(gitops.emulator.refresh_tokens(gitops.app.client_id))
    refused = gitops.run("apply", "--yes", env=env)
    assert refused.code == 1, refused.output
    failed = [line for line in refused.output.splitlines() if "shop-25" in line
              and "no consent was started" in line]
    assert len(failed) == 1 and failed[0].endswith(REFUSAL), refused.output
    assert gitops.emulator.stats()["consent"] == consents  # no consent page was opened
    assert len(gitops.emulator.refresh_tokens(gitops.app.client_id)) == grants
    assert not gitops.state_file("shop-25").exists()

    # Declared listed while Amazon's app is not: spprov starts the consent and the
    # emulator refuses it as Amazon does (its page, which the browser reports; no grant).
    gitops.declare(_shops(26), appstore_listed=True)
    assert _budget_block(gitops.run("plan").stdout) == []
    at_amazon = gitops.run("apply", "--yes", "--authorization-timeout", "3", env=env)
    assert at_amazon.code == 1
    assert "OAuth limit reached" in at_amazon.stderr, at_amazon.output
    assert gitops.emulator.stats()["consent"] > consents
    assert len(gitops.emulator.refresh_tokens(gitops.app.client_id)) == grants
    assert not gitops.state_file("shop-25").exists()

    # Once the app is listed (the console stand-in), the 26th seller authorizes.
    app = gitops.app
    gitops.emulator.control("POST", "/apps", {
        "application_id": app.application_id, "client_id": app.client_id,
        "client_secret": app.client_secret, "redirect_uris": list(app.redirect_uris),
        "appstore_listed": True})
    listed = gitops.run("apply", "--yes", env=env)
    assert listed.code == 0, listed.output
    assert gitops.readable("shop-25")["authorization_method"] == "website"
    document = json.loads(gitops.run("plan", "--json").stdout)["authorizations"][0]
    assert document["seller_oauth"]["stored_sellers"] == 26
    assert document["seller_oauth"]["limit"] is None and not document["may_exceed"]


def test_one_sellers_sandbox_twin_adds_no_seller(gitops: GitOps) -> None:
    sandbox = {**US, "sp_api_endpoint": "https://sandbox.sellingpartnerapi-na.amazon.com"}
    gitops.declare([{"name": "shop", **US}, {"name": "shop-sandbox", **sandbox}])
    applied = gitops.run("apply", "--yes")
    assert applied.code == 0, applied.output
    document = json.loads(gitops.run("plan", "--json").stdout)["authorizations"][0]
    # One account consented twice in one region: one seller for Amazon's limit.
    assert document["seller_oauth"] == {"stored_sellers": 1, "declared": 2, "new": 0,
                                        "after_apply": 1, "limit": 25, "over": 0}


def _self_authorize(gitops: GitOps, account: str) -> tuple[int, dict[str, object]]:
    response = gitops.emulator.http.post("/_emulator/self-authorize", json={
        "client_id": gitops.app.client_id, "region": "na", "account": account})
    return response.status_code, response.json()


def test_self_authorizations_are_counted_and_the_emulator_stops_at_10(gitops: GitOps) -> None:
    gitops.declare(_shops(8))
    for index in range(8):
        status, grant = _self_authorize(gitops, f"owner-{index}")
        assert status == 201 and grant["self_authorizations"] == index + 1
        imported = gitops.run("authorize", f"shop-{index:02d}", "--refresh-token-stdin",
                              input=f"{grant['refresh_token']}\n")
        assert imported.code == 0, imported.output
    assert _budget_block(gitops.run("plan").stdout) == [
        HEADING,
        "  app acme: seller OAuth: 0 stored, 0 declared, 0 after apply; limit 25 "
        "(not listed in the Appstore): 25 left",
        "  app acme: self: 8 stored, 8 declared; limit 10: 2 left"]
    assert [_self_authorize(gitops, f"owner-{n}")[0] for n in (8, 9)] == [201, 201]
    status, refused = _self_authorize(gitops, "owner-10")
    assert (status, refused) == (400, {"error": "self-authorization limit reached: the app "
                                                "holds 10 self-authorizations"})
    assert len(gitops.emulator.refresh_tokens(gitops.app.client_id)) == 10
