"""`spprov token NAME`: a fresh access token on stdout and nothing else."""

from __future__ import annotations

from tests.fixtures_gitops import US, GitOps, authorized_repository
from tests.pty_run import run_with_pty_stdout

# A repository with one authorized credential, acme-us.
authorized = authorized_repository([{"name": "acme-us", **US}])


def test_token_prints_one_fresh_access_token(authorized: GitOps) -> None:
    authorized.emulator.reset_stats()
    result = authorized.run("token", "acme-us")
    assert result.code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Atza|")
    assert result.stdout == lines[0] + "\n"
    assert authorized.emulator.stats()["total"] == 1


def test_token_of_a_revoked_credential_says_what_to_do(authorized: GitOps) -> None:
    for token in authorized.emulator.refresh_tokens(authorized.app.client_id):
        authorized.emulator.revoke(token["refresh_token"])
    result = authorized.run("token", "acme-us")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == ("spprov: acme-us: refresh token revoked or expired: "
                             "run `spprov authorize acme-us`\n")


def test_token_without_state_file(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    result = gitops.run("token", "acme-us")
    assert result.code == 1
    assert result.stderr == ("spprov: acme-us: no state file; run `spprov apply` or "
                             "`spprov authorize acme-us` first\n")


def test_token_refuses_a_name_that_is_not_a_credential_name(gitops: GitOps) -> None:
    result = gitops.run("token", "../apps/acme")
    assert result.code == 1
    assert result.stderr == ("spprov: '../apps/acme' is not a credential name "
                             "(^[a-z0-9][a-z0-9-]{0,62}$)\n")


def test_token_refuses_a_terminal_without_reveal(authorized: GitOps) -> None:
    refused = run_with_pty_stdout(authorized, "token", "acme-us")
    assert refused.code == 1
    assert refused.terminal == ""
    assert refused.stderr == ("spprov: token writes secrets; redirect it to a file or a pipe, "
                              "or add --reveal to show them on this terminal\n")
    shown = run_with_pty_stdout(authorized, "token", "acme-us", "--reveal")
    assert shown.code == 0, shown.stderr
    assert shown.terminal.startswith("Atza|")
