"""Reading SOPS YAML files in-process: what ``sops decrypt`` does, without a sops process.

A sops process costs about 20 ms of CPU per file; this reader about 0.2 ms, which is what
makes `verify` and the drift checks of 10,000 credentials take seconds. It reads the files
spprov writes (age recipients, one YAML document) and checks them as sops does:

1. the 32-byte data key is unwrapped from an ``sops.age`` stanza by one of the person's
   identities (``spprov.state.agekeys.load_keyring``: the sources sops reads);
2. each value the file's own rule (``encrypted_regex`` ...) says is encrypted is opened
   with AES-256-GCM (32-byte IV, the value's path ``a:b:`` as additional data);
3. SHA-512 over every value in document order, as sops renders them, must equal the
   decrypted ``sops.mac`` (whose additional data is ``sops.lastmodified``).

Anything else (comment rules, unknown value types) is refused. A file for other key types
(KMS, PGP, ...) is refused too unless the repository's `.sops.yaml` uses them (the store
then hands it to the binary, ``TrustRoot.configures``): the reader never contacts a key
service named only in a file. The sops binary stays the only writer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyrage
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from spprov.errors import SopsError
from spprov.repofiles import NotRegularFileError, read_regular
from spprov.state import sops as messages
from spprov.state.agekeys import AskPassphrase, Keyring, load_keyring
from spprov.state.sopsyaml import YamlValueError, go_time, load_all
from spprov.yamlfile import PlainYamlError, plain_error_line

DATA_KEY_BYTES = 32
IV_BYTES = 32
TAG_BYTES = 16
OTHER_KEY_TYPES = ("kms", "pgp", "gcp_kms", "azure_kv", "hc_vault", "key_groups")
UNSUPPORTED_RULES = ("encrypted_comment_regex", "unencrypted_comment_regex", "shamir_threshold")
# sops.go MACOnlyEncryptedInitialization: hashed first when mac_only_encrypted is set.
MAC_ONLY_ENCRYPTED_PREFIX = bytes.fromhex(
    "8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69")
_ENC = re.compile(r"ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),"
                  r"tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]\Z")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")
_GO_ATOI = re.compile(r"[-+]?[0-9]+\Z")
_GO_BOOL = {**dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
            **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False)}


class DelegateToSops(Exception):  # noqa: N818 - a signal to the store, not an error text
    """None of the reader's identities opens the file, but sops may (a key command, SSH)."""


class Refused(SopsError):
    """A file the reader will not trust; the message is the one line users see."""


class OtherKeyTypes(Refused):
    """A file encrypted for key types the reader does not open (KMS, PGP, ...)."""

    def __init__(self, message: str, key_types: list[str]) -> None:
        super().__init__(message)
        self.key_types = key_types


