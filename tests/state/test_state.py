"""StateStore against the real sops binary and throwaway age keys."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from spprov.errors import SopsError, SpprovError, StateError, StateLockedError
from spprov.secret import Secret
from spprov.state.reader import resolve_client_secret
from spprov.state.store import StateStore
from tests.fixtures_state import TOKEN, make_record

REL = "state/credentials/acme-us.sops.yaml"


def enc_line(path: Path, key: str) -> str:
    """The ciphertext line of ``key`` in a state file."""
    return next(line for line in path.read_text().splitlines() if line.startswith(f"{key}:"))


def test_round_trip(store: StateStore, stored: Path) -> None:
    text = stored.read_text()
    assert TOKEN not in text
    assert re.search(r"^refresh_token: ENC\[AES256_GCM,", text, re.MULTILINE)
    readable = text.split("\nrefresh_token:")[0]
    assert readable == (
        "format: 2\nname: acme-us\napp: acme\n"
        "client_id: amzn1.application-oa2-client.0123456789abcdef\nregion: na\n"
        "consent_url: https://sellercentral.amazon.com\n"
        "sp_api_endpoint: https://sellingpartnerapi-na.amazon.com\ndescription: Acme US\n"
        "selling_partner_id: A3FHEXAMPLEYWS\nauthorization_method: website\n"
        "authorization_version: 1\nauthorized_at: \"2026-11-28T02:00:00Z\"\n"
        "application_id: amzn1.sp.solution.00000000-0000-0000-0000-000000000000\n"
        "redirect_uri: https://auth.example.com/spapi/callback\ndraft: false\n"
        "authorization_lifetime_days: 365"
    )
    assert store.reader.records() == {"acme-us": make_record()}
    secrets = store.reader.decrypt("acme-us")
    assert secrets.record == make_record()
    assert secrets.refresh_token.reveal() == TOKEN


def test_no_op_write_changes_no_byte_and_no_mtime(store: StateStore, stored: Path) -> None:
    before, mtime = stored.read_bytes(), stored.stat().st_mtime_ns
    assert store.writer.write(make_record(), None) is False
    assert stored.read_bytes() == before
    assert stored.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in stored.parent.iterdir()) == ["acme-us.sops.yaml"]


def test_update_keeps_untouched_ciphertext(store: StateStore, stored: Path) -> None:
    token_before = enc_line(stored, "refresh_token")
    assert store.writer.write(make_record(description="Acme US, orders"), None) is True
    assert enc_line(stored, "refresh_token") == token_before
    assert enc_line(stored, "description") == "description: Acme US, orders"
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == TOKEN


def test_new_refresh_token_changes_only_that_value(store: StateStore, stored: Path) -> None:
    before = stored.read_text().split("refresh_token:")[0]
    assert store.writer.write(make_record(), Secret("Atzr|new-token")) is True
    assert stored.read_text().split("refresh_token:")[0] == before
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == "Atzr|new-token"


def test_removed_optional_field_is_unset(store: StateStore, stored: Path) -> None:
    assert store.writer.write(make_record(selling_partner_id=None), None) is True
    assert "selling_partner_id" not in stored.read_text()
    assert store.reader.records()["acme-us"].selling_partner_id is None


def test_hand_edited_readable_field_is_refused(store: StateStore, stored: Path) -> None:
    stored.write_text(stored.read_text().replace("description: Acme US", "description: Evil"))
    message = (f"{REL}: MAC mismatch: the file was edited by hand or corrupted; restore it "
               f"from Git (`git checkout -- {REL}`) and let spprov write it")
    with pytest.raises(SopsError, match=re.escape(message)):
        store.reader.decrypt("acme-us")
    with pytest.raises(SopsError, match=re.escape(message)):
        store.writer.write(make_record(description="metadata only"), None)
    # A new token is a whole new file: the edited one is replaced, not trusted.
    assert store.writer.write(make_record(), Secret("Atzr|other")) is True
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == "Atzr|other"


def test_malformed_readable_fields_are_one_line_per_file(store: StateStore, stored: Path) -> None:
    folder = stored.parent
    (folder / "broken.sops.yaml").write_text("format: 1\nname: [\nsops: {}\n")
    (folder / "plain.sops.yaml").write_text("format: 1\nname: plain\n")
    (folder / "wrong.sops.yaml").write_text(
        stored.read_text().replace("name: acme-us", "name: other"))
    (folder / "region.sops.yaml").write_text(
        stored.read_text().replace("name: acme-us", "name: region").replace("region: na",
                                                                            "region: xx"))
    state = store.reader.read_all()
    assert list(state.records) == ["acme-us"]
    assert list(state.unreadable) == ["broken", "plain", "region", "wrong"]
    assert list(state.unreadable.values()) == [
        "state/credentials/broken.sops.yaml: line 4: did not find expected ',' or ']' "
        "(not valid YAML)",
        "state/credentials/plain.sops.yaml: not a sops-encrypted file (no `sops` block)",
        "state/credentials/region.sops.yaml: region: expected one of na, eu, fe, got 'xx'",
        "state/credentials/wrong.sops.yaml: name: 'other' does not match the file name (wrong)",
    ]


def test_records_runs_no_sops(state_repo: Path, stored: Path) -> None:
    # Any sops call would fail.
    missing = StateStore(state_repo, state_repo / "state",
                         {**os.environ, "SPPROV_SOPS": "/nonexistent/sops"})
    assert list(missing.reader.records()) == ["acme-us"]


def test_delete(store: StateStore, stored: Path) -> None:
    store.writer.delete("acme-us")
    store.writer.delete("acme-us")
    assert not stored.exists()
    assert store.reader.records() == {}


def test_create_without_token_is_refused(store: StateStore) -> None:
    with pytest.raises(StateError, match=f"^{re.escape(REL)}: cannot create a state file "
                       "without a refresh token$"):
        store.writer.write(make_record(), None)


def test_no_identity_is_a_clear_message(store: StateStore, stored: Path, home: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    with pytest.raises(SopsError, match=re.escape(
            f"cannot decrypt {REL}: no age identity available (set SOPS_AGE_KEY_FILE or run "
            "`spprov init`)")):
        store.reader.decrypt("acme-us")


def test_missing_creation_rule_is_a_clear_message(state_repo: Path, store: StateStore) -> None:
    (state_repo / ".sops.yaml").unlink()
    with pytest.raises(StateError, match=re.escape(
            f"no creation rule in .sops.yaml matches {REL}: run `spprov init`")):
        store.writer.write(make_record(), Secret(TOKEN))
    assert not store.files.path_of("acme-us").exists()


def test_lock_refuses_a_second_run(state_repo: Path, store: StateStore) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1],'w'); "
         "f.write('4242\\nspprov rekey\\n'); f.flush(); fcntl.flock(f, fcntl.LOCK_EX); "
         "print('locked', "
         "flush=True); time.sleep(60)", str(state_repo / ".spprov.lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with pytest.raises(StateLockedError, match=re.escape(
                f"the repository {state_repo} is locked by another spprov run, pid 4242 "
                "(spprov rekey); run again when it has finished, or with `spprov "
                "--lock-timeout 5m` to wait for it")), store.writer.lock():
            pass
    finally:
        holder.kill()
        holder.wait()
    with store.writer.lock(), store.writer.lock():  # re-entrant within one run
        assert (state_repo / ".spprov.lock").read_text() == \
            f"{__import__('os').getpid()}\nspprov\n"


def test_concurrent_writers_do_not_corrupt(state_repo: Path, stored: Path) -> None:
    writers = [StateStore(state_repo, state_repo / "state", os.environ) for _ in range(4)]
    errors: list[Exception] = []

    def write(index: int) -> None:
        try:
            writers[index].writer.write(make_record(description=f"writer {index}"),
                                        Secret(f"Atzr|token-{index}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    secrets = StateStore(state_repo, state_repo / "state", os.environ).reader.decrypt("acme-us")
    index = int(secrets.refresh_token.reveal().rsplit("-", 1)[1])
    assert secrets.record.description == f"writer {index}"


def test_threads_of_one_run_write_different_files(store: StateStore) -> None:
    names = [f"acct-{i}" for i in range(6)]
    with store.writer.lock():
        threads = [threading.Thread(target=store.writer.write, args=(make_record(n), Secret(TOKEN)))
                   for n in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(store.reader.records()) == names


_WRITER = """
import os
import sys
from pathlib import Path
from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.fixtures_state import make_record
repo = Path(sys.argv[1])
store = StateStore(repo, repo / "state", os.environ)
print("ready", flush=True)
for i in range(1000):
    store.writer.write(make_record(description=f"round {i}"), Secret(f"Atzr|round-{i}"))
