"""Issue 12, attacks 2, 3, 4, 5 and 7, reproduced against the real CLI, sops and emulator.

Each test first builds what a hostile pull request could commit (a state file forged for
the repository's recipients plus an outsider's, an edited .sops.yaml, a `sops:` block
naming a key server) and then shows that spprov does no harm with it.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyrage
import pytest
import yaml
from pyrage import x25519

from spprov.model import AppIdentity
from spprov.state import statefile
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import (
    KMS_ENTRY,
    REAL_SOPS,
    VAULT_ENTRY,
    AgeIdentity,
    make_identity,
    make_record,
    sops_config,
)

CREDENTIAL = "state/credentials/acme.sops.yaml"
APP_FILE = "state/apps/acme.sops.yaml"


def forge(repo: Path, relative: str, fields: dict[str, object], *recipients: str,
          encrypted_regex: str = "^(refresh_token|client_secret)$") -> None:
    """Encrypt a state file the way an outsider can: recipients are public."""
    plaintext = statefile.dump(fields)
    done = subprocess.run(
        [str(REAL_SOPS), "--config", os.devnull, "encrypt", "--filename-override", relative,
         "--input-type", "yaml", "--output-type", "yaml", "--encrypted-regex", encrypted_regex,
         "--age", ",".join(recipients)],
        input=plaintext.encode(), capture_output=True, check=True, cwd=repo)
    (repo / relative).parent.mkdir(parents=True, exist_ok=True)
    (repo / relative).write_bytes(done.stdout)


def can_decrypt(repo: Path, relative: str, identity: AgeIdentity) -> bool:
    """Whether this identity opens the file (real sops, nothing else in its environment)."""
    env = {"PATH": os.environ["PATH"], "HOME": str(repo), "SOPS_AGE_KEY_FILE": str(identity.path)}
    done = subprocess.run([str(REAL_SOPS), "--config", os.devnull, "decrypt", relative],
                          cwd=repo, env=env, capture_output=True, check=False)
    return done.returncode == 0


def data_key(repo: Path, relative: str, identity: AgeIdentity) -> bytes:
    """The file's data key, as a recipient holding ``identity`` can take it out."""
    document = yaml.safe_load((repo / relative).read_text())
    secret = x25519.Identity.from_str(identity.path.read_text().splitlines()[-1])
    for entry in document["sops"]["age"]:
        try:
            return bytes(pyrage.decrypt(entry["enc"].encode(), [secret]))
        except Exception:  # noqa: BLE001, S112 - not this recipient's stanza
            continue
    raise AssertionError(f"{identity.recipient} cannot open {relative}")


def recipients(repo: Path, relative: str) -> set[str]:
    document = yaml.safe_load((repo / relative).read_text())
    return {entry["recipient"] for entry in document["sops"]["age"]}


def credential_fields(gitops: GitOps, authorized_at: datetime, token: str) -> dict[str, object]:
    """A state file as spprov writes it for the declared credential `acme`."""
    app = gitops.app
    record = make_record("acme", client_id=app.client_id, description=None,
                         authorized_at=authorized_at,
                         identity=AppIdentity(app.application_id, app.redirect_uri, False, 365))
    return {**statefile.record_fields(record), "refresh_token": token}


@pytest.fixture
def outsider(tmp_path: Path) -> AgeIdentity:
    return make_identity(tmp_path / "outsider" / "keys.txt")


@pytest.fixture
def operator(gitops: GitOps) -> AgeIdentity:
    return AgeIdentity(Path(gitops.env["SOPS_AGE_KEY_FILE"]),
                       gitops.repo.joinpath(".sops.yaml").read_text().split(">-\n")[1].strip())


# --- attack 2: a forged state file ---------------------------------------------------------

