"""Issue 22, attacks 1 and 4: in a pull-request job the trust root comes from the base.

Each test commits a base revision (the repository as reviewed and merged), then makes the
working tree hostile the way a pull request can (a recipient or a key service added to
.sops.yaml, a state file naming that key service, a `moved` rename, a `key_groups` rule,
an app's notification queue changed) and runs the real CLI against real sops and the
emulator, with a loopback listener standing in for the key service.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.fixtures_gitops import US, GitOps, authorized_repository
from tests.fixtures_state import REAL_SOPS, VAULT_ENTRY, AgeIdentity, make_identity
from tests.state.test_trust_attacks import credential_fields, forge

CREDENTIAL = "state/credentials/acme-us.sops.yaml"
RULE = r"^state/(credentials|apps)/[^/]+\.sops\.yaml$"
LURE = {"VAULT_TOKEN": "hvs.ci-vault-token", "VAULT_ADDR": "http://127.0.0.1:9"}
QUEUE = "https://sqs.us-east-1.amazonaws.com/111122223333/spprov-rotation"
ATTACKER_QUEUE = "https://sqs.eu-west-1.amazonaws.com/999988887777/collect"

authorized = authorized_repository([{"name": "acme-us", **US}])


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c",
                           "user.name=t", *args], check=True, capture_output=True,
                          text=True).stdout


def commit_base(gitops: GitOps) -> str:
    """Commit the repository as it is and name it `base` (and `origin/main`)."""
    gitops.commit()
    git(gitops.repo, "branch", "-f", "base")
    git(gitops.repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    return git(gitops.repo, "rev-parse", "HEAD").strip()


def operator_recipient(gitops: GitOps) -> str:
    return gitops.repo.joinpath(".sops.yaml").read_text().split(">-\n")[1].strip()


@pytest.fixture
def outsider(tmp_path: Path) -> AgeIdentity:
    return make_identity(tmp_path / "outsider" / "keys.txt")


def add_vault_to_rule(gitops: GitOps, port: int, key_groups: bool = False) -> None:
    """The pull request's .sops.yaml: the rule now also uses the Vault at ``port``."""
    uri = f"http://127.0.0.1:{port}/v1/sops/keys/state"
    recipient = operator_recipient(gitops)
    if key_groups:
        rule = (f"  - path_regex: {RULE}\n    key_groups:\n      - age:\n"
                f"          - {recipient}\n        hc_vault:\n          - {uri}\n")
    else:
        rule = (f"  - path_regex: {RULE}\n    age: >-\n      {recipient}\n"
                f"    hc_vault_transit_uri: {uri}\n")
    (gitops.repo / ".sops.yaml").write_text("creation_rules:\n" + rule)


def plant_vault_file(gitops: GitOps, outsider: AgeIdentity, port: int,
                     key_groups: bool = False) -> None:
    """A state file sops can only open through the Vault at ``port`` (its age stanza is
    for an outsider), as the pull request commits it."""
    now = datetime.now(UTC).replace(microsecond=0)
    forge(gitops.repo, CREDENTIAL, credential_fields_for(gitops, now), outsider.recipient)
    path = gitops.repo / CREDENTIAL
    entry = VAULT_ENTRY.format(port=port)
    if key_groups:
        entry = "    key_groups:\n        - hc_vault:\n" + "".join(
            f"        {line}\n" for line in entry.splitlines()[1:])
    path.write_text(path.read_text().replace("\nsops:\n", "\nsops:\n" + entry))


def credential_fields_for(gitops: GitOps, when: datetime) -> dict[str, object]:
    fields = credential_fields(gitops, when, "Atzr|forged")
    return {**fields, "name": "acme-us"}


def run_all(gitops: GitOps, *extra: str, env: dict[str, str | None] | None = None,
            ) -> dict[str, object]:
    """plan --refresh (the one plan that decrypts), verify and validate, with ``extra``."""
    found = {}
    for command in (("plan", "--refresh"), ("verify",), ("validate",)):
        found[command[0]] = gitops.run(*command, *extra, env={**LURE, **(env or {})})
    return found


