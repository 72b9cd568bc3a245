"""The in-process reader against the real sops binary: the same documents, the same refusals.

A corpus is written once per module by the real sops binary (spprov's own state and app
files, documents of every value type under each encryption rule sops records, CRLF,
unicode, two recipients); every file is then read by `sops decrypt` and by the reader.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spprov.errors import SopsError
from spprov.secret import Secret
from spprov.state.sops import mac_mismatch
from spprov.state.sopsreader import SopsReader, go_float
from spprov.state.store import StateStore
from tests.fixtures_state import REAL_SOPS, TOKEN, AgeIdentity, make_identity, make_record

CREDENTIAL = "state/credentials/acme-us.sops.yaml"
APP = "state/apps/acme.sops.yaml"
RULES = ("all", "partial", "maconly", "suffix")
TYPES_DOC = """\
s_text: "héllo 日本 🎉 \\"quoted\\" and\\nnewline"
s_int: 42
s_neg: -7
s_float: 3.25
s_big: 1.0e+300
s_small: 1.5e-10
s_whole: 2.0
s_bool: true
s_false: false
s_empty: ""
s_null: null
s_list: [1, "two", 3.5, false, [nested, 2], {k: v}]
s_map: {inner: {deep: value}, n: 1}
plain_yes: yes
plain_time: 2026-11-28T02:00:00Z
plain_octal: 0777
plain_hex: 0x1F
plain_colon: 1:30
plain_int: 12
plain_plain: 7
"""


def sops_config(first: str, second: str) -> str:
    """spprov's rule (two recipients) and one rule per encryption option sops records."""
    both = f"{first},{second}"
    return (
        "creation_rules:\n"
        "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        f"    encrypted_regex: ^(refresh_token|client_secret)$\n    age: {both}\n"
        f"  - path_regex: ^all/\n    age: {both}\n"
        f"  - path_regex: ^partial/\n    encrypted_regex: ^s_\n    age: {first}\n"
        "  - path_regex: ^maconly/\n    encrypted_regex: ^s_\n    mac_only_encrypted: true\n"
        f"    age: {first}\n"
        f"  - path_regex: ^suffix/\n    unencrypted_suffix: _plain\n    age: {first}\n"
    )


