"""Every sops invocation goes through the one runner, and the runner refuses a key service
that only a file's metadata names before sops could contact it: for every kind of
invocation, a `moved:` rename and a file whose keys sit in `key_groups` included.

The real sops binary runs; a loopback listener stands in for the Vault server a hostile
state file names, and records every connection made to it.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from spprov.errors import StateError
from spprov.model import Record
from spprov.secret import Secret
from spprov.state.sops import SopsRunner
from spprov.state.store import StateStore
from tests.fixtures_state import (
    REAL_SOPS,
    TOKEN,
    VAULT_ENTRY,
    make_record,
)

CREDENTIAL = "state/credentials/acme-us.sops.yaml"
APP_FILE = "state/apps/acme.sops.yaml"
# The same Vault key, as a key group: sops tries every group's keys too.
VAULT_GROUP = """\
    key_groups:
        - hc_vault:
            - vault_address: http://127.0.0.1:{port}
              engine_path: sops
              key_name: state
              created_at: "2026-01-01T00:00:00Z"
              enc: vault:v1:bm90LWEta2V5
"""
LURE = {"VAULT_TOKEN": "hvs.ci-vault-token", "VAULT_ADDR": "http://127.0.0.1:9"}


def hostile(path: Path, entry: str, port: int) -> None:
    """Make ``path`` a file for the listener's Vault key only (its age stanzas gone), so that
    sops, with no age key to open it, would go to the Vault server."""
    text, removed = re.subn(r"\n    age:\n(?:        .*\n)+", "\n", path.read_text())
    assert removed == 1
    path.write_text(text.replace("\nsops:\n", "\nsops:\n" + entry.format(port=port), 1))


def sops_itself_contacts(repo: Path, relative: str, seen: list[bytes], env: dict[str, str]) -> bool:
    """Whether the real sops, asked to decrypt the file with no guard, goes to the listener."""
    subprocess.run([str(REAL_SOPS), "decrypt", relative], cwd=repo, capture_output=True,
                   check=False, timeout=60,
                   env={"PATH": os.environ["PATH"], "HOME": str(repo), **LURE, **env})
    contacted = bool(seen)
    seen.clear()
    return contacted


def renamed(record: Record) -> Record:
    return Record(**{**record.__dict__, "name": "acme-eu"})


def runner_of(store: StateStore) -> SopsRunner:
    """The runner no face of the store exposes, built as the store builds it."""
    return SopsRunner(store.files.repo_root, {**os.environ, **LURE}, store.trust)


# Each kind of invocation, and the file its refusal names.
INVOCATIONS: dict[str, tuple[Callable[[StateStore], object], str]] = {
    # decrypt, as reading does and as the runner does when it is asked directly
    "read": (lambda store: store.reader.read_document(store.files.path_of("acme-us")),
             CREDENTIAL),
    "decrypt": (lambda store: runner_of(store).decrypt(store.files.path_of("acme-us")),
                CREDENTIAL),
    # set: a metadata update
    "set": (lambda store: store.writer.write(make_record(description="changed"), None),
            CREDENTIAL),
    # unset: an optional field dropped
    "unset": (lambda store: store.writer.write(make_record(selling_partner_id=None), None),
              CREDENTIAL),
    # rotate + updatekeys
    "rekey": (lambda store: store.writer.rekey_file(store.files.path_of("acme-us")),
              CREDENTIAL),
    # copy + set: the rename a `moved:` entry asks for
    "moved": (lambda store: store.writer.move("acme-us", renamed(make_record())), CREDENTIAL),
    "moved app": (lambda store: store.writer.move_app("acme", "acme-next"), APP_FILE),
    "app secret": (lambda store: store.writer.set_app_secret(
        "acme", Secret("amzn1.oa2-cs.v1.new"), make_record().authorized_at), APP_FILE),
}


@pytest.mark.parametrize("where", ["top level", "key_groups"])
@pytest.mark.parametrize("invocation", sorted(INVOCATIONS))
def test_a_key_service_only_a_file_names_is_never_contacted(
        state_repo: Path, key_server: tuple[int, list[bytes]],
        age_env: dict[str, str], invocation: str, where: str) -> None:
    port, seen = key_server
    store = StateStore(state_repo, state_repo / "state",
                       {**os.environ, **LURE, "SPPROV_SOPS": str(REAL_SOPS),
                        # identities from a command: the reader leaves the file to sops
                        "SOPS_AGE_KEY_CMD": f"cat {age_env['SOPS_AGE_KEY_FILE']}"})
    store.writer.write(make_record(), Secret(TOKEN))
    store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.old"),
                                make_record().authorized_at)
    entry = VAULT_ENTRY if where == "top level" else VAULT_GROUP
    for relative in (CREDENTIAL, APP_FILE):
        hostile(state_repo / relative, entry, port)
        # The attack is real: sops itself goes to the server the file names.
        assert sops_itself_contacts(state_repo, relative, seen, age_env)
    before = {relative: (state_repo / relative).read_bytes() for relative in (CREDENTIAL,
                                                                               APP_FILE)}
    call, shown = INVOCATIONS[invocation]
    with pytest.raises(StateError) as refused:
        call(store)
    assert str(refused.value) == (
        f"{shown}: names key service hc_vault, which .sops.yaml does not use; refused "
        "before contacting it (restore the file from Git, or delete it and authorize again)")
    assert seen == []
    assert {relative: (state_repo / relative).read_bytes() for relative in before} == before
    assert sorted(p.name for p in (state_repo / "state" / "credentials").iterdir()) == [
        "acme-us.sops.yaml"]


def test_a_new_file_replaces_a_hostile_one_for_the_trusted_keys_only(
        state_repo: Path, key_server: tuple[int, list[bytes]]) -> None:
    port, seen = key_server
    store = StateStore(state_repo, state_repo / "state", {**os.environ, **LURE})
    store.writer.write(make_record(), Secret(TOKEN))
    hostile(state_repo / CREDENTIAL, VAULT_GROUP, port)
    # encrypt reads nothing of the old file: the new one is for the trusted rule's keys.
    assert store.writer.write(make_record(), Secret("Atzr|a-new-token"))
    text = (state_repo / CREDENTIAL).read_text()
    assert "hc_vault" not in text and "key_groups" not in text
    assert store.trust.problems(state_repo / CREDENTIAL) == []
    assert seen == []


def test_only_the_runner_knows_the_sops_binary() -> None:
    """By construction: no other module of spprov names the binary or its override (the
    import contracts keep `sops_binary` and `subprocess` out of every other module)."""
    package = Path(__file__).resolve().parents[2] / "spprov"
    naming = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                    if re.search(r"sops_binary|SPPROV_SOPS|SOPS_ENV", path.read_text()))
    assert naming == ["state/sops.py"]


def test_a_store_reviewed_against_a_base_only_reads(stored: Path, state_repo: Path) -> None:
    """With a base revision the runner only decrypts: a write is refused before sops runs,
    and the base is read through Git, not from the working tree."""
    from spprov.errors import SopsError
    from spprov.state.revision import resolve

    git = ["git", "-C", str(state_repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    base = resolve(state_repo, "HEAD", os.environ)
    (state_repo / ".sops.yaml").write_text("creation_rules: []\n")  # the working tree's
    store = StateStore(state_repo, state_repo / "state", os.environ, base=base)
    assert store.trust.root().rule_for(CREDENTIAL).recipients  # the base's rule
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == TOKEN
    with pytest.raises(SopsError, match=f"^{CREDENTIAL}: a review against HEAD only reads "
                                        "state; run this without --base$"):
        store.writer.write(make_record(description="changed"), Secret(TOKEN))