# --- a key service added only in the pull request ------------------------------------------

def test_without_a_base_the_pull_requests_key_service_is_contacted(
        authorized: GitOps, key_server: tuple[int, list[bytes]], outsider: AgeIdentity) -> None:
    """The attack is real: the working tree's .sops.yaml lets sops send the Vault token."""
    port, seen = key_server
    commit_base(authorized)
    add_vault_to_rule(authorized, port)
    plant_vault_file(authorized, outsider, port)
    verify = authorized.run("verify", env=LURE)
    assert verify.code == 1
    assert seen and b"hvs.ci-vault-token" in seen[0]


@pytest.mark.parametrize("variant", ["rule", "moved", "key_groups"])
def test_a_key_service_added_in_the_pull_request_is_never_contacted(
        authorized: GitOps, key_server: tuple[int, list[bytes]], outsider: AgeIdentity,
        variant: str) -> None:
    port, seen = key_server
    commit_base(authorized)
    add_vault_to_rule(authorized, port, key_groups=variant == "key_groups")
    plant_vault_file(authorized, outsider, port, key_groups=variant == "key_groups")
    if variant == "moved":
        document = yaml.safe_load((authorized.repo / "credentials.yaml").read_text())
        document["credentials"][0]["name"] = "acme-renamed"
        document["moved"] = [{"from": "acme-us", "to": "acme-renamed"}]
        (authorized.repo / "credentials.yaml").write_text(yaml.safe_dump(document))
    results = run_all(authorized, "--base", "base")
    refusal = (f"{CREDENTIAL}: names key service hc_vault, which .sops.yaml does not use; "
               "refused before contacting it (restore the file from Git, or delete it and "
               "authorize again)")
    verify, plan, validate = results["verify"], results["plan"], results["validate"]
    assert verify.code == 1, verify.output  # type: ignore[attr-defined]
    assert refusal in verify.stderr  # type: ignore[attr-defined]
    assert plan.stderr.startswith("trust root from base (--base)\n")  # type: ignore[attr-defined]
    uri = f"http://127.0.0.1:{port}/v1/sops/keys/state"
    assert f"  + key service hc_vault {uri} (rule {RULE})" in \
        plan.stdout.splitlines()  # type: ignore[attr-defined]
    assert validate.code == 0, validate.output  # type: ignore[attr-defined]
    assert (f"Trust root: + key service hc_vault {uri} (rule {RULE})"
            in validate.stderr.splitlines())  # type: ignore[attr-defined]
    assert seen == []


def test_the_ci_variables_name_the_base(authorized: GitOps, key_server: tuple[int, list[bytes]],
                                        outsider: AgeIdentity) -> None:
    port, seen = key_server
    commit_base(authorized)
    add_vault_to_rule(authorized, port)
    plant_vault_file(authorized, outsider, port)
    github = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
              "GITHUB_BASE_REF": "main", "GITHUB_TOKEN": None}
    verify = authorized.run("verify", env={**LURE, **github})
    assert verify.code == 1
    assert verify.stderr.splitlines()[0] == "trust root from origin/main (GITHUB_BASE_REF)"
    gitlab = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    verify = authorized.run("verify", env={**LURE, **gitlab})
    assert verify.stderr.splitlines()[0] == (
        "trust root from origin/main (CI_MERGE_REQUEST_TARGET_BRANCH_NAME)")
    sha = git(authorized.repo, "rev-parse", "base").strip()
    gitlab = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": sha}
    verify = authorized.run("verify", env={**LURE, **gitlab})
    assert verify.stderr.splitlines()[0] == (
        f"trust root from {sha} (CI_MERGE_REQUEST_DIFF_BASE_SHA)")
    assert seen == []
    # A push build is no review: the working tree's trust root, as before.
    push = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_BASE_REF": ""}
    assert "trust root from" not in authorized.run("verify", env=push).stderr


