"""The pre-commit hooks: `spprov check-secrets`, and both hooks run by pre-commit itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.declarations import ACME_APP, ACME_US
from tests.fixtures_cli import Result, RunSpprov, clean_env

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
TOKEN = "Atzr|" + "IwEBIA" * 20
CLIENT_SECRET = "amzn1.oa2-cs.v1." + "0f" * 32
AGE_KEY = "AGE-SECRET-KEY-1" + "QZ" * 29
ENCRYPTED = """\
format: 1
name: acme-us
refresh_token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]
sops:
    version: 3.11.0
"""
VALID_DECLARATION = ACME_APP + "credentials:\n" + ACME_US


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def check(spprov: RunSpprov, root: Path, *files: str) -> Result:
    return spprov("check-secrets", *files, cwd=root)


# --- spprov check-secrets ----------------------------------------------------------------

def test_an_encrypted_state_file_and_ordinary_files_pass(spprov: RunSpprov,
                                                         tmp_path: Path) -> None:
    write(tmp_path, "state/credentials/acme-us.sops.yaml", ENCRYPTED)
    write(tmp_path, "README.md", "Refresh tokens start with `Atzr|`; secrets with amzn1.oa2-cs.\n")
    result = check(spprov, tmp_path, "state/credentials/acme-us.sops.yaml", "README.md")
    assert (result.code, result.output) == (0, "")


def test_a_decrypted_state_file_is_refused_without_printing_the_token(
        spprov: RunSpprov, tmp_path: Path) -> None:
    write(tmp_path, "state/credentials/acme-us.sops.yaml",
          f"format: 1\nname: acme-us\nrefresh_token: {TOKEN}\n")
    result = check(spprov, tmp_path, "state/credentials/acme-us.sops.yaml")
    assert result.code == 1
    name = "state/credentials/acme-us.sops.yaml"
    assert result.stderr == (
        f"{name}:1:1: a state file without a sops: block (decrypted?); commit only files "
        "that spprov wrote encrypted\n"
        f"{name}:3:16: an LWA refresh token (Atzr|...) in plain text; remove it from the "
        "commit and revoke it if it was ever pushed\n"
        f"{name}:3:16: refresh_token is not encrypted (no ENC[...]); remove it from the commit\n")
    assert TOKEN not in result.output


def test_a_plaintext_client_secret_in_an_encrypted_file_is_refused(
        spprov: RunSpprov, tmp_path: Path) -> None:
    write(tmp_path, "state/apps/acme.sops.yaml",
          "client_secret: not-yet-encrypted\nsops:\n    version: 3.11.0\n")
    result = check(spprov, tmp_path, "state/apps/acme.sops.yaml")
    assert (result.code, result.stderr) == (
        1, "state/apps/acme.sops.yaml:1:16: client_secret is not encrypted (no ENC[...]); "
           "remove it from the commit\n")


@pytest.mark.parametrize(("text", "kind", "line", "column"), [
    (f"export SPPROV_APP_ACME_CLIENT_SECRET={CLIENT_SECRET}\n",
     "an LWA client secret (amzn1.oa2-cs....)", 1, 38),
    (f"# created: 2026-11-28\n{AGE_KEY}\n", "an age identity (AGE-SECRET-KEY-1...)", 2, 1),
    ('{"access_token": "Atza|' + "x" * 40 + '"}\n', "an LWA access token (Atza|...)", 1, 19),
])
def test_secret_values_anywhere_are_refused(spprov: RunSpprov, tmp_path: Path, text: str,
                                            kind: str, line: int, column: int) -> None:
    write(tmp_path, "notes/setup.txt", text)
    result = check(spprov, tmp_path, "notes/setup.txt")
    assert (result.code, result.stderr) == (
        1, f"notes/setup.txt:{line}:{column}: {kind} in plain text; remove it from the commit "
           "and revoke it if it was ever pushed\n")


def test_a_custom_state_dir_is_honoured(spprov: RunSpprov, tmp_path: Path) -> None:
    write(tmp_path, "secrets/credentials/acme-us.yaml", "name: acme-us\n")
    plain = check(spprov, tmp_path, "secrets/credentials/acme-us.yaml")
    assert plain.code == 0
    result = spprov("--state-dir", "secrets", "check-secrets",
                    "secrets/credentials/acme-us.yaml", cwd=tmp_path)
    assert result.code == 1
    assert "a state file without a sops: block" in result.stderr


def test_binary_files_are_searched_and_a_missing_path_is_an_error(
        spprov: RunSpprov, tmp_path: Path) -> None:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0" + TOKEN.encode())
    result = check(spprov, tmp_path, "image.png", "gone.txt")
    assert (result.code, result.stderr) == (
        1, "image.png:1:6: an LWA refresh token (Atzr|...) in plain text; remove it from the "
           "commit and revoke it if it was ever pushed\n"
           "gone.txt:1:1: no such file or folder; nothing was checked\n")
    assert TOKEN not in result.output
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0\x01\x02state")
    assert check(spprov, tmp_path, "image.png").output == ""


def test_sops_config_is_configuration_not_a_state_file(spprov: RunSpprov, tmp_path: Path,
                                                      home: Path) -> None:
    assert spprov("init", cwd=tmp_path).code == 0
    result = check(spprov, tmp_path, ".sops.yaml", "credentials.yaml",
                   ".spprov/credentials.schema.json")
    assert (result.code, result.output) == (0, "")
    # Its values are still searched: an identity pasted into it is refused.
    write(tmp_path, "state/.sops.yaml", f"# {AGE_KEY}\n")
    leaked = check(spprov, tmp_path, "state/.sops.yaml")
    assert (leaked.code, leaked.stderr) == (
        1, "state/.sops.yaml:1:3: an age identity (AGE-SECRET-KEY-1...) in plain text; remove "
           "it from the commit and revoke it if it was ever pushed\n")


def test_a_folder_is_checked_recursively(spprov: RunSpprov, tmp_path: Path) -> None:
    write(tmp_path, "state/credentials/acme-us.sops.yaml", ENCRYPTED)
    write(tmp_path, "state/credentials/acme-eu.sops.yaml", "format: 1\nname: acme-eu\n")
    url_encoded = TOKEN.replace("|", "%7C")  # as copied out of a URL or a log
    write(tmp_path, "docs/deep/er/notes.md", f"see https://x.example/?t={url_encoded}\n")
    write(tmp_path, ".git/objects/leak", TOKEN)  # Git's database is not the commit
    outside = write(tmp_path.parent, "outside-token.txt", TOKEN)
    (tmp_path / "docs" / "link.txt").symlink_to(outside)  # a link is committed as its target
    result = check(spprov, tmp_path, ".")
    assert (result.code, result.stderr) == (
        1, "docs/deep/er/notes.md:1:26: an LWA refresh token (Atzr|...) in plain text; remove it "
           "from the commit and revoke it if it was ever pushed\n"
           "state/credentials/acme-eu.sops.yaml:1:1: a state file without a sops: block "
           "(decrypted?); commit only files that spprov wrote encrypted\n")
    assert TOKEN not in result.output and url_encoded not in result.output
    only_state = check(spprov, tmp_path, "state/")
    assert only_state.stderr.startswith("state/credentials/acme-eu.sops.yaml:1:1: ")
    assert (check(spprov, tmp_path, "state/credentials/acme-us.sops.yaml").code) == 0


# --- the hooks, run by pre-commit --------------------------------------------------------

def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@example.com",
                    "-c", "user.name=t", *args], check=True, capture_output=True)


def user_repo(root: Path, files: dict[str, str]) -> Path:
    """A repository with ``files`` staged, as at the moment of `git commit`."""
    repo = root / "user"
    repo.mkdir()
    git(repo, "init", "-q")
    for name, text in files.items():
        write(repo, name, text)
    git(repo, "add", "-A")
    return repo


def run_pre_commit(repo: Path, home: Path, *args: str, timeout: float = 60) -> Result:
    env = clean_env(home, {"PRE_COMMIT_HOME": str(home / "pre-commit"),
                           "PATH": f"{Path(sys.executable).parent}:{clean_env(home)['PATH']}"})
    done = subprocess.run([str(PRE_COMMIT), *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    return Result(done.returncode, done.stdout, done.stderr)


def local_config(repo: Path) -> None:
    """The manifest's hooks as `repo: local` hooks using this venv's spprov (no install).

    Why: `try-repo` builds a fresh virtualenv from PyPI (tested below, marked slow); this
    runs the same hook definitions (entry, files, types, pass_filenames) offline.
    """
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    for hook in hooks:
        hook["language"] = "system"
        hook["entry"] = f"{sys.executable} -m {hook['entry']}"
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    git(repo, "add", ".pre-commit-config.yaml")


def test_the_manifest_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"spprov-validate", "spprov-check-secrets"}
    assert hooks["spprov-validate"]["entry"] == "spprov validate"
    assert hooks["spprov-validate"]["pass_filenames"] is False
    assert hooks["spprov-check-secrets"]["entry"] == "spprov check-secrets"


def test_hooks_pass_a_clean_commit_and_stop_a_leak(tmp_path: Path, home: Path) -> None:
    repo = user_repo(tmp_path, {"credentials.yaml": VALID_DECLARATION,
                                "state/credentials/acme-us.sops.yaml": ENCRYPTED})
    local_config(repo)
    clean = run_pre_commit(repo, home, "run")
    assert clean.code == 0, clean.output
    assert "spprov validate" in clean.stdout and "Passed" in clean.stdout

    write(repo, "state/credentials/acme-us.sops.yaml", f"name: acme-us\nrefresh_token: {TOKEN}\n")
    write(repo, "credentials.yaml", VALID_DECLARATION.replace("na.amazon", "eu.amazon"))
    git(repo, "add", "-A")
    leak = run_pre_commit(repo, home, "run")
    assert leak.code == 1
    assert "state/credentials/acme-us.sops.yaml:2:16: refresh_token is not encrypted" in leak.stdout
    assert "credentials.yaml:10:" in leak.stdout  # the region mismatch, with its line
    assert TOKEN not in leak.output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")
def test_try_repo_installs_the_hooks_from_a_copy_of_this_repository(
        tmp_path: Path, home: Path) -> None:
    # Slow and needs PyPI: pre-commit builds a virtualenv and installs spprov (its build
    # backend and dependencies) from the registry, as it does on a user's machine.
    source = tmp_path / "spprov-src"
    shutil.copytree(ROOT / "spprov", source / "spprov",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md",
                 ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, source / name)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "spprov")
    repo = user_repo(tmp_path, {})
    init = subprocess.run([sys.executable, "-m", "spprov", "init"], cwd=repo, check=False,
                          env=clean_env(home), capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    git(repo, "add", "-A")
    fresh = run_pre_commit(repo, home, "try-repo", str(source), "--all-files", timeout=600)
    assert fresh.code == 0, fresh.output
    write(repo, "notes.txt", f"secret={CLIENT_SECRET}\n")
    git(repo, "add", "-A")
    result = run_pre_commit(repo, home, "try-repo", str(source), timeout=600)
    assert result.code == 1, result.output
    assert "spprov validate" in result.stdout
    assert ("notes.txt:1:8: an LWA client secret (amzn1.oa2-cs....) in plain text"
            in result.stdout)
    assert CLIENT_SECRET not in result.output


def test_pre_commit_run_all_files_passes_on_a_repository_made_by_init(
        tmp_path: Path, home: Path, spprov: RunSpprov) -> None:
    repo = user_repo(tmp_path, {})
    assert spprov("init", cwd=repo).code == 0
    git(repo, "add", "-A")
    local_config(repo)
    result = run_pre_commit(repo, home, "run", "--all-files")
    assert result.code == 0, result.output
    assert [line.rsplit(".", 1)[-1] for line in result.stdout.splitlines()] == [
        "Passed", "Passed"]


# --- issue 22, attack 9: encodings, base64, size -------------------------------------------

LEAK = ("an LWA refresh token (Atzr|...){how} in plain text; remove it from the commit and "
        "revoke it if it was ever pushed")


def test_a_base64_token_in_a_kubernetes_secret_is_refused(spprov: RunSpprov,
                                                          tmp_path: Path) -> None:
    import base64  # noqa: PLC0415

    encoded = base64.b64encode(TOKEN.encode()).decode()
    url_safe = base64.urlsafe_b64encode(b"export LWA_CLIENT_SECRET=" + CLIENT_SECRET.encode())
    write(tmp_path, "k8s/secret.yaml", "apiVersion: v1\nkind: Secret\ndata:\n"
                                       f"  refresh_token: {encoded}\n"
                                       f"  env: {url_safe.decode().rstrip('=')}\n"
                                       "  other: aGVsbG8gd29ybGQsIG5vdGhpbmcgdG8gc2VlIGhlcmU=\n")
    result = check(spprov, tmp_path, "k8s/secret.yaml")
    assert (result.code, result.stderr) == (1, (
        "k8s/secret.yaml:4:18: " + LEAK.format(how=", base64-encoded,") + "\n"
        "k8s/secret.yaml:5:8: an LWA client secret (amzn1.oa2-cs....), base64-encoded, in "
        "plain text; remove it from the commit and revoke it if it was ever pushed\n"))
    assert encoded not in result.output and TOKEN not in result.output


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_token_in_utf16_text_is_refused(spprov: RunSpprov, tmp_path: Path,
                                          encoding: str) -> None:
    """What PowerShell 5's Out-File and `>` write: UTF-16 (with a BOM, or without)."""
    (tmp_path / "token.txt").write_bytes(f"line one\r\n$token = '{TOKEN}'\r\n".encode(encoding))
    result = check(spprov, tmp_path, "token.txt")
    assert (result.code, result.stderr) == (1, "token.txt:2:11: " + LEAK.format(how="") + "\n")


def test_a_token_past_the_first_ten_megabytes_is_refused(spprov: RunSpprov,
                                                         tmp_path: Path) -> None:
    with (tmp_path / "dump.log").open("w") as handle:
        line = "x" * 99 + "\n"
        for _ in range(110_000):  # 11 MB
            handle.write(line)
        handle.write("y" * 70_000 + TOKEN + "\n")  # a long word straddling a piece's end
    result = check(spprov, tmp_path, "dump.log")
    assert (result.code, result.stderr) == (
        1, "dump.log:110001:70001: " + LEAK.format(how="") + "\n")
