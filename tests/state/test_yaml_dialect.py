"""spprov and sops read state files by one YAML dialect (yaml.v3's, YAML 1.2 core schema).

The real sops binary writes each file: from JSON when it is created, with ``sops set`` when a
readable field changes. What spprov reads back without sops, what the in-process reader
decrypts and the sops binary's own decryption must all be the text that was written.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spprov.secret import Secret
from spprov.state.sops import SopsRunner
from spprov.state.sopsyaml import load_mapping, resolve_plain
from spprov.state.store import StateStore
from tests.fixtures_state import TOKEN, make_record

# Storable text: what the schema lets a description be (no NUL, no lone surrogate, not
# ENC[...]); YAML 1.1 and 1.2 disagree on many of the shorter ones.
_TEXT = st.one_of(
    st.sampled_from(["=", "<<", "12e3", "0o17", "0x1F", "1_000", ".inf", "~", "null", "yes",
                     "on", "2001-12-14 21:59:43 -5", "2001-12-14", "!x", "&x", "*x", "%x",
                     "@x", "`x", "#x", "x  ", "1:30", "- x", "a: b"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1, max_size=30),
).filter(lambda text: not text.startswith("ENC["))
_SETTINGS = settings(max_examples=8, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(first=_TEXT, second=_TEXT)
def test_written_text_reads_back_the_same(store: StateStore, first: str, second: str) -> None:
    path = store.files.path_of("acme-us")
    store.writer.write(make_record(description=first, selling_partner_id=second), Secret(TOKEN))
    assert store.reader.read_record(path).description == first
    assert store.reader.read_record(path).selling_partner_id == second
    decrypted = store.reader.decrypt("acme-us")
    assert (decrypted.record.description, decrypted.record.selling_partner_id) == (first, second)
    sops = SopsRunner(store.files.repo_root, os.environ, store.trust)  # the binary's reading
    assert sops.decrypt(path)["description"] == first
    # The same fields again change no byte; another text is set with `sops set`.
    again = make_record(description=first, selling_partner_id=second)
    assert store.writer.write(again, None) is False
    store.writer.write(make_record(description=second, selling_partner_id=first), None)
    assert store.reader.read_record(path).description == second
    assert store.reader.decrypt("acme-us").record.description == second


def test_plain_scalars_are_typed_as_yaml_v3_types_them() -> None:
    assert [resolve_plain(text) for text in ("yes", "on", "=", "0o17", "1_000", "12e3")] == \
        ["yes", "on", "=", 15, 1000, 12000.0]
    assert load_mapping("a: !!merge <<\nb: '<<'\n") == {"a": "<<", "b": "<<"}
