"""`spprov init`: .sops.yaml, example, .gitignore, and the age identity."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from spprov import __version__
from spprov.declaration.schema import schema_json
from spprov.state.agekeys import default_identity_file
from tests.fixtures_cli import RunSpprov
from tests.fixtures_state import AgeIdentity, make_identity, sops_config

RULE = "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def test_generates_an_identity_when_there_is_none(spprov: RunSpprov, repo: Path,
                                                  home: Path) -> None:
    result = spprov("init", cwd=repo)
    assert result.code == 0, result.stderr
    keys = home / ".config" / "sops" / "age" / "keys.txt"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    secret_line = keys.read_text().splitlines()[-1]
    assert secret_line.startswith("AGE-SECRET-KEY-1")
    assert secret_line not in result.output and "AGE-SECRET-KEY" not in result.output
    recipient = keys.read_text().split("# public key: ")[1].split("\n")[0]
    assert result.stdout == (
        f"generated an age identity in {keys} (mode 0600, recipient {recipient}); back it up: "
        "without it the state cannot be decrypted\n"
        "wrote .sops.yaml\n"
        "wrote credentials.yaml (an example: edit it)\n"
        f"wrote .spprov/credentials.schema.json (the JSON Schema of spprov {__version__}, "
        "for editors)\n"
        "added .spprov.lock, .spprov-tmp-*, plan.json, *.plan.json to .gitignore\n")
    assert RULE in (repo / ".sops.yaml").read_text()
    assert f"    age: >-\n      {recipient}\n" in (repo / ".sops.yaml").read_text()
    assert (repo / ".gitignore").read_text() == (".spprov.lock\n.spprov-tmp-*\nplan.json\n"
                                                 "*.plan.json\n")
    assert spprov("validate", cwd=repo).code == 0


def test_uses_an_existing_identity_and_keeps_files(spprov: RunSpprov, repo: Path,
                                                   age_identity: AgeIdentity) -> None:
    (repo / ".gitignore").write_text("node_modules/\n.spprov.lock")
    (repo / "credentials.yaml").write_text("version: 1\n")
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    result = spprov("init", cwd=repo, env=env)
    assert result.code == 0, result.stderr
    assert result.stdout == (
        f"using your age identity in {age_identity.path} ({age_identity.recipient})\n"
        "wrote .sops.yaml\n"
        f"wrote .spprov/credentials.schema.json (the JSON Schema of spprov {__version__}, "
        "for editors)\n"
        "added .spprov-tmp-*, plan.json, *.plan.json to .gitignore\n")
    assert (repo / ".gitignore").read_text() == ("node_modules/\n.spprov.lock\n.spprov-tmp-*\n"
                                                 "plan.json\n*.plan.json\n")
    assert (repo / "credentials.yaml").read_text() == "version: 1\n"
    again = spprov("init", cwd=repo, env=env)
    assert again.stdout.splitlines()[1:] == ["kept .sops.yaml (it exists; --force replaces it)"]


def test_force_replaces_sops_config(spprov: RunSpprov, repo: Path,
                                    age_identity: AgeIdentity, tmp_path: Path) -> None:
    other = make_identity(tmp_path / "other.txt")
    (repo / ".sops.yaml").write_text(sops_config(other.recipient))
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    kept = spprov("init", cwd=repo, env=env)
    assert f".sops.yaml does not list {age_identity.recipient}: ask someone who can decrypt " \
           f"the state to run `spprov keys add {age_identity.recipient}`" in kept.stdout
    assert spprov("init", "--force", cwd=repo, env=env).code == 0
    assert (repo / ".sops.yaml").read_text() == (
        "# Written by `spprov init`. Only refresh_token and client_secret are encrypted; the\n"
        "# other fields stay readable for review and are covered by the MAC.\n"
        + sops_config(age_identity.recipient))


def test_inline_identity_is_used(spprov: RunSpprov, repo: Path,
                                 age_identity: AgeIdentity, home: Path) -> None:
    result = spprov("init", cwd=repo, env={"SOPS_AGE_KEY": age_identity.path.read_text()})
    assert result.stdout.startswith(
        f"using your age identity in SOPS_AGE_KEY ({age_identity.recipient})\n")
    assert not (home / ".config" / "sops").exists()


def test_age_recipient_option(spprov: RunSpprov, repo: Path, age_identity: AgeIdentity,
                              home: Path) -> None:
    result = spprov("init", "--age-recipient", age_identity.recipient, cwd=repo)
    assert result.code == 0
    assert age_identity.recipient in (repo / ".sops.yaml").read_text()
    assert not (home / ".config" / "sops").exists()
    bad = spprov("init", "--force", "--age-recipient", "age1nope", cwd=repo)
    assert (bad.code, bad.stderr) == (1, "spprov: --age-recipient 'age1nope': not an age "
                                         "recipient (expected age1... as printed by "
                                         "age-keygen -y)\n")


def test_broken_identity_file(spprov: RunSpprov, repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("AGE-SECRET-KEY-1NOTAKEY\n")
    result = spprov("init", cwd=repo, env={"SOPS_AGE_KEY_FILE": str(broken)})
    assert (result.code, result.stderr) == (
        1, f"spprov: {broken} holds no valid age identity (a line AGE-SECRET-KEY-1...); fix "
           "it, or pass a recipient with --age-recipient\n")
    assert "NOTAKEY" not in result.output


def test_generated_identity_decrypts_what_init_configures(spprov: RunSpprov, repo: Path,
                                                          home: Path) -> None:
    assert spprov("init", cwd=repo).code == 0
    result = spprov("app", "set-secret", "acme", "--no-check", cwd=repo,
                    input="amzn1.oa2-cs.v1.abc\n")
    assert result.code == 0, result.stderr
    assert "client_secret: ENC[" in (repo / "state/apps/acme.sops.yaml").read_text()
    assert spprov("verify", cwd=repo).stdout == "verified 1 state file\n"


def test_default_identity_file_by_platform(tmp_path: Path) -> None:
    env = {"HOME": "/home/ann"}
    assert default_identity_file(env, "linux") == Path("/home/ann/.config/sops/age/keys.txt")
    assert default_identity_file(env, "darwin") == Path(
        "/home/ann/Library/Application Support/sops/age/keys.txt")
    assert default_identity_file({**env, "XDG_CONFIG_HOME": "/x"}, "darwin") == Path(
        "/x/sops/age/keys.txt")


def test_state_dir_option_shapes_the_rule(spprov: RunSpprov, repo: Path,
                                          age_identity: AgeIdentity) -> None:
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    assert spprov("--state-dir", "my-state.d", "init", cwd=repo, env=env).code == 0
    assert "  - path_regex: ^my\\-state\\.d/(credentials|apps)/[^/]+\\.sops\\.yaml$\n" in (
        repo / ".sops.yaml").read_text()
    stored = spprov("--state-dir", "my-state.d", "app", "set-secret", "acme", "--no-check",
                    cwd=repo,
                    env=env, input="amzn1.oa2-cs.v1.abc")
    assert stored.stdout == "stored client secret of app acme in my-state.d/apps/acme.sops.yaml\n"


# --- the schema copy and the editor modeline ------------------------------------------------

def test_example_points_editors_at_the_schema_copy(spprov: RunSpprov, repo: Path,
                                                   age_identity: AgeIdentity) -> None:
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    assert spprov("init", cwd=repo, env=env).code == 0
    assert (repo / "credentials.yaml").read_text().splitlines()[0] == (
        "# yaml-language-server: $schema=.spprov/credentials.schema.json")
    assert (repo / ".spprov" / "credentials.schema.json").read_text() == schema_json()
    # The folder form: the modeline is relative to the file that carries it.
    nested = repo / "nested"
    nested.mkdir()
    result = spprov("--config", "conf/credentials.yaml", "init", cwd=nested, env=env)
    assert result.code == 0, result.stderr
    assert (nested / "conf" / "credentials.yaml").read_text().startswith(
        "# yaml-language-server: $schema=../.spprov/credentials.schema.json\n")


def test_a_stale_schema_copy_is_updated_and_a_link_is_kept(
        spprov: RunSpprov, repo: Path, age_identity: AgeIdentity, tmp_path: Path) -> None:
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    copy = repo / ".spprov" / "credentials.schema.json"
    copy.parent.mkdir()
    copy.write_text("{}\n")
    result = spprov("init", cwd=repo, env=env)
    assert (f"updated .spprov/credentials.schema.json (the JSON Schema of spprov {__version__}, "
            "for editors)") in result.stdout.splitlines()
    assert copy.read_text() == schema_json()
    assert not list(copy.parent.glob(".spprov-tmp-*"))
    # A link in a repository may point anywhere (a hostile pull request): never written through.
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    copy.unlink()
    copy.symlink_to(outside)
    kept = spprov("init", cwd=repo, env=env)
    assert ("kept .spprov/credentials.schema.json (a symbolic link: spprov does not write "
            "through it)") in kept.stdout.splitlines()
    assert outside.read_text() == "keep me\n"
    copy.unlink()
    copy.mkdir()
    odd = spprov("init", cwd=repo, env=env)
    assert (odd.code, odd.stderr) == (0, "")
    assert ("skipped .spprov/credentials.schema.json (something other than a file is in the "
            "way; remove it and run `spprov init` again)") in odd.stdout.splitlines()


def test_schema_command_prints_the_packaged_schema(spprov: RunSpprov, tmp_path: Path) -> None:
    result = spprov("schema", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, schema_json(), "")


def test_warns_outside_a_git_repository_only(spprov: RunSpprov, repo: Path, tmp_path: Path,
                                             age_identity: AgeIdentity) -> None:
    env = {"SOPS_AGE_KEY_FILE": str(age_identity.path)}
    plain = tmp_path / "plain"
    plain.mkdir()
    outside = spprov("init", cwd=plain, env=env)
    assert outside.code == 0
    assert outside.stderr == (f"warning: {plain} is not in a Git repository; spprov keeps the "
                              "state in Git: run `git init` and commit what init writes\n")
    assert (plain / ".sops.yaml").is_file()  # a warning: init still does its work
    (repo / "sub").mkdir()
    result = spprov("init", cwd=repo / "sub", env=env)
    assert (result.code, result.stderr) == (0, "")


def test_saved_plans_are_ignored_by_git(spprov: RunSpprov, repo: Path,
                                        age_identity: AgeIdentity) -> None:
    assert spprov("init", cwd=repo, env={"SOPS_AGE_KEY_FILE": str(age_identity.path)}).code == 0
    for name in ("plan.json", "nightly.plan.json", "state/credentials/plan.json"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("{}")
    ignored = subprocess.run(["git", "-C", str(repo), "status", "--porcelain",
                              "--untracked-files=all"], capture_output=True, text=True,
                             check=True).stdout
    assert "plan.json" not in ignored
    assert "credentials.yaml" in ignored


def test_credentials_yml_is_read_like_credentials_yaml(spprov: RunSpprov, repo: Path,
                                                       age_identity: AgeIdentity) -> None:
    (repo / "credentials.yml").write_text(
        "version: 1\napps:\n  acme:\n    application_id: amzn1.sp.solution.x\n"
        "    client_id: amzn1.application-oa2-client.x\n"
        "    redirect_uri: https://auth.example.com/cb\ncredentials: []\n")
    result = spprov("init", cwd=repo, env={"SOPS_AGE_KEY_FILE": str(age_identity.path)})
    assert result.code == 0, result.stderr
    assert "credentials.yaml" not in result.stdout  # no second, example file
    assert not (repo / "credentials.yaml").exists()
    assert spprov("validate", cwd=repo).stdout == "valid: 0 credentials, 1 app (credentials.yml)\n"
    (repo / "credentials.yaml").write_text("version: 1\n")
    both = spprov("validate", cwd=repo)
    assert (both.code, both.stderr) == (1, "spprov: both credentials.yaml and credentials.yml "
                                           "are in the repository; keep one, or pass --config "
                                           "PATH\n")
