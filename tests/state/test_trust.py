"""spprov.state.trust: the rule .sops.yaml trusts, and a file's keys read without decrypting."""

from __future__ import annotations

import os
import re

import pytest

from spprov.errors import SpprovError, StateError
from spprov.state.trust import TrustRoot, file_keys, key_changes, key_problems

AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_ARN = "arn:aws:kms:us-east-1:444455556666:key/ffffffff-12ab-34cd-56ef-1234567890ab"
PATH = "state/credentials/acme-us.sops.yaml"


def rule_text(extra: str = "") -> str:
    return ("creation_rules:\n  - path_regex: ^state/\n"
            f"    kms: {ARN}+arn:aws:iam::111122223333:role/sops\n    age: {AGE}\n{extra}")


def state_text(arn: str, recipient: str = AGE,
               token: str = "ENC[AES256_GCM,data:x]") -> str:  # noqa: S107 - ciphertext
    return (f"format: 2\nrefresh_token: {token}\nsops:\n"
            f"    kms:\n        - arn: {arn}\n          enc: x\n"
            f"    age:\n        - recipient: {recipient}\n          enc: x\n")


def test_a_rule_with_kms_and_age_is_trusted_as_written() -> None:
    rule = TrustRoot.from_text(rule_text()).rule_for(PATH)
    assert rule.keys == {"kms": {ARN}, "age": {AGE}}
    assert rule.flags == ("--age", AGE, "--kms", f"{ARN}+arn:aws:iam::111122223333:role/sops")
    assert key_problems(file_keys(state_text(ARN)), rule) == []
    assert key_problems(file_keys(state_text(OTHER_ARN)), rule) == [
        f"not encrypted for kms key {ARN} of .sops.yaml",
        f"encrypted for kms key {OTHER_ARN}, which .sops.yaml does not name"]
    changes = key_changes([(file_keys(state_text(OTHER_ARN)), rule)])
    assert [(c.change, c.kind, c.value, c.files) for c in changes] == [
        ("add", "kms key", ARN, 1), ("remove", "kms key", OTHER_ARN, 1)]


def test_plaintext_secret_and_mac_only_encrypted_are_problems() -> None:
    rule = TrustRoot.from_text(rule_text()).rule_for(PATH)
    text = state_text(ARN, token="Atzr|plain") + "    mac_only_encrypted: true\n"
    assert key_problems(file_keys(text), rule) == [
        "refresh_token is not encrypted",
        "mac_only_encrypted is set: the readable fields are not covered by the MAC"]


@pytest.mark.parametrize(("value", "shown"), [
    (f"{AGE} {AGE}", f"'{AGE} {AGE[:62 - 58]}"),
    ("age1notakey", "'age1notakey'"),
    (f"|-\n      {AGE}\n      {AGE}", f"'{AGE}\\n"),
])
def test_a_bad_recipient_is_one_clear_line(value: str, shown: str) -> None:
    text = f"creation_rules:\n  - path_regex: ^state/\n    age: {value}\n"
    with pytest.raises(SpprovError) as caught:
        TrustRoot.from_text(text).rule_for(PATH)
    message = str(caught.value)
    assert message.startswith(".sops.yaml: creation rule 1: ")
    assert re.search(re.escape(shown), message), message
    assert "\n" not in message and message.endswith(
        "is not an age recipient (age1... as printed by age-keygen -y; one recipient per "
        "line, see `spprov keys add`)")


def test_one_key_group_is_read_as_the_rule_and_more_are_refused() -> None:
    one = f"creation_rules:\n  - path_regex: ^state/\n    key_groups:\n      - age: [{AGE}]\n"
    rule = TrustRoot.from_text(one).rule_for(PATH)
    assert (rule.recipients, rule.flags) == ({AGE}, ("--age", AGE))
    # sops ignores a rule's own keys when it has key groups; so does spprov.
    ignored = one.replace("    key_groups:", f"    kms: {ARN}\n    key_groups:")
    assert TrustRoot.from_text(ignored).rule_for(PATH).services == {"age"}
    two = one + f"      - age: [{AGE}]\n"
    with pytest.raises(StateError, match=re.escape(
            ".sops.yaml: creation rule 1 has 2 key_groups: spprov writes state for one group "
            "of keys (write them under one key group, or as the rule's own `age:` list)")):
        TrustRoot.from_text(two).rule_for(PATH)
    kms = one + f"        kms: [{{arn: {ARN}}}]\n"
    with pytest.raises(StateError, match=re.escape(
            ".sops.yaml: creation rule 1: its key group names kms: spprov reads age and pgp "
            "in a key group (write other keys in the rule itself)")):
        TrustRoot.from_text(kms).rule_for(PATH)


def test_missing_rules_are_refused() -> None:
    with pytest.raises(StateError, match=re.escape(
            f"no creation rule in .sops.yaml matches {PATH}: run `spprov init`")):
        TrustRoot.from_text("creation_rules:\n  - path_regex: ^other/\n    age: x\n"
                            ).rule_for(PATH)
    with pytest.raises(StateError, match=r"^\.sops\.yaml:3:1: not valid YAML"):
        TrustRoot.from_text("creation_rules:\n  - [\n")


def test_sops_sees_the_credentials_of_exactly_the_key_types_the_rule_uses(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from spprov import childenv
    from spprov.state.store import StateStore

    environ = {"PATH": "/usr/bin", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
               "VAULT_TOKEN": "hvs.example", "SOPS_AGE_KEY_FILE": "/k"}
    (tmp_path / ".sops.yaml").write_text(rule_text())
    store = StateStore(tmp_path, tmp_path / "state", os.environ)
    assert store.trust.root().key_types() == ("age", "kms")
    env = childenv.for_sops(environ, store.trust.root().key_types())
    assert env == {"PATH": "/usr/bin", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
                   "SOPS_AGE_KEY_FILE": "/k"}
    (tmp_path / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: ^state/\n    age: {AGE}\n")
    age_only = StateStore(tmp_path, tmp_path / "state", os.environ)
    assert childenv.for_sops(environ, age_only.trust.root().key_types()) == {
        "PATH": "/usr/bin", "SOPS_AGE_KEY_FILE": "/k"}


def test_configures_answers_for_the_rule_sops_would_pick() -> None:
    root = TrustRoot.from_text(
        "creation_rules:\n"
        "  - path_regex: ^state/credentials/eu-.*\n"
        "    kms: arn:aws:kms:eu-west-1:111122223333:key/k\n"
        "    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
        "  - path_regex: ^state/\n"
        "    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"
        "  - key_groups: [{pgp: [F0]}]\n")
    assert root.configures("state/credentials/eu-1.sops.yaml", ["kms"])
    assert not root.configures("state/credentials/eu-1.sops.yaml", ["kms", "hc_vault"])
    # The first matching rule decides, as in sops: a later rule's KMS key does not count.
    assert not root.configures("state/credentials/us-1.sops.yaml", ["kms"])
    assert root.configures("other/x.sops.yaml", ["key_groups"])
    assert not TrustRoot.from_text("creation_rules:\n  - path_regex: '('\n    kms: k\n"
                                   ).configures("state/x", ["kms"])