def test_forged_state_file_cannot_receive_the_renewed_token(
        gitops: GitOps, operator: AgeIdentity, outsider: AgeIdentity) -> None:
    gitops.declare([{"name": "acme", **US}])
    long_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=350)
    forge(gitops.repo, CREDENTIAL, credential_fields(gitops, long_ago, "Atzr|forged"),
          operator.recipient, outsider.recipient)
    assert can_decrypt(gitops.repo, CREDENTIAL, outsider)  # the forgery is real

    verify = gitops.run("verify")
    assert verify.code == 1
    assert (f"{CREDENTIAL}: encrypted for recipient {outsider.recipient}, which .sops.yaml "
            "does not name") in verify.stderr.splitlines()

    plan = gitops.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    assert "  > renew acme" in plan.stdout
    assert (f"  - recipient {outsider.recipient} (still in 1 state file: run `spprov rekey`)"
            in plan.stdout.splitlines())

    renewed = gitops.run("apply", "--yes")
    assert renewed.code == 0, renewed.output
    assert "acme: renewed (authorized by " in renewed.stdout
    # The new token went into a new file for exactly the trusted recipients.
    assert recipients(gitops.repo, CREDENTIAL) == {operator.recipient}
    assert not can_decrypt(gitops.repo, CREDENTIAL, outsider)
    assert can_decrypt(gitops.repo, CREDENTIAL, operator)
    assert gitops.run("verify").code == 0


def test_forged_app_secret_file_cannot_receive_a_new_client_secret(
        gitops: GitOps, operator: AgeIdentity, outsider: AgeIdentity) -> None:
    gitops.declare([])
    forge(gitops.repo, APP_FILE, {"format": 2, "app": "acme", "set_at": "2026-01-01T00:00:00Z",
                                  "client_secret": "amzn1.oa2-cs.v1.old"},
          operator.recipient, outsider.recipient)
    # The emulator's real secret for the app, so set-secret's LWA check accepts it.
    stored = gitops.run("app", "set-secret", "acme", input=f"{gitops.app.client_secret}\n")
    assert stored.code == 0, stored.output
    assert recipients(gitops.repo, APP_FILE) == {operator.recipient}
    assert not can_decrypt(gitops.repo, APP_FILE, outsider)


# --- attack 3: data keys rotate when a recipient leaves ------------------------------------

def test_removed_recipient_loses_the_data_key(gitops: GitOps, operator: AgeIdentity,
                                              tmp_path: Path) -> None:
    leaver = make_identity(tmp_path / "leaver" / "keys.txt")
    sops_yaml = gitops.repo / ".sops.yaml"
    sops_yaml.write_text(sops_config(operator.recipient, leaver.recipient))
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    known_to_leaver = data_key(gitops.repo, CREDENTIAL, leaver)
    token_line = (gitops.repo / CREDENTIAL).read_text().split("refresh_token: ")[1][:40]

    sops_yaml.write_text(sops_config(operator.recipient))
    plan = gitops.run("plan", "--detailed-exitcode")
    assert plan.code == 2
    assert f"  - recipient {leaver.recipient} (still in 1 state file: run `spprov rekey`)" \
        in plan.stdout.splitlines()
    rekeyed = gitops.run("rekey")
    assert (rekeyed.code, rekeyed.stdout) == (0, f"rekeyed with a new data key {CREDENTIAL}\n")
    assert data_key(gitops.repo, CREDENTIAL, operator) != known_to_leaver
    assert token_line not in (gitops.repo / CREDENTIAL).read_text()
    assert not can_decrypt(gitops.repo, CREDENTIAL, leaver)
    assert gitops.run("plan", "--detailed-exitcode").code == 0


def test_added_recipient_keeps_the_data_key(gitops: GitOps, operator: AgeIdentity,
                                            tmp_path: Path) -> None:
    joiner = make_identity(tmp_path / "joiner" / "keys.txt")
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    before = data_key(gitops.repo, CREDENTIAL, operator)
    (gitops.repo / ".sops.yaml").write_text(sops_config(operator.recipient, joiner.recipient))
    plan = gitops.run("plan", "--json", "--detailed-exitcode")
    assert plan.code == 2
    assert '"key_changes": 1' in plan.stdout
    assert (gitops.run("rekey").stdout) == f"rekeyed {CREDENTIAL}\n"
    assert data_key(gitops.repo, CREDENTIAL, joiner) == before
    assert can_decrypt(gitops.repo, CREDENTIAL, joiner)


# --- attack 4: .sops.yaml says not to encrypt the token ------------------------------------

@pytest.mark.parametrize("rule", ["    encrypted_regex: ^nothing$\n",
                                  "    unencrypted_regex: ^refresh_token$\n",
                                  "    encrypted_regex: ^nothing$\n    mac_only_encrypted: true\n"])