def test_a_base_that_does_not_resolve_is_one_line(authorized: GitOps) -> None:
    commit_base(authorized)
    for command in ("plan", "verify", "validate"):
        result = authorized.run(command, "--base", "origin/nope")
        assert (result.code, result.stdout) == (1, ""), result.output
        assert result.stderr == (
            "spprov: --base origin/nope: no such commit in this repository; fetch it first "
            "(`git fetch origin nope`, or check out with the whole history) or pass "
            "--base REF\n"), result.stderr
    github = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
              "GITHUB_BASE_REF": "release"}
    result = authorized.run("plan", env=github)
    assert result.code == 1
    assert result.stderr.startswith(
        "spprov: GITHUB_BASE_REF names origin/release: no such commit in this repository")
    assert len(result.stderr.splitlines()) == 1


def test_a_linked_sops_yaml_at_the_base_is_refused(authorized: GitOps) -> None:
    sops_yaml = authorized.repo / ".sops.yaml"
    real = sops_yaml.read_text()
    (authorized.repo / "trust.yaml").write_text(real)
    sops_yaml.unlink()
    sops_yaml.symlink_to("trust.yaml")
    commit_base(authorized)
    sops_yaml.unlink()
    sops_yaml.write_text(real)
    result = authorized.run("verify", "--base", "base")
    assert result.code == 1
    assert "base:.sops.yaml" not in result.stderr
    assert ".sops.yaml at base: is a symbolic link; spprov reads only regular files" in \
        result.stderr, result.stderr


# --- a recipient added in the pull request ------------------------------------------------

def test_a_recipient_added_in_the_pull_request_is_shown_and_not_trusted(
        authorized: GitOps, outsider: AgeIdentity) -> None:
    commit_base(authorized)
    operator = operator_recipient(authorized)
    sops_yaml = authorized.repo / ".sops.yaml"
    sops_yaml.write_text(sops_yaml.read_text().replace(
        operator, f"{operator},{outsider.recipient}"))
    now = datetime.now(UTC).replace(microsecond=0)
    forge(authorized.repo, CREDENTIAL, credential_fields_for(authorized, now), operator,
          outsider.recipient)
    # Trusting the working tree, the forged file for the outsider looks right.
    assert authorized.run("verify").code == 0

    verify = authorized.run("verify", "--base", "base")
    assert verify.code == 1
    assert (f"{CREDENTIAL}: encrypted for recipient {outsider.recipient}, which .sops.yaml "
            "does not name") in verify.stderr.splitlines()

    plan = authorized.run("plan", "--base", "base", "--detailed-exitcode")
    assert plan.code == 2, plan.output
    lines = plan.stdout.splitlines()
    assert ("Trust root: from base (--base); the pull request's .sops.yaml changes it (not "
            "used until merged):") in lines
    assert f"  + recipient {outsider.recipient} (rule {RULE})" in lines
    assert f"  - recipient {outsider.recipient} (still in 1 state file: run `spprov rekey`)" \
        in lines
    document = json.loads(authorized.run("plan", "--base", "base", "--json").stdout)
    assert document["review"]["base"] == "base"
    assert document["review"]["trust_root"] == [
        {"change": "add", "kind": "recipient", "value": outsider.recipient, "rule": RULE}]
    assert document["summary"]["review_changes"] == 1
    markdown = authorized.run("plan", "--base", "base", "--markdown").stdout
    assert "### trust root" in markdown
    assert f"| + recipient {outsider.recipient} |" in markdown


def test_an_unchanged_trust_root_says_so(authorized: GitOps) -> None:
    commit_base(authorized)
    plan = authorized.run("plan", "--base", "base", "--detailed-exitcode")
    assert plan.code == 0, plan.output
    assert "Trust root: from base (--base); the pull request does not change it." in \
        plan.stdout.splitlines()
    assert plan.stdout.splitlines()[-1] == "No changes. 1 credential is up to date."


