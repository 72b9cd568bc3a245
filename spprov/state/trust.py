"""The trust root: ``.sops.yaml`` names who may read the state; a state file's own keys do not.

A state file's ``sops:`` block is written by whoever wrote the file, and a pull request can
forge one. So spprov reads the recipients it trusts from the repository's ``.sops.yaml``
(reviewed like code), compares every file's recipients with them without decrypting
anything, and refuses a key service (kms, hc_vault, ...) that only a file's metadata names,
before sops could contact it. Which fields are encrypted is spprov's decision, not
``.sops.yaml``'s: the secret fields always are (``ENCRYPTED_REGEX``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyrage import x25519

from spprov import yamlfile
from spprov.const import SOPS_CONFIG
from spprov.errors import SpprovError, StateError
from spprov.escape import excerpt
from spprov.model import KeyChange, TrustChange
from spprov.repofiles import NotRegularFileError, read_regular_text
from spprov.state.revision import Base
from spprov.state.sopsyaml import load_mapping

SECRET_KEYS = ("refresh_token", "client_secret")
ENCRYPTED_REGEX = "^(refresh_token|client_secret)$"
# Key types: creation rule field -> (name in a file's `sops:` block, sops encrypt flag).
RULE_SERVICES = {"age": ("age", "--age"), "pgp": ("pgp", "--pgp"), "kms": ("kms", "--kms"),
                 "gcp_kms": ("gcp_kms", "--gcp-kms"),
                 "azure_keyvault": ("azure_kv", "--azure-kv"),
                 "hc_vault_transit_uri": ("hc_vault", "--hc-vault-transit")}
FILE_SERVICES = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault")
# A file's key type -> the creation rule field that configures it.
_RULE_FIELDS = {service: field for field, (service, _) in RULE_SERVICES.items()} | {
    "key_groups": "key_groups"}
_SOPS_BLOCK = re.compile(r"^sops:", re.MULTILINE)
_NO_RULE = "run `spprov init` (or add a creation rule for it)"


@dataclass(frozen=True)
class TrustedRule:
    """The creation rule of ``.sops.yaml`` that matches a state file.

    ``keys`` maps each key type (by its name in a file's ``sops:`` block) to the keys of
    that type, each named as the file names it: the age recipient, a KMS key's ARN, a PGP
    fingerprint, a GCP resource ID, an Azure or Vault key URL.
    """

    index: int
    keys: Mapping[str, frozenset[str]]
    flags: tuple[str, ...]  # the sops encrypt arguments that name exactly these keys

    @property
    def recipients(self) -> frozenset[str]:
        """The age recipients."""
        return self.keys.get("age", frozenset())

    @property
    def services(self) -> frozenset[str]:
        """The key types the rule uses."""
        return frozenset(self.keys)


@dataclass(frozen=True)
class FileKeys:
    """What a state file's ``sops:`` block says about its keys (read without decrypting)."""

    keys: Mapping[str, frozenset[str]]
    encrypted: Mapping[str, bool]  # secret field -> its value is ENC[...]
    mac_only_encrypted: bool

    @property
    def recipients(self) -> frozenset[str]:
        """The age recipients."""
        return self.keys.get("age", frozenset())

    @property
    def services(self) -> frozenset[str]:
        """The key types named in the file."""
        return frozenset(self.keys)


MAX_CONFIG_BYTES = 1024 * 1024  # .sops.yaml is a few lines
RECIPIENT_EXCERPT_CHARS = 70  # an age recipient is 62


class TrustRoot:
    """The parsed ``.sops.yaml`` of one repository."""

    def __init__(self, rules: Sequence[Mapping[str, Any]],
                 settings: Mapping[str, Any] | None = None) -> None:
        self.rules = rules
        self.settings = settings or {}  # every top-level key but creation_rules
        self._compiled: dict[int, Any] = {}

    @classmethod
    def at(cls, repo_root: Path, base: Base | None = None) -> TrustRoot:
        """The trust root of the repository at ``repo_root``: the one way it is read.

        Without ``base``, from the working tree; with it (a pull request's review), from
        that Git revision only, never from the working tree. A missing ``.sops.yaml`` has
        no rules; a malformed one is one clear line.
        """
        text = pinned_text(repo_root, SOPS_CONFIG, MAX_CONFIG_BYTES, base)
        shown = SOPS_CONFIG if base is None else f"{base.ref}:{SOPS_CONFIG}"
        return cls([]) if text is None else cls.from_text(text, shown)

    @classmethod
    def from_text(cls, text: str, shown: str = SOPS_CONFIG) -> TrustRoot:
        """Parse the text of a ``.sops.yaml`` (``shown``: how messages name it)."""
        try:
            document = yamlfile.load_plain(text)
        except yamlfile.PlainYamlError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
            if isinstance(exc, yamlfile.LimitError):
                raise StateError(f"{shown}{where}: {exc.problem}") from None
            raise StateError(f"{shown}{where}: not valid YAML; fix it or run "
                             "`spprov init --force`") from None
        if not isinstance(document, dict):
            return cls([])
        rules = document.get("creation_rules")
        settings = {str(key): value for key, value in document.items()
                    if key != "creation_rules"}
        if not isinstance(rules, list):
            return cls([], settings)
        return cls([rule for rule in rules if isinstance(rule, dict)], settings)

    def key_types(self) -> tuple[str, ...]:
        """Every key type (as a state file's ``sops:`` block names it) a rule uses; age
        always, so that sops can find the person's identity."""
        found = {service for rule in self.rules
                 for field, (service, _) in RULE_SERVICES.items()
                 if _split(_fields_or_empty(rule).get(field))}
        return tuple(sorted(found | {"age"}))

    def rule_index(self, relative: str) -> int | None:
        """The first rule whose ``path_regex`` matches (sops's own choice), or None."""
        for index, rule in enumerate(self.rules):
            pattern = rule.get("path_regex")
            if pattern is None or self._path_regex(index, pattern).search(relative):
                return index
        return None

    def _path_regex(self, index: int, pattern: object) -> Any:
        if index not in self._compiled:
            self._compiled[index] = compile_path_regex(pattern, index)
        return self._compiled[index]

    def configures(self, relative: str, key_types: Iterable[str]) -> bool:
        """True when the rule sops would apply to ``relative`` uses every one of
        ``key_types`` (named as a file's ``sops:`` block names them: kms, hc_vault,
        key_groups, ...); False when it does not, or no valid rule matches."""
        try:
            index = self.rule_index(relative)
        except StateError:
            return False
        if index is None:
            return False
        rule = self.rules[index]
        return all(rule.get(_RULE_FIELDS.get(kind, "")) for kind in key_types)

    def rule_for(self, relative: str) -> TrustedRule:
        """The trusted keys for the state file at ``relative`` (repository-relative)."""
        index = self.rule_index(relative)
        if index is None:
            raise StateError(f"no creation rule in {SOPS_CONFIG} matches {relative}: {_NO_RULE}")
        where = f"{SOPS_CONFIG}: creation rule {index + 1}"
        fields = key_fields(self.rules[index], where)
        keys: dict[str, frozenset[str]] = {}
        flags: list[str] = []
        for field, (service, flag) in RULE_SERVICES.items():
            values = _split(fields.get(field))
            if field == "age":
                values = [check_recipient(value, where) for value in values]
            if values:
                keys[service] = frozenset(_key_id(service, value) for value in values)
                flags += [flag, ",".join(values)]
        if not keys:
            raise StateError(f"{where} names no key (age: ...): {_NO_RULE}")
        return TrustedRule(index, keys, tuple(flags))


# What a key group may hold for spprov: lists of age recipients and PGP fingerprints (sops's
# key groups spell KMS, GCP, Azure and Vault keys as mappings, which spprov does not read).
GROUP_FIELDS = ("age", "pgp")


def key_fields(rule: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """Where a rule's keys are written: the rule itself, or its one key group.

    sops ignores a rule's own keys when it has ``key_groups``, and shares the data key out
    among several groups (Shamir); spprov writes every state file for one set of keys, so a
    rule of one key group is read as that group, and more than one is refused.
    """
    groups = rule.get("key_groups")
    if not groups:
        return rule
    if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
        count = len(groups) if isinstance(groups, list) else "malformed"
        raise StateError(f"{where} has {count} key_groups: spprov writes state for one group "
                         "of keys (write them under one key group, or as the rule's own "
                         "`age:` list)")
    group = groups[0]
    other = sorted(str(key) for key in group if key not in GROUP_FIELDS)
    if other:
        raise StateError(f"{where}: its key group names {', '.join(other)}: spprov reads "
                         "age and pgp in a key group (write other keys in the rule itself)")
    return group


def _fields_or_empty(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        return key_fields(rule, "")
    except StateError:
        return {}


def pinned_text(repo_root: Path, relative: str, limit: int, base: Base | None = None,
                ) -> str | None:
    """A file that pins trust (``.sops.yaml``; a public key), as UTF-8 text, or None when
    there is none: from the working tree without ``base``, else from that revision only.

    Every file that pins trust is read through this function, so that a pull request's
    review never takes one from the pull request's own tree.
    """
    if base is not None:
        data = base.read(relative, limit)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise StateError(f"{base.ref}:{relative}: not UTF-8 text") from None
    try:
        return read_regular_text(repo_root / relative, limit)
    except FileNotFoundError:
        return None
    except NotRegularFileError as exc:
        raise StateError(exc.message(relative)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"{relative}: cannot read ({exc})") from None


MAX_PATH_REGEX_CHARS = 4096


def compile_path_regex(pattern: object, index: int) -> Any:
    """A rule's ``path_regex`` as sops reads it: Go's regexp syntax (RE2: ``\\z`` works,
    look-arounds and back-references do not), matched in time linear in the path, so a
    hostile pattern such as ``(a+)+$`` cannot make a CI job backtrack for hours."""
    import re2  # noqa: PLC0415 - only a command that matches paths pays for the import

    where = f"{SOPS_CONFIG}: creation rule {index + 1}: path_regex"
    if not isinstance(pattern, str):
        raise StateError(f"{where} is not text; write it in quotes")
    if len(pattern) > MAX_PATH_REGEX_CHARS:
        raise StateError(f"{where} has {len(pattern)} characters (at most "
                         f"{MAX_PATH_REGEX_CHARS})")
    options = re2.Options()
    options.log_errors = False  # RE2 would print the pattern to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(
            exc.args[0], bytes) else str(exc)
        raise StateError(f"{where} is not a regular expression sops reads "
                         f"({excerpt(reason, 60)}); sops uses Go's syntax") from None


def _split(value: object) -> list[str]:
    """A rule's keys: comma-separated text or a list; blanks dropped."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _key_id(service: str, value: str) -> str:
    """A rule's key as a file's ``sops:`` block names it (a KMS role suffix left out)."""
    return value.split("+", 1)[0] if service == "kms" else value.rstrip("/")


def parse_recipients(value: object, index: int = 0) -> list[str]:
    """The age recipients of a rule's ``age:`` value (comma-separated text or a list)."""
    return [check_recipient(text, f"{SOPS_CONFIG}: creation rule {index + 1}")
            for text in _split(value)]


def recipient_excerpt(text: str) -> str:
    """A would-be recipient quoted for a message: whole when short (62 characters), escaped,
    and nothing of it when it looks like a secret (an age identity pasted by mistake)."""
    return excerpt(text, RECIPIENT_EXCERPT_CHARS)


def check_recipient(text: str, where: str) -> str:
    """``text`` if it is an age recipient (age1 + bech32), else one clear line."""
    if text.startswith("age1") and len(text) == 62 and text.isalnum():
        try:
            return str(x25519.Recipient.from_str(text))
        except Exception:  # noqa: BLE001, S110 - pyrage raises its own types; refused below
            pass
    raise SpprovError(f"{where}: {recipient_excerpt(text)} is not an age "
                      "recipient (age1... as printed by age-keygen -y; one recipient per "
                      "line, see `spprov keys add`)")


def file_keys(text: str) -> FileKeys:
    """A state file's keys and which secret fields are encrypted; no decryption."""
    found = _SOPS_BLOCK.search(text)
    if found is None:
        raise ValueError("not a sops-encrypted file (no `sops` block)")
    return keys_of(load_mapping(text))


def keys_of(document: Mapping[str, Any]) -> FileKeys:
    """The keys of a parsed state file (see ``file_keys``)."""
    block = document.get("sops")
    if not isinstance(block, dict):
        raise ValueError("the `sops` block is not a mapping")
    keys: dict[str, set[str]] = {}
    for where, holder in _key_holders(block):
        for service in FILE_SERVICES:
            entries = holder.get(service)
            if not entries:
                continue
            if not isinstance(entries, list):
                raise ValueError(f"{where}{service} is not a list")
            keys.setdefault(service, set()).update(_entry_id(service, e) for e in entries)
    encrypted = {key: isinstance(document.get(key), str) and document[key].startswith("ENC[")
                 for key in SECRET_KEYS if key in document}
    return FileKeys({service: frozenset(ids) for service, ids in keys.items()}, encrypted,
                    block.get("mac_only_encrypted") is True)


def _key_holders(block: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Where a ``sops:`` block lists keys: at its top, and in each of its ``key_groups``
    (sops tries every one of them, so every one is held against the trusted rule)."""
    holders: list[tuple[str, Mapping[str, Any]]] = [("sops.", block)]
    groups = block.get("key_groups")
    if groups is None:
        return holders
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ValueError("sops.key_groups is not a list of key groups")
    return holders + [(f"sops.key_groups[{n}].", group) for n, group in enumerate(groups)]


def _entry_id(service: str, entry: object) -> str:
    """How a ``sops:`` block entry names its key (compared with ``_key_id`` of a rule)."""
    if not isinstance(entry, dict):
        return repr(entry)
    if service == "azure_kv":
        return f"{entry.get('vaultUrl')}/keys/{entry.get('name')}/{entry.get('version')}"
    if service == "hc_vault":
        return (f"{entry.get('vault_address')}/v1/{entry.get('engine_path')}/keys/"
                f"{entry.get('key_name')}")
    field = {"age": "recipient", "pgp": "fp", "kms": "arn", "gcp_kms": "resource_id"}[service]
    return str(entry.get(field))


def key_problems(keys: FileKeys, rule: TrustedRule) -> list[str]:
    """How a file's keys differ from the trusted rule, one phrase each (empty: they match)."""
    problems = [f"names key service {service}, which {SOPS_CONFIG} does not use"
                for service in sorted(keys.services - rule.services)]
    for service in sorted(rule.services):
        kind = _kind(service)
        have, want = keys.keys.get(service, frozenset()), rule.keys[service]
        problems += [f"not encrypted for {kind} {k} of {SOPS_CONFIG}" for k in sorted(want - have)]
        problems += [f"encrypted for {kind} {k}, which {SOPS_CONFIG} does not name"
                     for k in sorted(have - want)]
    problems += [f"{key} is not encrypted" for key, ok in keys.encrypted.items() if not ok]
    if keys.mac_only_encrypted:
        problems.append("mac_only_encrypted is set: the readable fields are not covered by "
                        "the MAC")
    return problems


def _kind(service: str) -> str:
    return "recipient" if service == "age" else f"{service} key"


def refuse_foreign_services(keys: FileKeys, rule: TrustedRule, display: str) -> None:
    """Raise before sops runs when the file names a key service the trusted rule does not."""
    foreign = sorted(keys.services - rule.services)
    if foreign:
        raise StateError(f"{display}: names key service {', '.join(foreign)}, which "
                         f"{SOPS_CONFIG} does not use; refused before contacting it (restore "
                         "the file from Git, or delete it and authorize again)")


def check_written(text: str, rule: TrustedRule, display: str) -> None:
    """After a write: every secret field is ENC[...], the recipients are exactly trusted."""
    try:
        keys = file_keys(text)
    except (ValueError, yamlfile.PlainYamlError):
        raise StateError(f"{display}: sops wrote no valid state file; nothing was "
                         "changed") from None
    problems = key_problems(keys, rule)
    if problems:
        raise StateError(f"{display}: the file as written would be {problems[0]}; the write "
                         "was undone (run `spprov rekey` or fix .sops.yaml)")


def key_changes(files: Iterable[tuple[FileKeys, TrustedRule]]) -> tuple[KeyChange, ...]:
    """Keys and key services where ``.sops.yaml`` differs from the state files."""
    added: dict[tuple[str, str], int] = {}
    removed: dict[tuple[str, str], int] = {}
    for keys, rule in files:
        for service in rule.services:
            have, want = keys.keys.get(service, frozenset()), rule.keys[service]
            for key in want - have:
                added[_kind(service), key] = added.get((_kind(service), key), 0) + 1
            for key in have - want:
                removed[_kind(service), key] = removed.get((_kind(service), key), 0) + 1
        for service in keys.services - rule.services:
            removed["key service", service] = removed.get(("key service", service), 0) + 1
    changes = [KeyChange("add", kind, key, n) for (kind, key), n in sorted(added.items())]
    changes += [KeyChange("remove", kind, key, n) for (kind, key), n in sorted(
        removed.items(), key=lambda item: (item[0][0] == "key service", item[0]))]
    return tuple(changes)


# -- what a pull request changes in the trust root ------------------------------------------
_KEY_FIELDS = frozenset(RULE_SERVICES)
_GROUP_SERVICES = {"age": "age", "pgp": "pgp", "kms": "kms", "gcp_kms": "gcp_kms",
                   "azure_keyvault": "azure_kv", "hc_vault": "hc_vault"}
ANY_PATH = "(every path)"


def trust_changes(base: TrustRoot, head: TrustRoot) -> tuple[TrustChange, ...]:
    """What ``head`` (the pull request's ``.sops.yaml``) adds to and removes from the
    trust root ``base``: recipients and keys per rule, the rules themselves (path and
    settings), and top-level settings; removals first, each group sorted."""
    before, after = _pins(base), _pins(head)
    removed = [TrustChange("remove", *pin) for pin in sorted(before - after)]
    added = [TrustChange("add", *pin) for pin in sorted(after - before)]
    return tuple(removed + added)


def _pins(root: TrustRoot) -> set[tuple[str, str, str]]:
    """Everything in a trust root that decides who can read or write state, as
    (kind, value, rule) triples; ``rule`` names the rule by its path_regex."""
    pins: set[tuple[str, str, str]] = set()
    for rule in root.rules:
        path = rule.get("path_regex")
        where = ANY_PATH if path is None else _canonical(path)
        settings = {key: value for key, value in rule.items()
                    if key not in _KEY_FIELDS and key != "key_groups"}
        if rule.get("key_groups"):
            settings["key_groups"] = f"{_count(rule['key_groups'])} group(s)"
        pins.add(("rule", ", ".join(f"{key}: {_canonical(value)}"
                                    for key, value in sorted(settings.items(), key=str))
                  or "path_regex: (none)", where))
        for field, (service, _) in RULE_SERVICES.items():
            for value in _split(rule.get(field)):
                pins.add(_key_pin(service, value, where))
        groups = rule.get("key_groups")
        for group in groups if isinstance(groups, list) else [groups] if groups else []:
            if not isinstance(group, dict):
                pins.add(("key service", f"key_groups entry {_canonical(group)}", where))
                continue
            for field, value in group.items():
                service = _GROUP_SERVICES.get(str(field), str(field))
                items = value if isinstance(value, list) else [value]
                for item in items:
                    pins.add(_key_pin(service, item if isinstance(item, str)
                                      else _canonical(item), where))
    for key, value in root.settings.items():
        pins.add(("setting", f"{key}: {_canonical(value)}", ""))
    return pins


def _key_pin(service: str, value: str, where: str) -> tuple[str, str, str]:
    if service == "age":
        return "recipient", value.strip(), where
    return "key service", f"{service} {value.strip()}", where


def _count(value: object) -> int:
    return len(value) if isinstance(value, list) else 1


def _canonical(value: object) -> str:
    """A setting's value on one line, the same for the same value."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
