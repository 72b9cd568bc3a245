"""The trust side of the state: the rule ``.sops.yaml`` gives each file, each file's own keys,
and the check that they agree.

Nothing here must be reloaded by hand: ``.sops.yaml`` and each file's keys are read again
whenever the file on disk is no longer the one read (its inode, size or times changed), so
a ``.sops.yaml`` that `spprov keys` just rewrote is the one the next check uses. With a
base revision (a pull request's review, ``--base``) the trust root is read from that
revision once, through Git, and the working tree's ``.sops.yaml`` is never consulted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from spprov.const import SOPS_CONFIG
from spprov.errors import StateError
from spprov.model import KeyChange
from spprov.repofiles import NotRegularFileError, read_regular_text
from spprov.state import statefile, trust
from spprov.state.files import MAX_STATE_BYTES
from spprov.state.revision import Base

Signature = tuple[int, int, int, int] | None  # inode, size, mtime and ctime (ns); None: absent


def signature(path: Path) -> Signature:
    """What changes whenever the file at ``path`` is written or replaced (never followed)."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


class Trust:
    """The trusted keys of one repository, and the keys its state files name."""

    def __init__(self, repo_root: Path, display: Callable[[Path], str],
                 base: Base | None = None) -> None:
        self.repo_root = repo_root
        self.display = display
        self.base = base  # where the trust root comes from; None: the working tree
        self._lock = threading.Lock()
        self._root: tuple[Signature, trust.TrustRoot] | None = None
        self._keys: dict[Path, tuple[Signature, trust.FileKeys]] = {}

    def root(self) -> trust.TrustRoot:
        """The trusted .sops.yaml: the base revision's, else the one on disk now."""
        now = None if self.base is not None else signature(self.repo_root / SOPS_CONFIG)
        with self._lock:
            if self._root is None or self._root[0] != now:
                self._root = (now, trust.TrustRoot.at(self.repo_root, self.base))
            return self._root[1]

    def rule_for(self, path: Path) -> trust.TrustedRule:
        """The trusted keys for the state file at ``path``."""
        return self.root().rule_for(self.display(path))

    def file_keys(self, path: Path) -> trust.FileKeys:
        """A state file's keys as its ``sops:`` block states them; no decryption."""
        now = signature(path)
        known = self._keys.get(path)
        if known is not None and known[0] == now:
            return known[1]
        display = self.display(path)
        try:
            keys = trust.file_keys(read_regular_text(path, MAX_STATE_BYTES))
        except NotRegularFileError as exc:
            raise StateError(exc.message(display)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"{display}: cannot read ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - YAML errors are one line about the file
            raise StateError(f"{display}: {statefile.error_line(exc)}") from None
        self._keys[path] = (now, keys)
        return keys

    def remember(self, path: Path, read: Signature, document: Mapping[str, Any]) -> None:
        """Keep the keys of a file parsed for its readable fields (``read``: its signature
        before it was read), so a plan parses each file once; bad blocks are skipped."""
        try:
            self._keys[path] = (read, trust.keys_of(document))
        except ValueError:
            self._keys.pop(path, None)

    def guard(self, path: Path, named_as: Path | None = None,
              ) -> tuple[trust.FileKeys, trust.TrustedRule]:
        """Refuse, before sops runs, a file naming a key service .sops.yaml does not use.

        ``path`` is the file sops will read (a temporary copy, say); ``named_as`` the state
        file whose rule applies (``path`` itself unless given).
        """
        keys, rule = self.file_keys(path), self.rule_for(named_as or path)
        trust.refuse_foreign_services(keys, rule, self.display(named_as or path))
        return keys, rule

    def problems(self, path: Path) -> list[str]:
        """How the file's keys differ from what .sops.yaml trusts, one phrase each."""
        keys, rule = self.guard(path)
        return trust.key_problems(keys, rule)

    def key_changes(self, paths: Iterable[Path]) -> tuple[KeyChange, ...]:
        """Where .sops.yaml differs from what the files at ``paths`` are encrypted for."""
        found = []
        for path in paths:
            rule = self.rule_for(path)  # a broken .sops.yaml is an error, not "no changes"
            try:
                found.append((self.file_keys(path), rule))
            except StateError:
                continue  # an unreadable file is reported by records() and verify
        return trust.key_changes(found)
