"""Issue 12, attacks 1 and 6: links and special files committed by a pull request.

Every test plants what an attacker's pull request could commit (a link to a file on the
runner, a FIFO, a link to /dev/zero, a linked lock or .sops.yaml) and runs the real CLI
(real sops, the emulator where a consent is involved): spprov refuses with one line naming
the file, reads nothing through it, and writes nothing through it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.fixtures_cli import RunSpprov
from tests.fixtures_gitops import US, GitOps

SECRET = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
REFUSED = ("is a symbolic link, not a regular file; spprov reads and writes only regular "
           "files in the repository; replace it with one")


@pytest.fixture
def runner_secret(tmp_path: Path) -> Path:
    """A file on the CI runner, outside the repository, holding an age identity."""
    path = tmp_path / "runner" / "keys.txt"
    path.parent.mkdir()
    path.write_text(f"# created: 2026-01-01\n{SECRET}\n")
    return path


def _declare(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_linked_credential_file_is_refused_unread(gitops: GitOps, runner_secret: Path,
                                                    command: str) -> None:
    (gitops.repo / "credentials.yaml").unlink(missing_ok=True)
    folder = gitops.repo / "credentials"
    folder.mkdir()
    (folder / "x.yaml").symlink_to(runner_secret)
    result = gitops.run(command)
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == f"credentials/x.yaml:1:1: {REFUSED}\n"
    assert "AGE-SECRET-KEY" not in result.output


def test_a_linked_credentials_yaml_and_a_linked_folder_are_refused(
        gitops: GitOps, runner_secret: Path) -> None:
    (gitops.repo / "credentials.yaml").symlink_to(runner_secret)
    result = gitops.run("validate")
    assert (result.code, result.stderr) == (1, f"credentials.yaml:1:1: {REFUSED}\n")
    (gitops.repo / "credentials.yaml").unlink()
    (gitops.repo / "credentials").symlink_to(runner_secret.parent)
    result = gitops.run("plan")
    assert (result.code, result.stderr) == (1, f"credentials:1:1: {REFUSED}\n")
    assert "AGE-SECRET-KEY" not in result.output


def test_a_link_inside_the_repository_is_refused_too(gitops: GitOps) -> None:
    # Decision (docs/security.md): every link is refused, even one to a file in the
    # repository, so the rule is simple to state and to check.
    _declare(gitops)
    folder = gitops.repo / "credentials"
    folder.mkdir()
    (gitops.repo / "credentials.yaml").rename(folder / "real.yaml")
    (folder / "alias.yaml").symlink_to("real.yaml")
    result = gitops.run("validate")
    assert (result.code, result.stderr) == (1, f"credentials/alias.yaml:1:1: {REFUSED}\n")


def test_a_fifo_or_device_declaration_is_refused_without_blocking(gitops: GitOps) -> None:
    folder = gitops.repo / "credentials"
    folder.mkdir()
    os.mkfifo(folder / "a.yaml")  # reading it would block forever
    (folder / "b.yaml").symlink_to("/dev/zero")
    result = gitops.run("validate")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "credentials/a.yaml:1:1: is a named pipe (FIFO), not a regular file; spprov reads "
        "and writes only regular files in the repository; replace it with one",
        f"credentials/b.yaml:1:1: {REFUSED}"]


def test_error_messages_never_quote_a_secret_and_cut_long_values(gitops: GitOps) -> None:
    (gitops.repo / "credentials.yaml").write_text(f"{SECRET}\n")
    result = gitops.run("validate")
    assert result.code == 1
    assert result.stderr == (
        "credentials.yaml:1:1: the top level is the string (a value that looks like a "
        "secret, not shown); a credential file is a mapping that starts with 'version: 1'\n")
    (gitops.repo / "credentials.yaml").write_text(
        '"first line of a private file\\x1b[2J and more"\n')
    result = gitops.run("validate")
    assert result.stderr == (
        "credentials.yaml:1:1: the top level is the string 'first line of a priv'...; "
        "a credential file is a mapping that starts with 'version: 1'\n")


def test_a_state_file_linked_to_dev_zero_or_a_secret_is_refused(
        gitops: GitOps, runner_secret: Path) -> None:
    _declare(gitops)
    folder = gitops.repo / "state" / "credentials"
    folder.mkdir(parents=True)
    (folder / "acme-us.sops.yaml").symlink_to("/dev/zero")
    (folder / "other.sops.yaml").symlink_to(runner_secret)
    result = gitops.run("status")
    assert result.code == 1
    assert "state/credentials/acme-us.sops.yaml: " + REFUSED in result.output
    assert "state/credentials/other.sops.yaml: " + REFUSED in result.output
    assert "AGE-SECRET-KEY" not in result.output
    result = gitops.run("verify")
    assert result.code == 1
    assert "AGE-SECRET-KEY" not in result.output
    result = gitops.run("apply", "--yes")
    assert result.code == 1
    assert "state/credentials/acme-us.sops.yaml: " + REFUSED in result.output
    assert "AGE-SECRET-KEY" not in result.output
    assert (folder / "acme-us.sops.yaml").is_symlink()
    assert runner_secret.read_text().endswith(f"{SECRET}\n")


def test_a_linked_lock_file_is_never_truncated_or_created(gitops: GitOps,
                                                           runner_secret: Path) -> None:
    _declare(gitops)
    before = runner_secret.read_bytes()
    (gitops.repo / ".spprov.lock").symlink_to(runner_secret)
    result = gitops.run("apply", "--yes")
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == (
        "spprov: .spprov.lock: is a symbolic link, not a regular file; remove it (spprov "
        "creates its lock itself); nothing was changed")
    assert runner_secret.read_bytes() == before
    assert not gitops.state_file("acme-us").exists()
    # A dangling link: O_CREAT must not create the file it names.
    (gitops.repo / ".spprov.lock").unlink()
    target = runner_secret.parent / "created-by-spprov"
    (gitops.repo / ".spprov.lock").symlink_to(target)
    assert gitops.run("rekey").code == 1
    assert not target.exists()


def test_a_linked_sops_config_is_refused_before_sops_runs(gitops: GitOps,
                                                          tmp_path: Path) -> None:
    _declare(gitops)
    assert gitops.run("apply", "--yes").code == 0
    outside = tmp_path / "outside.sops.yaml"
    (gitops.repo / ".sops.yaml").rename(outside)
    (gitops.repo / ".sops.yaml").symlink_to(outside)
    result = gitops.run("verify")
    assert result.code == 1
    assert f".sops.yaml: {REFUSED}" in result.stderr


def test_init_force_never_writes_through_a_link(spprov: RunSpprov, tmp_path: Path,
                                                runner_secret: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    before = runner_secret.read_bytes()
    (repo / ".sops.yaml").symlink_to(runner_secret)
    result = spprov("init", "--force", "--age-recipient",
                    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", cwd=repo)
    assert result.code == 1
    assert result.stderr == f"spprov: .sops.yaml: {REFUSED}; nothing was written\n"
    assert runner_secret.read_bytes() == before
    assert sorted(p.name for p in repo.iterdir()) == [".sops.yaml"]
    (repo / ".sops.yaml").unlink()
    (repo / "credentials.yaml").symlink_to(runner_secret.parent / "new.yaml")
    result = spprov("init", "--age-recipient",
                    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", cwd=repo)
    assert result.code == 1
    assert result.stderr == f"spprov: credentials.yaml: {REFUSED}; nothing was written\n"
    assert not (runner_secret.parent / "new.yaml").exists()


def test_regular_files_still_work(gitops: GitOps) -> None:
    _declare(gitops)
    assert gitops.run("apply", "--yes").code == 0
    assert yaml.safe_load(gitops.state_file("acme-us").read_text())["name"] == "acme-us"
    assert gitops.run("verify").code == 0


def test_check_secrets_never_reads_through_a_link(gitops: GitOps, runner_secret: Path) -> None:
    # The pre-commit hook scans staged files: a link's target is not what Git commits, so
    # links are skipped (never read, even one to /dev/zero); a FIFO is never opened for
    # reading, and one named like a state file is a finding.
    (gitops.repo / "notes.txt").symlink_to("/dev/zero")
    (gitops.repo / "leak.txt").symlink_to(runner_secret)
    folder = gitops.repo / "state" / "credentials"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "x.sops.yaml")
    result = gitops.run("check-secrets", "notes.txt", "leak.txt", "state")
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "state/credentials/x.sops.yaml:1:1: is a named pipe (FIFO), not a regular file; "
        "spprov reads and writes only regular files in the repository; replace it with one\n")


def test_a_5000_digit_number_in_a_declaration_is_one_line(gitops: GitOps) -> None:
    (gitops.repo / "credentials.yaml").write_text(f"version: {'9' * 5000}\n")
    result = gitops.run("validate")
    assert (result.code, result.stderr) == (
        1, "credentials.yaml:1:10: a number written with 5000 characters (at most 100); "
           "quote it if it is text\n")


def test_a_linked_folder_on_the_way_to_config_is_refused(gitops: GitOps,
                                                         runner_secret: Path) -> None:
    # The workflow says --config deploy/credentials.yaml; the pull request makes deploy/ a
    # link to a folder on the runner.
    (runner_secret.parent / "credentials.yaml").write_text(f"{SECRET}\n")
    (gitops.repo / "deploy").symlink_to(runner_secret.parent)
    result = gitops.run("--config", "deploy/credentials.yaml", "validate")
    assert (result.code, result.stderr) == (
        1, "deploy/credentials.yaml:1:1: is inside deploy, which is a symbolic link; spprov "
           "reads and writes only regular files in the repository; replace it with one\n")