@dataclass(frozen=True)
class Rules:
    """Which values are encrypted and which the MAC covers, from the file's metadata."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: re.Pattern[str] | None = None
    encrypted_regex: re.Pattern[str] | None = None
    mac_only_encrypted: bool = False

    def encrypts(self, path: list[str]) -> bool:
        """sops.go shouldBeEncrypted, for values (comments are not read)."""
        encrypted = True
        if self.unencrypted_suffix and any(k.endswith(self.unencrypted_suffix) for k in path):
            encrypted = False
        if self.encrypted_suffix:
            encrypted = any(k.endswith(self.encrypted_suffix) for k in path)
        if self.unencrypted_regex and any(self.unencrypted_regex.search(k) for k in path):
            encrypted = False
        if self.encrypted_regex:
            encrypted = any(self.encrypted_regex.search(k) for k in path)
        return encrypted


# A state file is a few hundred bytes; a larger one (or /dev/zero) is not read whole.
MAX_FILE_BYTES = 1024 * 1024


class SopsReader:
    """Decrypts and verifies SOPS YAML files with the person's age identities; thread-safe."""

    def __init__(self, environ: Mapping[str, str], ask: AskPassphrase | None = None) -> None:
        self._environ = environ  # read at the first decryption, not before
        self._ask = ask  # for a passphrase-protected identity file
        self._keyring: Keyring | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "SopsReader()"

    def keyring(self) -> Keyring:
        """The identities, loaded once."""
        with self._lock:
            if self._keyring is None:
                self._keyring = load_keyring(self._environ, self._ask)
            return self._keyring

    def read(self, path: Path, file: str) -> dict[str, Any]:
        """The decrypted document at ``path`` (``file`` names it in messages)."""
        try:
            data = read_regular(path, MAX_FILE_BYTES)
            if len(data) > MAX_FILE_BYTES:
                raise Refused(f"{file}: larger than {MAX_FILE_BYTES} bytes; not a state file")
            text = data.decode("utf-8")
        except NotRegularFileError as exc:
            raise Refused(exc.message(file)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"{file}: cannot read ({exc})") from None
        return self.decrypt_text(text, file)

    def decrypt_text(self, text: str, file: str) -> dict[str, Any]:
        """The decrypted document in ``text``, its MAC verified."""
        document = _parse(text, file)
        metadata = document.pop("sops")
        rules = _rules(metadata, file)
        key = AESGCM(self._data_key(metadata, file))
        walk = _Walk(key, rules, file)
        values = walk.branch(document, [])
        if _stored_mac(metadata, key, file) != walk.hexdigest():
            raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH)
        return values

    def _data_key(self, metadata: dict[str, Any], file: str) -> bytes:
        keyring = self.keyring()
        stanzas = _age_stanzas(metadata, file)
        # Stanzas naming one of our recipients first; the others are tried too, as sops does.
        stanzas.sort(key=lambda stanza: stanza[0] not in keyring.recipients)
        if keyring.identities:
            for _, armored in stanzas:
                try:
                    key = pyrage.decrypt(armored.encode(), list(keyring.identities))
                except Exception:  # noqa: BLE001, S112 - pyrage's errors: try the next stanza
                    continue
                if len(key) != DATA_KEY_BYTES:
                    raise _not_spprov(file, "its data key is not 32 bytes")
                return bytes(key)
        if keyring.delegated:
            raise DelegateToSops(file)
        if not keyring.identities:
            raise Refused(messages.no_identity(file), messages.EXIT_NO_DATA_KEY)
        raise Refused(messages.not_a_recipient(file), messages.EXIT_NO_DATA_KEY)


class _Walk:
    """Decrypts a tree in document order and hashes every value as sops.go ToBytes does."""

    def __init__(self, key: AESGCM, rules: Rules, file: str) -> None:
        self._key = key
        self._rules = rules
        self._file = file
        self._hash = hashlib.sha512()
        if rules.mac_only_encrypted:
            self._hash.update(MAC_ONLY_ENCRYPTED_PREFIX)

    def hexdigest(self) -> str:
        return self._hash.hexdigest().upper()

    def branch(self, mapping: dict[str, Any], path: list[str]) -> dict[str, Any]:
        return {key: self.value(value, [*path, key]) for key, value in mapping.items()}

    def value(self, value: Any, path: list[str]) -> Any:
        if value is None:
            return None
        if isinstance(value, dict):
            return self.branch(value, path)
        if isinstance(value, list):
            return [self.value(item, path) for item in value]
        if not isinstance(value, str | int | float):  # bool is an int
            raise _not_spprov(self._file, f"{':'.join(path)} holds a {type(value).__name__}")
        encrypted = self._rules.encrypts(path)
        if encrypted:
            value = self._decrypt(value, path)
        if encrypted or not self._rules.mac_only_encrypted:
            self._hash.update(value_bytes(value))
        return value

    def _decrypt(self, value: object, path: list[str]) -> Any:
        where = ":".join(path)
        if not isinstance(value, str):
            raise _not_spprov(self._file, f"{where} should be encrypted but is not")
        if value == "":
            return ""
        return decrypt_value(self._key, value, where + ":", self._file)


def decrypt_value(key: AESGCM, value: str, aad: str, file: str) -> Any:
    """One ``ENC[AES256_GCM,...]`` value, typed as its ``type:`` says (aes/cipher.go)."""
    match = _ENC.match(value)
    if match is None:
        raise _not_spprov(file, f"{aad.rstrip(':')} is not a sops-encrypted value")
    try:
        data, iv, tag = (base64.b64decode(part, validate=True) for part in match.groups()[:3])
    except binascii.Error:
        raise _not_spprov(file, f"{aad.rstrip(':')} is not valid base64") from None
    if len(iv) != IV_BYTES or len(tag) != TAG_BYTES:
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH)
    try:
        plain = key.decrypt(iv, data + tag, aad.encode())
    except InvalidTag:
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH) from None
    return _typed(plain, match.group(4), aad, file)


