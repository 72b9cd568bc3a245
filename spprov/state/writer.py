"""How one state file is written with the sops binary: encrypted whole, edited field by
field, moved or re-keyed, and each result checked against the trusted rule before it
replaces anything.

The store (``spprov.state.store``) decides when: it holds the repository lock and checks
that files are regular files. This module decides how, for one file at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from spprov.repofiles import read_regular
from spprov.secret import Secret
from spprov.state import statefile, trust
from spprov.state.keyring import MAX_STATE_BYTES, Keyring
from spprov.state.lock import commit, copy_beside, write_atomically
from spprov.state.sops import Sops
from spprov.state.statefile import OPTIONAL_KEYS

_MISSING: Any = object()
Edits = list[tuple[str, Secret | None]]  # (key, new JSON value, or None to remove it)


class StateWriter:
    """Writes state files through sops for the keys ``.sops.yaml`` trusts."""

    def __init__(self, sops: Sops, keyring: Keyring, display: Callable[[Path], str]) -> None:
        self.sops = sops
        self.keyring = keyring
        self.display = display

    def create(self, path: Path, fields: Mapping[str, object]) -> None:
        """A whole new file (new data key) replacing ``path`` atomically, checked first."""
        write_atomically(path, self._encrypted(path, fields))

    def check_encryptable(self, path: Path, fields: Mapping[str, object]) -> None:
        """Everything ``create`` does with ``fields`` except the write: the rule, sops's
        encryption and the check of its result. Nothing is written."""
        self._encrypted(path, fields)

    def _encrypted(self, path: Path, fields: Mapping[str, object]) -> bytes:
        rule = self.keyring.rule_for(path)
        ciphertext = self.sops.encrypt_new(path, Secret(statefile.dump(fields)),
                                           rule.flags, trust.ENCRYPTED_REGEX)
        trust.check_written(ciphertext.decode("utf-8", errors="replace"), rule,
                            self.display(path))
        return ciphertext

    def update(self, path: Path, wanted: Mapping[str, object]) -> bool:
        """Set the readable fields that differ in a temporary copy; replace the file only
        if a byte changed. The secret keeps its ciphertext."""
        original = read_regular(path, MAX_STATE_BYTES)
        edits = _field_edits(original, wanted)
        if not edits:
            return False
        _, rule = self.keyring.guard(path)
        temp = copy_beside(path)
        try:
            self._apply(temp, path, edits)
            if temp.read_bytes() == original:
                return False
            trust.check_written(temp.read_text(encoding="utf-8"), rule, self.display(path))
            commit(temp, path)
            return True
        finally:
            temp.unlink(missing_ok=True)

    def copy_to(self, source: Path, target: Path, fields: Mapping[str, object]) -> None:
        """Write ``source`` with its readable fields set to ``fields`` as ``target``."""
        temp = copy_beside(source)
        try:
            self._apply(temp, target,
                        _field_edits(read_regular(temp, MAX_STATE_BYTES), fields))
            commit(temp, target)
        finally:
            temp.unlink(missing_ok=True)

    def rekey(self, path: Path) -> str:
        """Re-encrypt the file for the trusted recipients: ``unchanged``, ``rekeyed``, or
        ``rekeyed with a new data key`` when a recipient was removed."""
        keys, rule = self.keyring.guard(path)
        removed = any(keys.keys[service] - rule.keys.get(service, frozenset())
                      for service in keys.services)
        temp = copy_beside(path)
        try:
            if removed:  # new data key first, while this identity can still open it
                self.sops.rotate(temp, name_as=path)
            changed = self.sops.updatekeys(temp, name_as=path) or removed
            if not changed:
                return "unchanged"
            trust.check_written(temp.read_text(encoding="utf-8"), rule, self.display(path))
            commit(temp, path)
            return "rekeyed with a new data key" if removed else "rekeyed"
        finally:
            temp.unlink(missing_ok=True)

    def _apply(self, temp: Path, path: Path, edits: Edits) -> None:
        for key, value in edits:
            if value is None:
                self.sops.unset_value(temp, [key], name_as=path)
            else:
                self.sops.set_value(temp, [key], value, name_as=path)


def _field_edits(current_file: bytes, wanted: Mapping[str, object]) -> Edits:
    """(key, new JSON value or None to remove) for each readable field that differs."""
    try:
        current = statefile.readable_fields(current_file.decode("utf-8"))
    except Exception:  # noqa: BLE001 - unreadable: rewrite every field, sops checks the MAC
        current = {}
    edits: Edits = [(key, Secret(json.dumps(value))) for key, value in wanted.items()
                    if current.get(key, _MISSING) != value]
    edits += [(key, None) for key in OPTIONAL_KEYS if key in current and key not in wanted]
    return edits