# --- attack 4: an app field changed in the pull request ------------------------------------

def test_a_changed_notification_queue_is_in_the_plan(authorized: GitOps) -> None:
    document = yaml.safe_load((authorized.repo / "credentials.yaml").read_text())
    document["apps"]["acme"]["notifications"] = {"sqs_queue_url": QUEUE,
                                                 "aws_region": "us-east-1"}
    (authorized.repo / "credentials.yaml").write_text(yaml.safe_dump(document))
    commit_base(authorized)
    document["apps"]["acme"]["notifications"] = {"sqs_queue_url": ATTACKER_QUEUE,
                                                 "aws_region": "eu-west-1"}
    (authorized.repo / "credentials.yaml").write_text(yaml.safe_dump(document))
    # Compared with the state files only, the change is invisible.
    assert authorized.run("plan", "--detailed-exitcode").code == 0

    plan = authorized.run("plan", "--base", "base", "--detailed-exitcode")
    assert plan.code == 2, plan.output
    lines = plan.stdout.splitlines()
    assert "Apps: the pull request changes 1 app declared at base:" in lines
    assert "  ~ app acme" in lines
    assert '      notifications.aws_region: "us-east-1" -> "eu-west-1"' in lines
    assert f'      notifications.sqs_queue_url: "{QUEUE}" -> "{ATTACKER_QUEUE}"' in lines
    assert lines[-1] == ("Plan: 1 app changed against base; no credential changes.")
    document = json.loads(authorized.run("plan", "--base", "base", "--json").stdout)
    assert document["review"]["apps"] == [{"app": "acme", "change": "update", "fields": [
        {"field": "notifications.aws_region", "from": '"us-east-1"', "to": '"eu-west-1"'},
        {"field": "notifications.sqs_queue_url", "from": json.dumps(QUEUE),
         "to": json.dumps(ATTACKER_QUEUE)}]}]
    assert document["summary"]["has_changes"] is True
    markdown = authorized.run("plan", "--base", "base", "--markdown").stdout
    assert "### apps changed (1)" in markdown


@pytest.mark.parametrize(("field", "value"), [("renewal_window_days", 7),
                                              ("draft", True),
                                              ("client_id", "amzn1.application-oa2-client.x")])
def test_every_app_field_is_compared(authorized: GitOps, field: str, value: object) -> None:
    commit_base(authorized)
    document = yaml.safe_load((authorized.repo / "credentials.yaml").read_text())
    document["apps"]["acme"][field] = value
    (authorized.repo / "credentials.yaml").write_text(yaml.safe_dump(document))
    plan = authorized.run("plan", "--base", "base", "--json", "--detailed-exitcode")
    assert plan.code == 2, plan.output
    fields = json.loads(plan.stdout)["review"]["apps"][0]["fields"]
    assert [f["field"] for f in fields] == [field]
    assert fields[0]["to"] == json.dumps(value)


def test_sops_is_never_given_the_working_trees_config_with_a_base(
        authorized: GitOps, sops_recorder: object) -> None:
    """With a base, sops only decrypts, with an empty configuration."""
    commit_base(authorized)
    env = {"SPPROV_SOPS": str(sops_recorder.shim),  # type: ignore[attr-defined]
           "SOPS_AGE_KEY_FILE": None,
           "SOPS_AGE_KEY_CMD": f"cat {authorized.env['SOPS_AGE_KEY_FILE']}"}
    verify = authorized.run("verify", "--base", "base", env=env)
    assert verify.code == 0, verify.output
    calls = sops_recorder.calls()  # type: ignore[attr-defined]
    decrypts = [call for call in calls if "decrypt" in call]
    assert decrypts and all(call[:3] == ["--config", os.devnull, "decrypt"]
                            for call in decrypts), calls
    assert REAL_SOPS.exists()
