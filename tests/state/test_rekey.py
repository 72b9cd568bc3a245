"""`spprov rekey`: re-encrypt for the recipients .sops.yaml names now."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.fixtures_cli import RunSpprov
from tests.fixtures_state import TOKEN, AgeIdentity, make_identity, make_record, sops_config

US = "state/credentials/acme-us.sops.yaml"


@pytest.fixture
def base_env(age_env: dict[str, str]) -> dict[str, str]:
    return age_env


def test_rekey_adds_a_recipient(spprov: RunSpprov, state_repo: Path, store: StateStore,
                                age_identity: AgeIdentity, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    store.writer.write(make_record(), Secret(TOKEN))
    path = store.files.path_of("acme-us")
    token_line = next(x for x in path.read_text().splitlines() if x.startswith("refresh_token"))
    unchanged = spprov("rekey", cwd=state_repo)
    assert (unchanged.code, unchanged.stdout) == (0, f"unchanged {US}\n")

    teammate = make_identity(tmp_path / "teammate.txt")
    (state_repo / ".sops.yaml").write_text(sops_config(age_identity.recipient,
                                                       teammate.recipient))
    result = spprov("rekey", cwd=state_repo)
    assert (result.code, result.stdout, result.stderr) == (0, f"rekeyed {US}\n", "")
    assert teammate.recipient in path.read_text()
    assert token_line in path.read_text()  # values keep their ciphertext
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(teammate.path))
    as_teammate = StateStore(state_repo, state_repo / "state", os.environ)
    assert as_teammate.reader.decrypt("acme-us").refresh_token.reveal() == TOKEN
    assert sorted(p.name for p in path.parent.iterdir()) == ["acme-us.sops.yaml"]


def test_rekey_without_identity_reports_each_file(spprov: RunSpprov, state_repo: Path,
                                                  store: StateStore, tmp_path: Path) -> None:
    store.writer.write(make_record(), Secret(TOKEN))
    other = make_identity(tmp_path / "other.txt")
    (state_repo / ".sops.yaml").write_text(sops_config(other.recipient))
    before = store.files.path_of("acme-us").read_bytes()
    result = spprov("rekey", cwd=state_repo, env={"SOPS_AGE_KEY_FILE": None})
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (f"cannot decrypt {US}: no age identity available (set "
                             "SOPS_AGE_KEY_FILE or run `spprov init`)\n")
    assert store.files.path_of("acme-us").read_bytes() == before