"""


def _wait_until_the_group_is_gone(group: int) -> None:
    """Wait out the killed run's children too: one caught between fork and exec still holds
    the run's lock (its file description), and the next run would rightly refuse. A zombie
    has let go of its files, and may never be reaped in a container without an init."""
    deadline = time.monotonic() + 10
    while _live_members(group):
        if time.monotonic() > deadline:
            raise AssertionError(f"process group {group} still alive 10 s after SIGKILL")
        time.sleep(0.01)


def _live_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone while we looked
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.45])
def test_killed_writer_leaves_old_or_new_file(state_repo: Path, stored: Path,
                                              delay: float) -> None:
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(state_repo)],
                              stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
                              start_new_session=True)
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    time.sleep(delay)  # a moment somewhere inside a write; any moment must be safe
    # The whole run dies, its sops child too (as when CI cancels a job): an orphaned sops
    # could otherwise rewrite its temporary file after the next run cleared it, and the
    # reading below, in-process now, no longer gives it the time to finish first.
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait()
    _wait_until_the_group_is_gone(writer.pid)
    store = StateStore(state_repo, state_repo / "state", os.environ)
    secrets = store.reader.decrypt("acme-us")
    description = secrets.record.description or ""
    if description == "Acme US":
        assert secrets.refresh_token.reveal() == TOKEN
    else:
        assert secrets.refresh_token.reveal() == "Atzr|" + description.replace(" ", "-")
    with store.writer.lock():  # the next run clears what the killed one left behind
        assert [p.name for p in stored.parent.iterdir()] == ["acme-us.sops.yaml"]


def test_app_secret_round_trip(store: StateStore) -> None:
    first = datetime(2026, 11, 1, tzinfo=UTC)
    assert store.reader.app_secret("acme") is None
    assert store.reader.app_secret_set_at("acme") is None
    assert store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.first"), first) is True
    path = store.files.app_path("acme")
    text = path.read_text()
    assert text.startswith('format: 2\napp: acme\nset_at: "2026-11-01T00:00:00Z"\n'
                           "client_secret: ENC[AES256_GCM,")
    assert store.reader.app_secret_set_at("acme") == first
    before = path.read_bytes()
    later = datetime(2026, 12, 1, tzinfo=UTC)
    assert store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.first"), later) is False
    assert path.read_bytes() == before
    assert store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.second"), later) is True
    secret = store.reader.app_secret("acme")
    assert secret is not None and secret.set_at == later
    assert secret.client_secret.reveal() == "amzn1.oa2-cs.v1.second"


def test_client_secret_lookup_order(store: StateStore) -> None:
    with pytest.raises(SpprovError, match=re.escape(
            "no client secret for app my-app: set SPPROV_APP_MY_APP_CLIENT_SECRET or run "
            "`spprov app set-secret my-app` (it reads the secret from stdin)")):
        resolve_client_secret("my-app", store.reader, {})
    store.writer.set_app_secret("my-app", Secret("from-file"), datetime(2026, 11, 1, tzinfo=UTC))
    assert resolve_client_secret("my-app", store.reader, {}).reveal() == "from-file"
    assert resolve_client_secret("my-app", store.reader, {"SPPROV_APP_MY_APP_CLIENT_SECRET": ""}
                                 ).reveal() == "from-file"
    env = {"SPPROV_APP_MY_APP_CLIENT_SECRET": "from-env\n"}
    assert resolve_client_secret("my-app", store.reader, env).reveal() == "from-env"


def test_records_of_many_files_parse_the_readable_part(store: StateStore, stored: Path) -> None:
    text = stored.read_text()
    for i in range(50):
        (stored.parent / f"copy-{i}.sops.yaml").write_text(
            text.replace("name: acme-us", f"name: copy-{i}"))
    state = store.reader.read_all()
    assert len(state.records) == 51 and state.unreadable == {}
    assert yaml.safe_load(text)["name"] == "acme-us"
