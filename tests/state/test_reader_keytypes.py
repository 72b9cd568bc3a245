"""Files for key types the reader does not open: the binary only if .sops.yaml names them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spprov.errors import StateError
from spprov.state.store import StateStore
from tests.fixtures_state import TOKEN, SopsRecorder

REL = "state/credentials/acme-us.sops.yaml"
# A Vault on a closed loopback port: sops's attempt fails at once and it falls back to age.
VAULT_STANZA = ("    hc_vault:\n"
                "        - vault_address: http://127.0.0.1:1\n"
                "          engine_path: transit\n"
                "          key_name: spprov\n"
                "          created_at: \"2026-11-28T02:00:00Z\"\n"
                "          enc: vault:v1:bm90LWEta2V5\n")


def _add_vault_stanza(path: Path) -> None:
    text = path.read_text()
    path.write_text(text.replace("    lastmodified:", VAULT_STANZA + "    lastmodified:", 1))


def test_a_key_service_named_only_in_the_file_is_never_contacted(
        state_repo: Path, stored: Path, sops_recorder: SopsRecorder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _add_vault_stanza(stored)
    monkeypatch.setenv("SPPROV_SOPS", str(sops_recorder.shim))
    # The store's key check (state/trusted.py) refuses it before the reader is reached;
    # the reader's own refusal stays as a second layer.
    with pytest.raises(StateError) as refused:
        StateStore(state_repo, state_repo / "state", os.environ).reader.decrypt("acme-us")
    assert str(refused.value) == (
        f"{REL}: names key service hc_vault, which .sops.yaml does not use; refused before "
        "contacting it (restore the file from Git, or delete it and authorize again)")
    assert sops_recorder.calls() == []


def test_key_types_the_sops_yaml_rule_uses_are_left_to_the_sops_binary(
        state_repo: Path, stored: Path, sops_recorder: SopsRecorder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _add_vault_stanza(stored)
    config = state_repo / ".sops.yaml"
    config.write_text(config.read_text().replace(
        "    age:", "    hc_vault_transit_uri: http://127.0.0.1:1/v1/transit/keys/spprov\n"
        "    age:"))
    monkeypatch.setenv("SPPROV_SOPS", str(sops_recorder.shim))
    store = StateStore(state_repo, state_repo / "state", os.environ)
    stored_secrets = store.reader.decrypt("acme-us")
    assert stored_secrets.refresh_token.reveal() == TOKEN
    assert [call[0] for call in sops_recorder.calls()] == ["--version", "decrypt"]