@dataclass
class Corpus:
    """A repository of sops-written files and the identities that open them."""

    repo: Path
    first: AgeIdentity
    second: AgeIdentity
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        """An environment where sops finds only the identities given in ``extra``."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "SPPROV_"))}
        return {**base, "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"),
                **extra}

    def encrypt(self, relative: str, plaintext: str) -> Path:
        done = subprocess.run([str(REAL_SOPS), "encrypt", "--filename-override", relative],
                              cwd=self.repo, input=plaintext.encode(), capture_output=True,
                              env=self.env(SOPS_AGE_KEY_FILE=str(self.first.path)),
                              check=True)
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(done.stdout)
        return path

    def files(self) -> list[Path]:
        return sorted(p for p in self.repo.rglob("*.yaml")
                      if ".git" not in p.parts and p.name != ".sops.yaml")


def sops_decrypt(path: Path, env: dict[str, str]) -> Any:
    """What `sops decrypt` returns, or None when it refuses."""
    done = subprocess.run([str(REAL_SOPS), "decrypt", "--output-type", "json", str(path)],
                          capture_output=True, env=env, check=False)
    return json.loads(done.stdout) if done.returncode == 0 else None


def reader_decrypt(path: Path, env: dict[str, str]) -> Any:
    """What the reader returns, or None when it refuses (always with a SopsError)."""
    try:
        return SopsReader(env).read(path, path.name)
    except SopsError:
        return None


def same(value: Any) -> Any:
    """A value with its JSON-visible type: sops prints 2.0 as 2, True is not 1."""
    if isinstance(value, bool) or value is None:
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", Decimal(repr(value)) if isinstance(value, float) else Decimal(value))
    if isinstance(value, dict):
        return ("map", [(key, same(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [same(item) for item in value])
    return ("str", value)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("corpus")
    first = make_identity(root / "keys" / "first.txt")
    second = make_identity(root / "keys" / "second.txt")
    repo = root / "repo"
    repo.mkdir()
    (root / "home").mkdir()
    (repo / ".sops.yaml").write_text(sops_config(first.recipient, second.recipient))
    corpus = Corpus(repo, first, second, root / "home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in corpus.env(SOPS_AGE_KEY_FILE=str(first.path)).items():
            patch.setenv(name, value)
        store = StateStore(repo, repo / "state", os.environ)
        store.writer.write(make_record(description="Ünïcode — 日本"), Secret(TOKEN))
        store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.secret"), datetime.now(UTC))
    for rule in RULES:
        corpus.encrypt(f"{rule}/types.yaml", TYPES_DOC)
        corpus.encrypt(f"{rule}/crlf.yaml", TYPES_DOC.replace("\n", "\r\n"))
    crlf = repo / "state/credentials/crlf.sops.yaml"
    crlf.write_bytes((repo / CREDENTIAL).read_bytes().replace(b"\n", b"\r\n"))
    yield corpus


def test_the_reader_returns_what_sops_decrypt_returns_for_every_file(corpus: Corpus) -> None:
    env = corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))
    files = corpus.files()
    assert len(files) == 3 + 2 * len(RULES)
    for path in files:
        expected = sops_decrypt(path, env)
        assert expected is not None, path
        assert same(reader_decrypt(path, env)) == same(expected), path
    state = reader_decrypt(corpus.repo / CREDENTIAL, env)
    assert state["refresh_token"] == TOKEN and state["description"] == "Ünïcode — 日本"


@pytest.mark.parametrize("source", ["SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY", "keys.txt"])
def test_any_recipient_opens_the_file_from_any_identity_source(corpus: Corpus,
                                                               source: str) -> None:
    key = next(line for line in corpus.second.path.read_text().splitlines()
               if line.startswith("AGE-SECRET-KEY-"))
    env = {"SOPS_AGE_KEY_FILE": {"SOPS_AGE_KEY_FILE": str(corpus.second.path)},
           "SOPS_AGE_KEY": {"SOPS_AGE_KEY": key}, "keys.txt": {}}[source]
    home = corpus.repo.parent / f"home-{source}"
    if source == "keys.txt":
        make_identity(home / ".config" / "sops" / "age" / "keys.txt")
        (home / ".config/sops/age/keys.txt").write_text(f"# second\n{key}\n")
    full = {**corpus.env(**env), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    for relative in (CREDENTIAL, APP, "all/types.yaml"):
        path = corpus.repo / relative
        assert reader_decrypt(path, full) == sops_decrypt(path, full) != None  # noqa: E711


def test_a_file_for_other_recipients_is_refused_by_both_in_sops_words(corpus: Corpus,
                                                                       tmp_path: Path) -> None:
    stranger = make_identity(tmp_path / "stranger.txt")
    env = corpus.env(SOPS_AGE_KEY_FILE=str(stranger.path))
    path = corpus.repo / CREDENTIAL
    assert sops_decrypt(path, env) is None
    with pytest.raises(SopsError, match=re.escape(
            "cannot decrypt acme-us.sops.yaml: none of your age identities is one of its "
            "recipients; ask someone who can decrypt it to add your recipient to .sops.yaml "
            "and run `spprov rekey`")):
        SopsReader(env).read(path, "acme-us.sops.yaml")
    with pytest.raises(SopsError, match=re.escape(
            "cannot decrypt acme-us.sops.yaml: no age identity available (set "
            "SOPS_AGE_KEY_FILE or run `spprov init`)")):
        SopsReader(corpus.env()).read(path, "acme-us.sops.yaml")


def _first_char(text: str, marker: str) -> str:
    """``text`` with the first base64 character after ``marker`` replaced."""
    at = text.index(marker) + len(marker)
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1:]


def _swap_stanza(text: str, other: str) -> str:
    block = re.compile(r"    age:\n(?:        .*\n|          .*\n)+")
    found = block.search(other)
    assert found is not None
    return block.sub(lambda _: found.group(0), text, count=1)


Tamper = Callable[[str, str], str]
TAMPERINGS: dict[str, Tamper] = {
    "value": lambda text, _: _first_char(text, "refresh_token: ENC[AES256_GCM,data:"),
    "iv": lambda text, _: _first_char(text.replace("refresh_token: ENC", "RT", 1), ",iv:")
    .replace("RT", "refresh_token: ENC", 1),
    "tag": lambda text, _: _first_char(text, ",tag:"),
    "mac": lambda text, _: _first_char(text, "mac: ENC[AES256_GCM,data:"),
    "lastmodified": lambda text, _: re.sub(r'(lastmodified: "\d{4})', r"\g<1>1", text),
    "readable field": lambda text, _: text.replace("app: acme", "app: acmf", 1),
    "swapped stanza": _swap_stanza,
    "truncated": lambda text, _: text[: len(text) // 2],
    "no mac": lambda text, _: re.sub(r"    mac: .*\n", "", text),
    "no sops block": lambda text, _: text[: text.index("sops:")],
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_a_tampered_file_is_refused_by_both(corpus: Corpus, tmp_path: Path, how: str) -> None:
    env = corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))
    original = (corpus.repo / CREDENTIAL).read_text()
    tampered = TAMPERINGS[how](original, (corpus.repo / APP).read_text())
    assert tampered != original
    path = tmp_path / "acme-us.sops.yaml"
    path.write_text(tampered)
    assert sops_decrypt(path, env) is None
    with pytest.raises(SopsError) as refused:
        SopsReader(env).read(path, "acme-us.sops.yaml")
    if how not in ("truncated", "no sops block"):
        assert str(refused.value) == mac_mismatch("acme-us.sops.yaml")


def test_files_for_other_key_types_are_refused_in_one_line(corpus: Corpus,
                                                           tmp_path: Path) -> None:
    text = (corpus.repo / CREDENTIAL).read_text().replace(
        "    lastmodified:", "    kms:\n        - arn: arn:aws:kms:us-east-1:1:key/x\n"
        "          enc: AQICAH\n    lastmodified:")
    path = tmp_path / "acme-us.sops.yaml"
    path.write_text(text)
    with pytest.raises(SopsError) as refused:
        SopsReader(corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))).read(path, "f.yaml")
    assert str(refused.value) == (
        "f.yaml: encrypted for kms keys that the .sops.yaml rule for it does not name; "
        "spprov reads such files only when .sops.yaml uses those key types; restore the "
        "file from Git or re-encrypt it for age")


def test_duplicate_keys_are_refused_as_sops_refuses_them(corpus: Corpus, tmp_path: Path) -> None:
    env = corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))
    text = (corpus.repo / CREDENTIAL).read_text()
    path = tmp_path / "acme-us.sops.yaml"
    path.write_text(text.replace("app: acme\n", "app: acme\napp: evil\n", 1))
    assert sops_decrypt(path, env) is None
    with pytest.raises(SopsError, match=re.escape(
            "f.yaml: not valid YAML (line 4: key 'app' appears twice); restore it from Git")):
        SopsReader(env).read(path, "f.yaml")


# -- generated documents -------------------------------------------------------------------

_KEYS = st.text(st.characters(categories=("L", "N"), include_characters="_-"),
                min_size=1, max_size=6)
_TEXT = st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs"),
                              include_characters="\n\t"), max_size=12)
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
            | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
            | st.sampled_from(["yes", "on", "1:30", "0777", "0x1F", "2026-11-28", "~", ""]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=8)


@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4),
                          min_size=6, max_size=6),
       rule=st.sampled_from(RULES))
def test_generated_documents_read_the_same(corpus: Corpus, documents: list[dict[str, Any]],
                                           rule: str) -> None:
    # Six documents per sops file: the sops processes, not the examples, cost the time.
    plaintext = yaml.safe_dump({f"s_{i}": doc for i, doc in enumerate(documents)},
                               allow_unicode=True, sort_keys=False)
    path = corpus.encrypt(f"{rule}/generated.yaml", plaintext)
    env = corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))
    expected = sops_decrypt(path, env)
    assert expected is not None
    assert same(reader_decrypt(path, env)) == same(expected)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(0, 1, exclude_max=True), byte=st.integers(0, 255))
def test_any_changed_byte_is_refused_or_changes_nothing_sops_protects(
        corpus: Corpus, tmp_path: Path, where: float, byte: int) -> None:
    """sops's MAC covers values, not key names: a changed byte either makes the reader
    refuse or leaves every value (and the secret) as written."""
    original = (corpus.repo / CREDENTIAL).read_bytes()
    at = int(where * len(original))
    path = tmp_path / "acme-us.sops.yaml"
    path.write_bytes(original[:at] + bytes([byte]) + original[at + 1:])
    env = corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))
    read = reader_decrypt(path, env)
    if read is not None:
        expected = reader_decrypt(corpus.repo / CREDENTIAL, env)
        assert [same(v) for v in read.values()] == [same(v) for v in expected.values()]


@pytest.mark.parametrize(("value", "text"), [
    (1.0, "1"), (-0.0, "-0"), (2.5, "2.5"), (1e300, "1" + "0" * 300), (1.5e-10, "0.00000000015"),
    (0.1, "0.1"), (123456789.125, "123456789.125")])
def test_floats_are_hashed_as_go_prints_them(value: float, text: str) -> None:
    assert go_float(value) == text


@pytest.mark.parametrize(("text", "reason"), [
    ("a: &x [1, 2]\nb: *x\nsops: {}\n", "an alias (*name): spprov does not write anchors"),
    ("a: " + "[" * 70 + "]" * 70 + "\nsops: {}\n", "nesting deeper than 64 levels"),
    ("a: !!binary aGk=\nsops: {}\n", "line 1: explicit tag tag:yaml.org,2002:binary"),
    ("a: [1\nsops: {}\n", "line 2: "),
])
def test_hostile_yaml_is_one_line_before_any_work_grows(corpus: Corpus, tmp_path: Path,
                                                        text: str, reason: str) -> None:
    path = tmp_path / "f.sops.yaml"
    path.write_text(text)
    with pytest.raises(SopsError) as refused:
        SopsReader(corpus.env(SOPS_AGE_KEY_FILE=str(corpus.first.path))).read(path, "f")
    message = str(refused.value)
    assert message.startswith("f: not valid YAML (") and reason in message
    assert "\n" not in message
