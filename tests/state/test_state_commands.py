"""`spprov state list` and `spprov state show`: readable fields, nothing decrypted."""

from __future__ import annotations

import json

import pytest

from tests.fixtures_gitops import US, GitOps, authorized_repository, tree_digest

authorized = authorized_repository([{"name": "acme-us", "description": "Acme US", **US},
                                    {"name": "acme-ca", **US}])


@pytest.fixture
def repo(authorized: GitOps) -> GitOps:
    secret = authorized.run("app", "set-secret", "acme", "--no-check",
                            input=authorized.app.client_secret + "\n")
    assert secret.code == 0, secret.output
    return authorized


def test_state_list_names_every_state_file(repo: GitOps) -> None:
    listed = repo.run("state", "list")
    assert (listed.code, listed.stderr) == (0, "")
    assert listed.stdout == "credentials/acme-ca\ncredentials/acme-us\napps/acme\n"
    document = json.loads(repo.run("state", "list", "--json").stdout)
    assert document["state_files"][0] == {
        "address": "credentials/acme-ca", "file": "state/credentials/acme-ca.sops.yaml",
        "problem": None}


def test_state_show_prints_readable_fields_and_never_a_secret(repo: GitOps) -> None:
    before = tree_digest(repo.repo)
    # No identity at all: show must not need one (nothing is decrypted).
    shown = repo.run("state", "show", "acme-us", env={"SOPS_AGE_KEY_FILE": None})
    assert (shown.code, shown.stderr) == (0, "")
    rows = shown.stdout.splitlines()
    readable = repo.readable("acme-us")
    assert rows[0] == "# state/credentials/acme-us.sops.yaml"
    assert "name: acme-us" in rows and "description: Acme US" in rows
    assert f"selling_partner_id: {readable['selling_partner_id']}" in rows
    assert "refresh_token: (sensitive value, encrypted)" in rows
    assert rows[-2].startswith("# encrypted for age1")
    assert "ENC[" not in shown.stdout and "Atzr|" not in shown.stdout
    assert tree_digest(repo.repo) == before
    app = repo.run("state", "show", "apps/acme")
    assert "client_secret: (sensitive value, encrypted)" in app.stdout.splitlines()
    assert repo.app.client_secret not in app.stdout
    document = json.loads(repo.run("state", "show", "credentials/acme-us", "--json").stdout)
    assert document["address"] == "credentials/acme-us"
    assert document["encrypted"] == ["refresh_token"]
    assert document["fields"]["name"] == "acme-us"
    assert "refresh_token" not in document["fields"]


def test_state_show_of_an_unknown_name_suggests_one(repo: GitOps) -> None:
    result = repo.run("state", "show", "acme-su")
    assert result.code == 1
    assert result.stderr == ("spprov: no credential named 'acme-su' is stored under "
                             "state/credentials/; did you mean 'acme-us'? run "
                             "`spprov state show credentials/acme-us`\n")
    odd = repo.run("state", "show", "secrets/acme")
    assert (odd.code, odd.stderr) == (1, "spprov: 'secrets/acme' is not a state address: use "
                                         "NAME, credentials/NAME or apps/APP (see `spprov "
                                         "state list`)\n")


def test_an_unreadable_state_file_is_listed_and_fails(repo: GitOps) -> None:
    repo.state_file("acme-ca").write_text("name: [unclosed\n")
    listed = repo.run("state", "list")
    assert listed.code == 1
    assert "credentials/acme-ca" in listed.stdout.splitlines()
    assert listed.stderr.startswith("unreadable: state/credentials/acme-ca.sops.yaml: ")
    shown = repo.run("state", "show", "acme-ca")
    assert shown.code == 1
    assert shown.stderr.startswith("spprov: state/credentials/acme-ca.sops.yaml: ")


def test_state_show_verify_decrypts_and_checks(repo: GitOps) -> None:
    verified = repo.run("state", "show", "acme-us", "--verify")
    assert verified.code == 0, verified.output
    assert verified.stderr == "state/credentials/acme-us.sops.yaml: verified\n"
    assert "Atzr|" not in verified.output
    app = repo.run("state", "show", "apps/acme", "--verify")
    assert (app.code, app.stderr) == (0, "state/apps/acme.sops.yaml: verified\n")
    # A hand edit of a readable field: show alone cannot see it, --verify (the MAC) does.
    path = repo.state_file("acme-us")
    path.write_text(path.read_text().replace("description: Acme US", "description: Acme UK"))
    assert repo.run("state", "show", "acme-us").code == 0
    tampered = repo.run("state", "show", "acme-us", "--verify")
    assert tampered.code == 1
    assert tampered.stderr.endswith("state/credentials/acme-us.sops.yaml: failed verification\n")
    # Without an identity, --verify cannot decrypt: a failure, never "verified".
    assert repo.run("state", "show", "acme-ca", "--verify",
                    env={"SOPS_AGE_KEY_FILE": None}).code == 1
