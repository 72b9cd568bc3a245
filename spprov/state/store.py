"""StateStore: the repository's encrypted state, one SOPS file per credential and per app,
as three faces for what callers need.

- ``files`` (``spprov.state.files``): paths, the listing, the regular-file rule;
- ``reader`` (``spprov.state.reader``): readable fields, decrypted documents;
- ``writer`` (``spprov.state.writer``): every write, under the repository lock;
- ``trust`` (``spprov.state.trusted``): the rule .sops.yaml gives each file, each file's keys.

The reader and the writer share one sops runner (``spprov.state.sops``), which no face
exposes: every sops invocation goes through it, and it checks the trust root itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from spprov.state.agekeys import AskPassphrase
from spprov.state.files import StateFiles
from spprov.state.lock import RepositoryLock
from spprov.state.reader import StateReader
from spprov.state.revision import Base
from spprov.state.sops import SopsRunner
from spprov.state.sopsreader import SopsReader
from spprov.state.trusted import Trust
from spprov.state.writer import StateWriter


class StateStore:
    """The state files under ``state_dir`` of the repository at ``repo_root``."""

    def __init__(self, repo_root: Path, state_dir: Path, environ: Mapping[str, str],
                 lock: RepositoryLock | None = None, lock_timeout: float = 0.0,
                 ask_passphrase: AskPassphrase | None = None, base: Base | None = None,
                 ) -> None:
        """``base``: the revision the trust root is read from (a pull request's review);
        None reads it from the working tree."""
        self.files = StateFiles(repo_root, state_dir)
        self.trust = Trust(self.files.repo_root, self.files.display, base)
        runner = SopsRunner(self.files.repo_root, environ, self.trust)
        self.reader = StateReader(self.files, self.trust, SopsReader(environ, ask_passphrase),
                                  runner)
        self.writer = StateWriter(self.files, self.reader, runner,
                                  lock or RepositoryLock(self.files.repo_root), lock_timeout)
