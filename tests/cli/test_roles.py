"""An app's SP-API roles (issue 24): adding one plans a reauthorization (Amazon requires a
new consent), removing one does not; the state file records the roles granted."""

from __future__ import annotations

import yaml

from tests.fixtures_gitops import EU, US, GitOps

ROLES = ["Pricing", "Product Listing"]
ADDED = ("      # app acme: roles added (Finance and Accounting): Amazon requires each seller "
         "to authorize again to grant them")


def _declare(gitops: GitOps, roles: list[str] | None) -> None:
    fields = {} if roles is None else {"roles": roles}
    gitops.declare([{"name": "shop-eu", **EU}, {"name": "shop-us", **US}], **fields)


def _token_ciphertext(gitops: GitOps, name: str) -> str:
    return str(yaml.safe_load(gitops.state_file(name).read_text())["refresh_token"])


def test_a_role_added_plans_reauthorizations_and_a_role_removed_does_not(
        gitops: GitOps) -> None:
    _declare(gitops, ROLES)
    assert gitops.run("apply", "--yes").code == 0
    assert gitops.readable("shop-us")["roles"] == "Pricing, Product Listing"
    assert gitops.run("plan").stdout == "No changes. 2 credentials are up to date.\n"

    _declare(gitops, [*ROLES, "Finance and Accounting"])
    plan = gitops.run("plan")
    assert plan.stdout.splitlines()[2:4] == ["-/+ reauthorize shop-eu", ADDED]
    assert plan.stdout.splitlines()[5:7] == ["-/+ reauthorize shop-us", ADDED]
    assert plan.stdout.endswith("Plan: 0 to create, 2 to reauthorize, 0 to renew, 0 to repair, "
                                "0 to update, 0 to delete; 2 need a person's authorization.\n")
    consents = gitops.emulator.stats()["consent"]
    assert gitops.run("apply", "--yes").code == 0
    assert gitops.emulator.stats()["consent"] > consents
    assert gitops.readable("shop-eu")["roles"] == ("Pricing, Product Listing, "
                                                    "Finance and Accounting")

    # Removing a role needs no consent: an update records the roles that remain.
    _declare(gitops, ["Product Listing", "Finance and Accounting"])
    plan = gitops.run("plan")
    assert plan.stdout.splitlines()[2:4] == [
        "  ~ update shop-eu",
        "      # app acme: roles removed (Pricing): no new authorization needed; the state "
        "records the remaining roles"]
    before = _token_ciphertext(gitops, "shop-us")
    consents = gitops.emulator.stats()["consent"]
    removed = gitops.run("-vv", "apply", "--yes")
    assert removed.code == 0, removed.output
    assert gitops.emulator.stats()["consent"] == consents
    assert gitops.readable("shop-us")["roles"] == "Product Listing, Finance and Accounting"
    assert _token_ciphertext(gitops, "shop-us") == before  # the grant is kept as it was

    # Adding it back is adding a role: Amazon wants the consent again.
    _declare(gitops, ["Product Listing", "Finance and Accounting", "Pricing"])
    assert "-/+ reauthorize shop-us" in gitops.run("plan").stdout


def test_grants_stored_without_roles_are_unknown_and_not_reauthorized(gitops: GitOps) -> None:
    _declare(gitops, None)  # as spprov wrote state before it recorded roles
    assert gitops.run("apply", "--yes").code == 0
    assert "roles" not in gitops.readable("shop-us")
    _declare(gitops, ROLES)
    plan = gitops.run("plan", "--detailed-exitcode")
    assert (plan.code, plan.stdout) == (0, (
        "Note: app acme: the roles of 2 credentials' grants are unknown (state written before "
        "spprov recorded roles): no reauthorization is planned for them; the next "
        "authorization records the roles (bump authorization_version to authorize again "
        "now)\n\nNo changes. 2 credentials are up to date.\n"))
    gitops.declare([{"name": "shop-eu", **EU, "authorization_version": 2},
                    {"name": "shop-us", **US}], roles=ROLES)
    assert gitops.run("apply", "--yes").code == 0
    assert gitops.readable("shop-eu")["roles"] == "Pricing, Product Listing"
    assert "the roles of 1 credential's grant are unknown" in gitops.run("plan").stdout


def test_an_unknown_role_is_one_line_with_the_role_it_likely_means(gitops: GitOps) -> None:
    for written, meant in (("pricing", "Pricing"),
                           ("Direct to Consumer Shipping", "Direct-to-Consumer Shipping "
                                                           "(Restricted)"),
                           ("Finance & Accounting", "Finance and Accounting")):
        _declare(gitops, ["Product Listing", written])
        result = gitops.run("validate")
        assert (result.code, result.stdout) == (1, "")
        line = result.stderr.splitlines()
        assert len(line) == 1 and line[0].endswith(
            f" is not an SP-API role; did you mean {meant!r}?"), result.stderr
        assert line[0].startswith("credentials.yaml:9:7: role ")
    _declare(gitops, ["Pricing", "Pricing"])
    twice = gitops.run("validate")
    assert twice.code == 1
    assert twice.stderr.endswith(": roles names a role twice; list each role once\n")
    _declare(gitops, ["Teleportation"])
    assert gitops.run("validate").stderr.endswith(
        ": role 'Teleportation' is not an SP-API role; the roles are listed in "
        "docs/credentials.md\n")
