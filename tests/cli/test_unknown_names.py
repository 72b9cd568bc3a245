"""A mistyped credential name, wherever a name is taken: the closest name and the next step."""

from __future__ import annotations

import pytest

from tests.fixtures_gitops import EU, US, GitOps


@pytest.fixture
def two(gitops: GitOps) -> GitOps:
    """acme-us authorized (stored), acme-eu declared only."""
    gitops.declare([{"name": "acme-us", **US}])
    created = gitops.run("apply", "--yes")
    assert created.code == 0, created.output
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}])
    return gitops


def _refused(gitops: GitOps, *args: str) -> str:
    before = gitops.emulator.stats()["total"]
    result = gitops.run(*args)
    assert (result.code, result.stdout) == (1, "")
    assert gitops.emulator.stats()["total"] == before  # nothing was asked of Amazon
    return result.stderr


def test_authorize_suggests_a_declared_name(two: GitOps) -> None:
    assert _refused(two, "authorize", "acme-su") == (
        "spprov: no credential named 'acme-su' is declared in credentials.yaml; did you mean "
        "'acme-us'? run `spprov authorize acme-us`\n")
    assert _refused(two, "authorize", "acmeeu", "--refresh-token-stdin") == (
        "spprov: no credential named 'acmeeu' is declared in credentials.yaml; did you mean "
        "'acme-eu'? run `spprov authorize acme-eu --refresh-token-stdin`\n")


def test_authorize_lists_the_names_when_none_is_close(two: GitOps) -> None:
    assert _refused(two, "authorize", "globex") == (
        "spprov: no credential named 'globex' is declared in credentials.yaml; the known "
        "names are acme-eu, acme-us\n")


def test_token_and_export_suggest_a_stored_name(two: GitOps) -> None:
    assert _refused(two, "token", "acme-su") == (
        "spprov: no credential named 'acme-su' is declared in credentials.yaml or stored in "
        "state; did you mean 'acme-us'? run `spprov token acme-us`\n")
    assert _refused(two, "export", "acme-su", "--format", "json") == (
        "spprov: no credential named 'acme-su' is declared in credentials.yaml or stored in "
        "state; did you mean 'acme-us'? run `spprov export acme-us --format json`\n")


def test_token_of_a_declared_name_without_state_says_authorize_it(two: GitOps) -> None:
    assert _refused(two, "token", "acme-eu") == (
        "spprov: acme-eu: no state file; run `spprov apply` or `spprov authorize acme-eu` "
        "first\n")


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_only_suggests_a_declared_or_stored_name(two: GitOps, command: str) -> None:
    assert _refused(two, command, "--only", "acme-us", "--only", "acmeeu") == (
        "spprov: --only acmeeu: no credential named 'acmeeu' is declared in credentials.yaml "
        "or stored in state; did you mean 'acme-eu'? use --only acme-eu\n")
    assert not two.state_file("acme-eu").exists()


def test_a_hostile_state_file_name_is_never_suggested(two: GitOps) -> None:
    # File names are the repository's to choose; one with a terminal escape is left out.
    hostile = two.state_file("acme-us").parent / "acme-u\x1b[2Js.sops.yaml"
    hostile.write_text("not read\n")
    stderr = _refused(two, "token", "acme-su")
    assert "\x1b" not in stderr
    assert stderr.endswith("did you mean 'acme-us'? run `spprov token acme-us`\n")


def test_only_never_suggests_a_hostile_unreadable_file_name(two: GitOps) -> None:
    hostile = two.state_file("acme-us").parent / "acme-u\x1b[2Js.sops.yaml"
    hostile.write_text("not yaml: [\n")
    stderr = _refused(two, "plan", "--only", "acme-su")
    assert "\x1b" not in stderr
    assert stderr.endswith("did you mean 'acme-us'? use --only acme-us\n")