def test_encryption_rule_cannot_unencrypt_the_token(gitops: GitOps, operator: AgeIdentity,
                                                    rule: str) -> None:
    (gitops.repo / ".sops.yaml").write_text(
        "creation_rules:\n  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        f"{rule}    age: {operator.recipient}\n")
    gitops.declare([{"name": "acme", **US}])
    created = gitops.run("apply", "--yes")
    assert created.code == 0, created.output
    text = (gitops.repo / CREDENTIAL).read_text()
    assert "\nrefresh_token: ENC[AES256_GCM," in text
    assert "mac_only_encrypted" not in text
    assert gitops.run("verify").code == 0


def test_verify_refuses_a_plaintext_token(gitops: GitOps, operator: AgeIdentity) -> None:
    gitops.declare([{"name": "acme", **US}])
    now = datetime.now(UTC).replace(microsecond=0)
    forge(gitops.repo, CREDENTIAL, credential_fields(gitops, now, "Atzr|in-the-clear"),
          operator.recipient, encrypted_regex="^nothing$")
    verify = gitops.run("verify")
    assert verify.code == 1
    assert verify.stderr.splitlines()[0] == f"{CREDENTIAL}: refresh_token is not encrypted"
    assert "in-the-clear" not in verify.output


# --- attack 7: a key service named only in a file's metadata -------------------------------

@pytest.mark.parametrize(("entry", "service"), [(VAULT_ENTRY, "hc_vault"), (KMS_ENTRY, "kms")])
def test_key_service_in_file_metadata_is_never_contacted(
        gitops: GitOps, key_server: tuple[int, list[bytes]], outsider: AgeIdentity, entry: str,
        service: str) -> None:
    port, seen = key_server
    gitops.declare([{"name": "acme", **US}])
    # Encrypted for no trusted recipient, so sops falls back to the named key service.
    now = datetime.now(UTC).replace(microsecond=0)
    forge(gitops.repo, CREDENTIAL, credential_fields(gitops, now, "Atzr|x"), outsider.recipient)
    path = gitops.repo / CREDENTIAL
    path.write_text(path.read_text().replace("\nsops:\n", "\nsops:\n" + entry.format(port=port)))
    lure = {"VAULT_TOKEN": "hvs.ci-vault-token", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"}
    if service == "hc_vault":  # the attack is real: sops itself goes to the named server
        env = {"PATH": os.environ["PATH"], "HOME": str(gitops.repo), **lure,
               "SOPS_AGE_KEY_FILE": gitops.env["SOPS_AGE_KEY_FILE"]}
        subprocess.run([str(REAL_SOPS), "decrypt", CREDENTIAL], cwd=gitops.repo, env=env,
                       capture_output=True, check=False, timeout=60)
        assert seen and b"hvs.ci-vault-token" in seen[0]
        seen.clear()
    refusal = (f"{CREDENTIAL}: names key service {service}, which .sops.yaml does not use; "
               "refused before contacting it (restore the file from Git, or delete it and "
               "authorize again)")
    verify = gitops.run("verify", env=lure)
    assert (verify.code, verify.stderr.splitlines()[0]) == (1, refusal)
    plan = gitops.run("plan", "--detailed-exitcode", env=lure)
    assert plan.code == 2
    assert (f"  - key service {service} (named in 1 state file, not in .sops.yaml: restore "
            "them from Git or run `spprov rekey`)") in plan.stdout.splitlines()
    for command in (("rekey",), ("token", "acme")):
        refused = gitops.run(*command, env=lure)
        assert refused.code == 1
        assert refused.stderr.strip().splitlines()[-1].endswith(refusal)
    assert seen == []


def test_metadata_update_of_a_forged_file_is_undone(
        gitops: GitOps, operator: AgeIdentity, outsider: AgeIdentity) -> None:
    gitops.declare([{"name": "acme", "description": "new", **US}])
    now = datetime.now(UTC).replace(microsecond=0)
    forge(gitops.repo, CREDENTIAL, credential_fields(gitops, now, "Atzr|forged"),
          operator.recipient, outsider.recipient)
    before = (gitops.repo / CREDENTIAL).read_bytes()
    applied = gitops.run("apply", "--yes")
    assert applied.code == 1
    assert (f"{CREDENTIAL}: the file as written would be encrypted for recipient "
            f"{outsider.recipient}, which .sops.yaml does not name; the write was undone (run "
            "`spprov rekey` or fix .sops.yaml)") in applied.output
    assert (gitops.repo / CREDENTIAL).read_bytes() == before
