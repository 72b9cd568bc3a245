"""Tampering, missing keys, a missing sops binary, a read-only state folder: one clear message
each, and nothing in the state is lost or changed."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_gitops import US, GitOps, authorized_repository, tree_digest
from tests.fixtures_state import make_identity

STATE = "state/credentials/acme.sops.yaml"


# A repository with one authorized credential, committed.
applied = authorized_repository([{"name": "acme", "description": "Acme", **US}], commit=True)


def test_a_hand_edited_state_file_is_refused_everywhere_it_is_decrypted(applied: GitOps) -> None:
    path = applied.state_file("acme")
    path.write_text(path.read_text().replace("description: Acme", "description: Evil"))
    before = tree_digest(applied.repo)
    mac = (f"{STATE}: MAC mismatch: the file was edited by hand or corrupted; restore it from "
           f"Git (`git checkout -- {STATE}`) and let spprov write it")
    verified = applied.run("verify")
    assert verified.code == 1
    assert verified.stderr.splitlines() == [mac, "1 of 1 state files failed verification"]
    token = applied.run("token", "acme")
    assert (token.code, token.stdout, token.stderr) == (1, "", f"spprov: {mac}\n")
    # The declaration now differs from the edit, so apply wants to update the file: sops
    # refuses to touch a file whose MAC fails, and the edit stays for a person to see.
    applied.declare([{"name": "acme", "description": "Acme 2", **US}])
    before = tree_digest(applied.repo)
    applied_again = applied.run("apply", "--yes")
    assert applied_again.code == 1
    assert f"acme: update failed: {mac}" in applied_again.stdout
    assert tree_digest(applied.repo) == before


def test_without_a_matching_age_identity_nothing_decrypts(applied: GitOps,
                                                          tmp_path: Path) -> None:
    stranger = make_identity(tmp_path / "stranger" / "keys.txt")
    before = tree_digest(applied.repo)
    result = applied.run("verify", env={"SOPS_AGE_KEY_FILE": str(stranger.path)})
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"cannot decrypt {STATE}: none of your age identities is one of its recipients; ask "
        "someone who can decrypt it to add your recipient to .sops.yaml and run `spprov rekey`",
        "1 of 1 state files failed verification"]
    assert tree_digest(applied.repo) == before


def test_without_any_age_identity_the_message_says_how_to_get_one(applied: GitOps) -> None:
    result = applied.run("token", "acme", env={"SOPS_AGE_KEY_FILE": None})
    assert result.code == 1
    assert result.stderr == (f"spprov: cannot decrypt {STATE}: no age identity available (set "
                             "SOPS_AGE_KEY_FILE or run `spprov init`)\n")


def test_a_missing_sops_binary_is_one_line(applied: GitOps, tmp_path: Path) -> None:
    missing = tmp_path / "no-such" / "sops"
    before = tree_digest(applied.repo)
    # Only writes need the binary; reads decrypt in-process (spprov.state.sopsreader).
    # --no-check: the secret is made up, and trying it with LWA is not what this tests.
    result = applied.run("app", "set-secret", "acme", "--no-check",
                         env={"SPPROV_SOPS": str(missing)}, input="amzn1.oa2-cs.v1.new-secret\n")
    assert result.code == 1, result.output
    assert (f"cannot run sops at {missing} (No such file or directory); reinstall spprov "
            "or point SPPROV_SOPS at a sops binary") in result.stderr
    assert "Traceback" not in result.output
    for args in (("token", "acme"), ("verify",), ("plan", "--refresh")):
        result = applied.run(*args, env={"SPPROV_SOPS": str(missing)})
        assert result.code == 0, result.output
    assert tree_digest(applied.repo) == before


def test_plan_needs_no_sops_binary_at_all(applied: GitOps, tmp_path: Path) -> None:
    result = applied.run("plan", env={"SPPROV_SOPS": str(tmp_path / "no-such" / "sops")})
    assert result.code == 0, result.output
    assert result.stdout.strip() == "No changes. 1 credential is up to date."


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make a folder unwritable, also for root (CI runs as root, which ignores mode bits).

    As root the immutable attribute is the only way to refuse root a write on ext4, so the
    test uses chattr there rather than skipping the guarantee.
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True, check=False).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_state_folder_fails_cleanly(applied: GitOps) -> None:
    folder = applied.state_file("acme").parent
    applied.declare([{"name": "acme", "description": "Acme 2", **US}])
    before = tree_digest(applied.repo)
    with read_only(folder):
        result = applied.run("apply", "--yes")
    assert result.code == 1
    # chattr's immutable bit (root) and mode bits (others) are refused with different errnos.
    refusal = "Operation not permitted" if os.geteuid() == 0 else "Permission denied"
    assert (f"acme: update failed: cannot write state/credentials/acme.sops.yaml: {refusal}; "
            "check that the folder is writable and the disk not full (nothing was changed)"
            ) in result.stdout, result.output
    assert "Traceback" not in result.output
    assert tree_digest(applied.repo) == before


def test_no_consent_starts_when_the_token_could_not_be_stored(gitops: GitOps,
                                                               tmp_path: Path) -> None:
    # Without this check the person would approve, the code would be consumed, and the
    # refresh token would be lost when the state file cannot be encrypted.
    gitops.declare([{"name": "acme", **US}])
    missing = tmp_path / "no-such" / "sops"
    for args in (("apply", "--yes"), ("authorize", "acme")):
        result = gitops.run(*args, env={"SPPROV_SOPS": str(missing)})
        assert result.code == 1, result.output
        if args[0] == "apply":  # apply goes on with the others: the failure is an outcome
            assert "acme: create failed: no consent was started: " in result.stdout
        assert (f"cannot run sops at {missing} (No such file or directory); reinstall spprov "
                "or point SPPROV_SOPS at a sops binary") in result.output
    (gitops.repo / ".sops.yaml").unlink()
    result = gitops.run("apply", "--yes")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output
    assert gitops.emulator.stats()["total"] == 0
    assert not gitops.state_file("acme").exists()
