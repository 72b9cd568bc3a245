"""`spprov keys list | add | remove` (issue 15, item 2) with the real sops and age identities.

Who can decrypt is checked by decrypting with each identity; whether data keys were kept
or rotated by taking the data key out with an identity, as a recipient could.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.fixtures_cli import RunSpprov
from tests.fixtures_state import TOKEN, AgeIdentity, make_identity, make_record
from tests.state.test_trust_attacks import can_decrypt, data_key

US = "state/credentials/acme-us.sops.yaml"
APP = "state/apps/acme.sops.yaml"
SECRET = "amzn1.oa2-cs.v1.keys-test-secret"


@pytest.fixture
def base_env(age_env: dict[str, str]) -> dict[str, str]:
    return age_env


@pytest.fixture
def repo(state_repo: Path, store: StateStore, age_identity: AgeIdentity) -> Path:
    (state_repo / ".sops.yaml").write_text(
        "# Who can read the state: reviewed like code.\n"
        "creation_rules:\n"
        "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        "    encrypted_regex: ^(refresh_token|client_secret)$\n"
        f"    age: >-\n      {age_identity.recipient}\n"
        "# keep this comment\n")
    store.writer.write(make_record(), Secret(TOKEN))
    store.writer.set_app_secret("acme", Secret(SECRET), datetime(2026, 11, 1, tzinfo=UTC))
    return state_repo


def test_add_then_remove_a_teammate(spprov: RunSpprov, repo: Path, age_identity: AgeIdentity,
                                    tmp_path: Path) -> None:
    teammate = make_identity(tmp_path / "teammate" / "keys.txt")
    keys_before = {f: data_key(repo, f, age_identity) for f in (US, APP)}
    assert not can_decrypt(repo, US, teammate)

    added = spprov("keys", "add", teammate.recipient, cwd=repo)
    assert (added.code, added.stderr) == (0, "")
    assert added.stdout == (f"added {teammate.recipient} in .sops.yaml\n"
                            f"rekeyed {US}\nrekeyed {APP}\n")
    assert (repo / ".sops.yaml").read_text() == (
        "# Who can read the state: reviewed like code.\n"
        "creation_rules:\n"
        "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        "    encrypted_regex: ^(refresh_token|client_secret)$\n"
        f"    age:\n      - {age_identity.recipient}\n      - {teammate.recipient}\n"
        "# keep this comment\n")
    for file in (US, APP):
        assert can_decrypt(repo, file, teammate) and can_decrypt(repo, file, age_identity)
        assert data_key(repo, file, teammate) == keys_before[file]  # adding keeps data keys

    removed = spprov("keys", "remove", teammate.recipient, cwd=repo)
    assert (removed.code, removed.stderr) == (0, "")
    assert removed.stdout == (f"removed {teammate.recipient} in .sops.yaml\n"
                              f"rekeyed with a new data key {US}\n"
                              f"rekeyed with a new data key {APP}\n")
    assert f"      - {teammate.recipient}\n" not in (repo / ".sops.yaml").read_text()
    for file in (US, APP):
        assert not can_decrypt(repo, file, teammate)
        assert can_decrypt(repo, file, age_identity)
        assert data_key(repo, file, age_identity) != keys_before[file]  # removing rotates
    store = StateStore(repo, repo / "state", os.environ)
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == TOKEN
    for result in (added, removed):
        assert TOKEN not in result.output and SECRET not in result.output


def test_list_shows_who_opens_what_and_what_lags(spprov: RunSpprov, repo: Path,
                                                 age_identity: AgeIdentity,
                                                 tmp_path: Path) -> None:
    newcomer = make_identity(tmp_path / "newcomer" / "keys.txt")
    text = (repo / ".sops.yaml").read_text()
    (repo / ".sops.yaml").write_text(text.replace(
        f"      {age_identity.recipient}\n", f"      {age_identity.recipient},\n"
        f"      {newcomer.recipient}\n"))
    listed = spprov("keys", "list", cwd=repo)
    assert (listed.code, listed.stderr) == (0, "")
    assert listed.stdout == (
        "recipients in .sops.yaml:\n"
        + "".join(f"  {r}  opens {n} of 2 state files\n" for r, n in sorted(
            [(age_identity.recipient, 2), (newcomer.recipient, 0)]))
        + "behind .sops.yaml (2 of 2): run `spprov rekey`\n"
        f"  {US}: not encrypted for recipient {newcomer.recipient} of .sops.yaml\n"
        f"  {APP}: not encrypted for recipient {newcomer.recipient} of .sops.yaml\n")
    assert spprov("rekey", cwd=repo).code == 0
    assert spprov("keys", "list", cwd=repo).stdout.endswith(
        "all 2 state files match .sops.yaml\n")


@pytest.mark.parametrize("bad", ["age1notarecipient", "AGE-SECRET-KEY-1QQQ", "age1 x"])
def test_add_refuses_what_is_not_a_recipient(spprov: RunSpprov, repo: Path, bad: str) -> None:
    before = (repo / ".sops.yaml").read_bytes()
    result = spprov("keys", "add", bad, cwd=repo)
    assert (result.code, result.stdout) == (1, "")
    assert len(result.stderr.splitlines()) == 1
    assert "is not an age recipient (age1... as printed by age-keygen -y" in result.stderr
    assert (repo / ".sops.yaml").read_bytes() == before


def test_remove_refuses_the_last_and_unknown_recipients(spprov: RunSpprov, repo: Path,
                                                        age_identity: AgeIdentity,
                                                        tmp_path: Path) -> None:
    before = (repo / ".sops.yaml").read_bytes()
    last = spprov("keys", "remove", age_identity.recipient, cwd=repo)
    assert (last.code, last.stderr) == (1, f"spprov: {age_identity.recipient} is the only "
                                           "recipient in .sops.yaml: add another first, or "
                                           "nobody could decrypt the state\n")
    stranger = make_identity(tmp_path / "s" / "keys.txt").recipient
    unknown = spprov("keys", "remove", stranger, cwd=repo)
    assert (unknown.code, unknown.stderr) == (1, f"spprov: '{stranger}' is not a recipient in "
                                                 ".sops.yaml (`spprov keys list` shows them)\n")
    assert (repo / ".sops.yaml").read_bytes() == before


def test_stray_text_in_the_recipients_is_one_clear_line(spprov: RunSpprov, repo: Path,
                                                        age_identity: AgeIdentity,
                                                        tmp_path: Path) -> None:
    teammate = make_identity(tmp_path / "teammate" / "keys.txt")
    text = (repo / ".sops.yaml").read_text()
    # A newline instead of a comma: the folded value becomes "age1... age1..." for sops.
    broken = text.replace(f"      {age_identity.recipient}\n",
                          f"      {age_identity.recipient}\n      {teammate.recipient}\n")
    (repo / ".sops.yaml").write_text(broken)
    store = StateStore(repo, repo / "state", os.environ)
    before = store.files.path_of("acme-us").read_bytes()
    result = spprov("rekey", cwd=repo)
    assert result.code == 1
    assert result.stderr.splitlines()[0].startswith(
        f"spprov: .sops.yaml: creation rule 1: '{age_identity.recipient} age1")
    assert "is not an age recipient" in result.stderr and "exit code" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert store.files.path_of("acme-us").read_bytes() == before
    # `keys add` repairs it into one recipient per line.
    repaired = spprov("keys", "add", teammate.recipient, cwd=repo)
    assert repaired.code == 0, repaired.output
    assert (f"    age:\n      - {age_identity.recipient}\n      - {teammate.recipient}\n"
            in (repo / ".sops.yaml").read_text())
    assert can_decrypt(repo, US, teammate)


RULE = ("  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        "    encrypted_regex: ^(refresh_token|client_secret)$\n")
# Each way of writing the recipients spprov or a person writes; {me} is this test's own
# recipient, {mate} a teammate's. The first is what `spprov init` writes.
FORMS = {
    "init": "creation_rules:\n" + RULE + "    age: >-\n      {me}\n",
    "age before other keys": ("creation_rules:\n  - path_regex: ^state/\n    age: >-\n"
                              "      {me}\n    encrypted_regex: ^(refresh_token)$\n"),
    "comma-separated": ("creation_rules:\n  - path_regex: ^state/\n    age: {me},{mate}  # us\n"
                        "    encrypted_regex: ^(refresh_token)$\n"),
    "comma-separated, spaced": "creation_rules:\n" + RULE + "    age: '{me}, {mate}'\n",
    "block list": ("creation_rules:\n  - path_regex: ^state/\n    age:\n      # me\n"
                   "      - {me}\n    # next: what is encrypted\n"
                   "    encrypted_regex: ^(refresh_token)$\n"),
    "indentless list": "creation_rules:\n- path_regex: ^state/\n  age:\n  - {me}\n  - {mate}\n",
    "flow list": "creation_rules:\n" + RULE + "    age: [{me}, {mate}]\n",
    "key_groups": ("creation_rules:\n  - path_regex: ^state/\n    key_groups:\n"
                   "      - age:\n          - {me}\n    encrypted_regex: ^(refresh_token)$\n"),
    "key_groups, flow": "creation_rules:\n" + RULE + "    key_groups: [{{age: [{me}, {mate}]}}]\n",
}


@pytest.mark.parametrize("form", list(FORMS))
def test_add_and_remove_in_either_order_on_every_form(
        spprov: RunSpprov, state_repo: Path, store: StateStore, age_identity: AgeIdentity,
        tmp_path: Path, form: str) -> None:
    mate = make_identity(tmp_path / "mate" / "keys.txt")
    text = FORMS[form].format(me=age_identity.recipient, mate=mate.recipient)
    (state_repo / ".sops.yaml").write_text(text)
    store.writer.write(make_record(), Secret(TOKEN))
    store.writer.set_app_secret("acme", Secret(SECRET), datetime(2026, 11, 1, tzinfo=UTC))
    third = make_identity(tmp_path / "third" / "keys.txt")
    starts_with_mate = mate.recipient in text

    def run(*args: str) -> str:
        result = spprov(*args, cwd=state_repo)
        assert (result.code, result.stderr) == (0, ""), result.output
        return result.stdout

    def readers() -> set[str]:
        return {who.recipient for who in (age_identity, mate, third)
                if all(can_decrypt(state_repo, file, who) for file in (US, APP))}

    steps = ([("remove", mate), ("add", mate), ("add", third), ("remove", third)]
             if starts_with_mate else
             [("add", mate), ("remove", mate), ("add", mate), ("add", third),
              ("remove", third)])
    expected = {age_identity.recipient} | ({mate.recipient} if starts_with_mate else set())
    for verb, who in steps:
        rekeyed = "rekeyed" if verb == "add" else "rekeyed with a new data key"
        assert run("keys", verb, who.recipient) == (
            f"{verb}{'ed' if verb == 'add' else 'd'} {who.recipient} in .sops.yaml\n"
            f"{rekeyed} {US}\n{rekeyed} {APP}\n")
        expected = expected | {who.recipient} if verb == "add" else expected - {who.recipient}
        assert readers() == expected, (verb, (state_repo / ".sops.yaml").read_text())
        assert run("keys", "list").endswith("all 2 state files match .sops.yaml\n")
    final = (state_repo / ".sops.yaml").read_text()
    assert final.count("path_regex:") == 1 and final.endswith("\n")
    for comment in ("# us", "# me", "# next: what is encrypted"):
        assert (comment in final) == (comment in text), final
    assert store.reader.decrypt("acme-us").refresh_token.reveal() == TOKEN
