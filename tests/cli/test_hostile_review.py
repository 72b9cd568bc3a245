"""Issue 22, attacks 5, 6 and 8: hostile files that exhaust CI, legacy workflow commands,
and age identities pasted where a recipient belongs.

Each test plants what a pull request could commit and runs the real CLI (real sops, the
emulator): the result is one clear line, bounded in memory and time, and nothing of a
secret or a workflow command reaches the output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.fixtures_gitops import US, GitOps, authorized_repository

IDENTITY = "AGE-SECRET-KEY-1" + ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:58]
# The smallest piece of the identity that would tell anything of it beyond its prefix.
PIECE = IDENTITY[16:22]

authorized = authorized_repository([{"name": "acme-us", **US}])


def _bomb(levels: int = 9) -> str:
    """A billion-laughs document of about 1 KB: 9 ** levels values once expanded."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def _no_secret(output: str) -> None:
    assert PIECE not in output
    assert PIECE.lower() not in output.lower()


def test_an_alias_bomb_in_a_state_files_readable_part_is_one_line(authorized: GitOps) -> None:
    path = authorized.state_file("acme-us")
    text = path.read_text()
    path.write_text(_bomb() + text)
    result = authorized.run("plan")
    assert result.code == 1, result.output
    assert "MemoryError" not in result.output and "internal error" not in result.output
    # The readable part is read as sops reads it, and spprov never writes an alias.
    assert ("  x blocked acme-us\n      # state/credentials/acme-us.sops.yaml: line 1: an "
            "alias (*name): spprov does not write anchors") in result.output, result.output


def test_an_alias_bomb_in_sops_yaml_is_one_line(authorized: GitOps) -> None:
    sops_yaml = authorized.repo / ".sops.yaml"
    sops_yaml.write_text(_bomb() + sops_yaml.read_text())
    for command in ("plan", "verify"):
        result = authorized.run(command)
        assert result.code == 1, result.output
        assert "internal error" not in result.output
        assert re.match(r"\.sops\.yaml:1:1: aliases expand to \d+ values \(at most \d+ "
                        r"allowed\); is this an alias bomb\?\n", result.stderr), result.stderr


def test_a_backtracking_path_regex_is_matched_in_linear_time(authorized: GitOps) -> None:
    """Python's re would take hours on `(a+)+$` against this name; sops (Go) and RE2 do not
    backtrack. The name matches no rule, so plan reports it as one line."""
    sops_yaml = authorized.repo / ".sops.yaml"
    text = sops_yaml.read_text()
    sops_yaml.write_text(re.sub(r"path_regex: .*", r"path_regex: ^state/credentials/(a+)+$",
                                text, count=1))
    name = "a" * 60 + "b"
    (authorized.state_file("acme-us")).rename(authorized.state_file(name))
    result = authorized.run("verify")
    assert result.code == 1
    assert "internal error" not in result.output
    assert "1 of 1 state files failed verification" in result.stderr, result.output


def test_path_regex_in_sops_dialect_accepts_backslash_z(authorized: GitOps) -> None:
    sops_yaml = authorized.repo / ".sops.yaml"
    text = sops_yaml.read_text()
    edited = re.sub(r"path_regex: .*",
                    r"path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml\\z", text, count=1)
    assert edited != text
    sops_yaml.write_text(edited)
    result = authorized.run("verify")
    assert (result.code, result.stdout) == (0, "verified 1 state file\n"), result.output
    # What Go's regexp refuses (a look-ahead) is one line, as sops would refuse it.
    sops_yaml.write_text(re.sub(r"path_regex: .*", "path_regex: ^state/(?=x)", text, count=1))
    refused = authorized.run("verify")
    assert refused.code == 1
    assert ".sops.yaml: creation rule 1: path_regex is not a regular expression sops reads " \
           "('invalid perl operator: (?='); sops uses Go's syntax" in refused.stderr


LEGACY = re.compile(r"^\s*(::|##\[)", re.MULTILINE)


def test_legacy_workflow_commands_are_neutralised(gitops: GitOps) -> None:
    bad = gitops.repo / "##[add-mask]x.yaml"
    bad.write_text("[]\n")
    result = gitops.run("--config", "##[add-mask]x.yaml", "validate")
    assert result.code == 1
    assert not LEGACY.search(result.output), result.output
    assert result.stderr.startswith("#\u200b#[add-mask]x.yaml:1:1: ")


def test_legacy_workflow_commands_in_the_markdown_plan(authorized: GitOps) -> None:
    path = authorized.state_file("acme-us")
    path.rename(path.with_name("##[warning]gone.sops.yaml"))
    for args in (("plan", "--markdown"), ("plan",), ("status",)):
        result = authorized.run(*args)
        assert "gone" in result.output, (args, result.output)
        assert not LEGACY.search(result.output), (args, result.output)


def test_an_identity_given_as_a_recipient_is_never_echoed(gitops: GitOps,
                                                          tmp_path: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    for args in (("keys", "add", IDENTITY), ("keys", "remove", IDENTITY)):
        result = gitops.run(*args)
        assert result.code == 1, (args, result.output)
        _no_secret(result.output)
        assert "(a value that looks like a secret, not shown)" in result.stderr, result.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    init = gitops.run_spprov("init", "--age-recipient", IDENTITY, cwd=fresh, env=gitops.env)
    assert init.code == 1
    _no_secret(init.output)
    assert init.stderr == ("spprov: --age-recipient (a value that looks like a secret, not "
                           "shown): not an age recipient (expected age1... as printed by "
                           "age-keygen -y)\n")


def test_an_identity_in_sops_yaml_is_never_echoed(authorized: GitOps) -> None:
    sops_yaml = authorized.repo / ".sops.yaml"
    sops_yaml.write_text(re.sub(r"age1[0-9a-z]{58}", IDENTITY, sops_yaml.read_text()))
    for args in (("plan",), ("plan", "--markdown"), ("verify",), ("keys", "list")):
        result = authorized.run(*args)
        _no_secret(result.output)
        assert "not shown" in result.output, (args, result.output)


@pytest.mark.parametrize("text", [
    f"a message that quotes {IDENTITY}",
    f"a cut one: {IDENTITY[:40]}...",
    "Atzr|IwEBIAbcdefghij and amzn1.oa2-cs.v1.0123456789abcdef",
])
def test_redact_keeps_nothing_of_a_secret_shaped_word(text: str) -> None:
    from spprov.escape import SECRET_NOT_SHOWN, lines  # noqa: PLC0415

    shown = lines(text)
    assert SECRET_NOT_SHOWN in shown
    assert "IwEBIAb" not in shown and "0123456789" not in shown and PIECE not in shown
    assert lines("prose about Atzr|... and AGE-SECRET-KEY-1...") == \
        "prose about Atzr|... and AGE-SECRET-KEY-1..."
