"""The keys side of the state store: the trusted rule of each file, and each file's keys.

``.sops.yaml`` is read once per store; a file's keys are read from its ``sops:`` block
without decrypting (and remembered when ``records()`` already parsed the file, so a plan
parses each file once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from spprov.errors import StateError
from spprov.model import KeyChange
from spprov.repofiles import NotRegularFileError, read_regular_text
from spprov.state import statefile, trust

# A state file is a few hundred bytes; a larger one (or /dev/zero behind it) is refused.
MAX_STATE_BYTES = 1024 * 1024


class Keyring:
    """Trusted keys and file keys for one repository."""

    def __init__(self, repo_root: Path, display: Callable[[Path], str]) -> None:
        self.repo_root = repo_root
        self.display = display
        self._root: trust.TrustRoot | None = None
        self._keys: dict[Path, trust.FileKeys] = {}

    def trust_root(self) -> trust.TrustRoot:
        """The repository's parsed .sops.yaml (read once)."""
        if self._root is None:
            self._root = trust.TrustRoot.load(self.repo_root)
        return self._root

    def reload(self) -> None:
        """Read .sops.yaml again (after `spprov keys` changed it)."""
        self._root = None

    def rule_for(self, path: Path) -> trust.TrustedRule:
        """The trusted keys for the state file at ``path``."""
        return self.trust_root().rule_for(self.display(path))

    def file_keys(self, path: Path) -> trust.FileKeys:
        """A state file's keys as its ``sops:`` block states them; no decryption."""
        display = self.display(path)
        try:
            return trust.file_keys(read_regular_text(path, MAX_STATE_BYTES))
        except NotRegularFileError as exc:
            raise StateError(exc.message(display)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{display}: cannot read ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - YAML errors are one line about the file
            raise StateError(f"{display}: {statefile.error_line(exc)}") from None

    def guard(self, path: Path) -> tuple[trust.FileKeys, trust.TrustedRule]:
        """Refuse, before sops runs, a file naming a key service .sops.yaml does not use."""
        keys, rule = self.file_keys(path), self.rule_for(path)
        trust.refuse_foreign_services(keys, rule, self.display(path))
        return keys, rule

    def forget(self) -> None:
        """Drop the keys remembered from an earlier listing."""
        self._keys = {}

    def remember(self, path: Path, document: Mapping[str, Any]) -> None:
        """Keep the keys of a file parsed for its readable fields (bad blocks: skipped)."""
        try:
            self._keys[path] = trust.keys_of(document)
        except ValueError:
            self._keys.pop(path, None)

    def key_changes(self, paths: list[Path]) -> tuple[KeyChange, ...]:
        """Where .sops.yaml differs from what the files at ``paths`` are encrypted for."""
        found = []
        for path in paths:
            rule = self.rule_for(path)  # a broken .sops.yaml is an error, not "no changes"
            try:
                found.append((self._keys.get(path) or self.file_keys(path), rule))
            except StateError:
                continue  # an unreadable file is reported by records() and verify
        return trust.key_changes(found)
