"""`spprov verify`: MAC, format, name and consistency with the declaration."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.declarations import ACME_APP
from tests.fixtures_cli import RunSpprov
from tests.fixtures_state import TOKEN, AgeIdentity, make_identity, make_record, sops_config

DECLARATION = ACME_APP + """\
credentials:
  - name: acme-us
    description: Acme US
    seller_central_url: https://sellercentral.amazon.com
    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com
  - name: acme-ca
    seller_central_url: https://sellercentral.amazon.ca
    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com
"""
US = "state/credentials/acme-us.sops.yaml"


@pytest.fixture
def base_env(age_env: dict[str, str]) -> dict[str, str]:
    return age_env


@pytest.fixture
def repo(state_repo: Path, store: StateStore) -> Path:
    (state_repo / "credentials.yaml").write_text(DECLARATION)
    store.writer.write(make_record(), Secret(TOKEN))
    store.writer.write(make_record("acme-ca", consent_url="https://sellercentral.amazon.ca",
                            description=None),
                Secret(TOKEN))
    store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.x"),
                                datetime(2026, 11, 1, tzinfo=UTC))
    return state_repo


def test_consistent_state_verifies(spprov: RunSpprov, repo: Path) -> None:
    result = spprov("verify", cwd=repo)
    assert (result.code, result.stdout, result.stderr) == (0, "verified 3 state files\n", "")


def test_hand_edit_is_caught(spprov: RunSpprov, repo: Path) -> None:
    path = repo / US
    path.write_text(path.read_text().replace("region: na", "region: eu"))
    result = spprov("verify", cwd=repo)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{US}: MAC mismatch: the file was edited by hand or corrupted; restore it from Git "
        f"(`git checkout -- {US}`) and let spprov write it\n"
        "1 of 3 state files failed verification\n")


def test_differences_from_the_declaration(spprov: RunSpprov, repo: Path,
                                          store: StateStore) -> None:
    store.writer.write(make_record(sp_api_endpoint="https://sellingpartnerapi-eu.amazon.com",
                            region="eu"), None)
    store.writer.write(make_record("acme-old"), Secret(TOKEN))
    store.writer.write(make_record("acme-ca", consent_url="https://sellercentral.amazon.ca",
                            description=None),
                Secret("not-a-refresh-token"))
    result = spprov("verify", cwd=repo)
    assert result.code == 1
    assert result.stderr == (
        "state/credentials/acme-ca.sops.yaml: refresh_token is missing or not an LWA refresh "
        "token (Atzr|...): run `spprov authorize acme-ca`\n"
        "state/credentials/acme-old.sops.yaml: credential acme-old is not declared: run "
        "`spprov plan` (`spprov apply --prune` deletes it)\n"
        f"{US}: differs from the declaration (sp_api_endpoint: eu -> na region): run "
        "`spprov plan`\n"
        "3 of 4 state files failed verification\n")
    assert "not-a-refresh-token" not in result.output


def test_name_and_format_problems(spprov: RunSpprov, repo: Path, store: StateStore) -> None:
    (repo / "state/credentials/copy.sops.yaml").write_bytes((repo / US).read_bytes())
    result = spprov("verify", cwd=repo)
    assert result.stderr.splitlines()[0] == (
        "state/credentials/copy.sops.yaml: name: 'acme-us' does not match the file name (copy)")


def test_undecryptable_file(spprov: RunSpprov, repo: Path, tmp_path: Path) -> None:
    stranger: AgeIdentity = make_identity(tmp_path / "stranger.txt")
    result = spprov("verify", cwd=repo, env={"SOPS_AGE_KEY_FILE": str(stranger.path)})
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        "cannot decrypt state/credentials/acme-ca.sops.yaml: none of your age identities is "
        "one of its recipients; ask someone who can decrypt it to add your recipient to "
        ".sops.yaml and run `spprov rekey`")
    assert (repo / ".sops.yaml").read_text() != sops_config(stranger.recipient)


def test_no_identity(spprov: RunSpprov, repo: Path) -> None:
    result = spprov("verify", cwd=repo, env={"SOPS_AGE_KEY_FILE": None})
    assert result.code == 1
    assert result.stderr.splitlines()[0] == (
        "cannot decrypt state/credentials/acme-ca.sops.yaml: no age identity available (set "
        "SOPS_AGE_KEY_FILE or run `spprov init`)")


def test_many_files_are_verified_in_forked_processes_with_the_same_lines(
        repo: Path, store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from spprov.declaration.loader import load_desired
    from spprov.usecases import verify

    path = store.files.path_of("acme-us")
    path.write_text(path.read_text().replace("description: Acme US", "description: Evil"))
    desired = load_desired(repo / "credentials.yaml", str)
    jobs = [(verify.verify_credential, p) for p in store.files.credential_files()]
    jobs += [(verify.verify_app, p) for p in store.files.app_files()]
    monkeypatch.setattr(verify, "PARALLEL_FROM", 1)
    monkeypatch.setattr(verify.os, "cpu_count", lambda: 2)
    fresh = StateStore(repo, repo / "state", os.environ)
    forked = verify.run_checks(jobs, fresh, desired)
    assert fresh.reader._decrypter._keyring is None  # the workers decrypted; this process did not
    assert verify._WORKER is None  # and it holds no module global for them
    monkeypatch.setattr(verify, "PARALLEL_FROM", 10**9)
    assert verify.run_checks(jobs, store, desired) == forked
    assert [len(lines) for lines in forked] == [0, 1, 0]  # acme-ca, acme-us (MAC), the app
    assert "MAC mismatch" in forked[1][0]