def _typed(plain: bytes, kind: str, aad: str, file: str) -> Any:
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_spprov(file, f"{aad.rstrip(':')} is not UTF-8 text") from None
    if kind == "str":
        return text
    if kind == "int" and _GO_ATOI.match(text):
        return int(text)
    if kind == "float" and _is_go_float(text):
        return float(text)
    if kind == "bool" and text in _GO_BOOL:
        return _GO_BOOL[text]
    if kind == "time" and go_time(text, rfc3339_only=True) is not None:
        return go_time(text, rfc3339_only=True)
    raise _not_spprov(file, f"{aad.rstrip(':')} has type {kind} with a value spprov "
                      "does not read")


def _is_go_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text and text.strip() == text


def value_bytes(value: str | int | float) -> bytes:
    """sops.go ToBytes: UTF-8 text, decimal ints, ``True``/``False``, Go's shortest float."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):
        return b"True" if value else b"False"
    if isinstance(value, int):
        return str(value).encode()
    return go_float(value).encode()


def go_float(value: float) -> str:
    """strconv.FormatFloat(value, 'f', -1, 64): shortest round-trip digits, no exponent."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return format(Decimal(repr(value)).normalize(), "f")


def _parse(text: str, file: str) -> dict[str, Any]:
    try:
        documents = load_all(text)
    except PlainYamlError as exc:
        raise Refused(messages.not_yaml(file, plain_error_line(exc) or "")) from None
    except YamlValueError as exc:
        raise Refused(messages.not_yaml(file, str(exc))) from None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        if documents and all(isinstance(d, dict) and "sops" in d for d in documents):
            raise _not_spprov(file, "it holds more than one YAML document")
        raise Refused(messages.not_sops(file))
    if not isinstance(documents[0].get("sops"), dict):
        raise Refused(messages.not_sops(file))
    return documents[0]


def _rules(metadata: dict[str, Any], file: str) -> Rules:
    other = [name for name in OTHER_KEY_TYPES if metadata.get(name)]
    if other:
        raise OtherKeyTypes(f"{file}: encrypted for {', '.join(other)} keys that the "
                            ".sops.yaml rule for it does not name; spprov reads such files "
                            "only when .sops.yaml uses those key types; restore the file "
                            "from Git or re-encrypt it for age", other)
    unsupported = [name for name in UNSUPPORTED_RULES if metadata.get(name)]
    if unsupported:
        raise _not_spprov(file, f"its sops block uses {', '.join(unsupported)}")
    texts = {name: metadata.get(name) or "" for name in
             ("unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex")}
    if not all(isinstance(value, str) for value in texts.values()):
        raise _not_spprov(file, "its encryption rule is not text")
    try:
        return Rules(texts["unencrypted_suffix"], texts["encrypted_suffix"],
                     _compiled(texts["unencrypted_regex"]), _compiled(texts["encrypted_regex"]),
                     metadata.get("mac_only_encrypted") is True)
    except re.error:
        raise _not_spprov(file, "its encryption rule is not a valid regular expression") from None


def _compiled(pattern: str) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _age_stanzas(metadata: dict[str, Any], file: str) -> list[tuple[str, str]]:
    entries = metadata.get("age")
    if not isinstance(entries, list) or not entries:
        raise _not_spprov(file, "it has no age recipients")
    stanzas = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("recipient"), str)
                and isinstance(entry.get("enc"), str)):
            raise _not_spprov(file, "an age entry is not a recipient and its encrypted key")
        stanzas.append((entry["recipient"], entry["enc"]))
    return stanzas


def _stored_mac(metadata: dict[str, Any], key: AESGCM, file: str) -> str:
    """The decrypted ``sops.mac``; its additional data is ``lastmodified`` as Go prints it."""
    mac = metadata.get("mac")
    modified = metadata.get("lastmodified")
    if not isinstance(mac, str) or not mac or not isinstance(modified, str):
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_NOT_FOUND)
    stored = decrypt_value(key, mac, _go_rfc3339(modified, file), file)
    if not isinstance(stored, str):
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH)
    return stored


def _go_rfc3339(text: str, file: str) -> str:
    """time.Parse then Format(time.RFC3339): fractions dropped, a zero offset written Z."""
    if not _RFC3339.match(text):
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(messages.mac_mismatch(file), messages.EXIT_MAC_MISMATCH) from None
    offset = moment.utcoffset()
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if not offset:
        return stamp + "Z"
    return stamp + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


def _not_spprov(file: str, why: str) -> Refused:
    return Refused(f"{file}: not a state file as spprov writes it ({why}); restore it from "
                   f"Git (`git checkout -- {file}`) and let spprov write it")
