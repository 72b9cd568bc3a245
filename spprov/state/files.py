"""Where the state files are: their paths, the listing, and the rule that each one is a
regular file of bounded size (never a link, FIFO or device) before anything reads it."""

from __future__ import annotations

import os
from pathlib import Path

from spprov.const import STATE_SUFFIX
from spprov.errors import StateError
from spprov.repofiles import NotRegularFileError, check_folders, check_if_present, read_regular

CREDENTIALS_DIR = "credentials"
APPS_DIR = "apps"
# A state file is a few hundred bytes; a larger one (or /dev/zero behind it) is refused.
MAX_STATE_BYTES = 1024 * 1024


def relative(repo_root: Path, path: Path) -> str:
    """``path`` relative to the repository root when inside it (as sops and messages see it)."""
    absolute = path if path.is_absolute() else repo_root / path
    try:
        return absolute.relative_to(repo_root).as_posix()
    except ValueError:
        return str(absolute)


class StateFiles:
    """One repository's state folder: ``credentials/NAME.sops.yaml``, ``apps/APP.sops.yaml``."""

    def __init__(self, repo_root: Path, state_dir: Path) -> None:
        self.repo_root = repo_root.resolve()
        self.state_dir = state_dir if state_dir.is_absolute() else self.repo_root / state_dir

    def path_of(self, name: str) -> Path:
        """The state file of credential ``name``."""
        return self.state_dir / CREDENTIALS_DIR / f"{name}{STATE_SUFFIX}"

    def app_path(self, app: str) -> Path:
        """The client secret file of ``app``."""
        return self.state_dir / APPS_DIR / f"{app}{STATE_SUFFIX}"

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the repository root."""
        return relative(self.repo_root, path)

    def credential_files(self) -> list[Path]:
        """Every credential state file, sorted (temporary files left out)."""
        return _state_files(self.state_dir / CREDENTIALS_DIR)

    def app_files(self) -> list[Path]:
        """Every app secret file, sorted."""
        return _state_files(self.state_dir / APPS_DIR)

    def stored_apps(self) -> list[str]:
        """The apps that have a client secret file (from file names; nothing is read)."""
        return [name_of(path) for path in self.app_files()]

    def present(self, path: Path) -> bool:
        """True for a regular state file, False for none; a link, FIFO, device or a file in
        a linked folder is refused with one line naming it, before anything reads it."""
        try:
            check_folders(path, self.repo_root)
            return check_if_present(path)
        except NotRegularFileError as exc:
            raise StateError(exc.message(self.display(path))) from None

    def read_text(self, path: Path) -> str:
        """A state file's text: a regular file of at most MAX_STATE_BYTES, never a link."""
        if not self.present(path):
            raise FileNotFoundError(2, "no such file")
        data = read_regular(path, MAX_STATE_BYTES)
        if len(data) > MAX_STATE_BYTES:
            raise StateError(f"{self.display(path)}: larger than {MAX_STATE_BYTES} bytes; not "
                             "a state file (restore it from Git)")
        return data.decode("utf-8")


def name_of(path: Path) -> str:
    """The credential or app a state file is for, by its file name."""
    return path.name.removesuffix(STATE_SUFFIX)


def _state_files(folder: Path) -> list[Path]:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [folder / name for name in sorted(names)
            if name.endswith(STATE_SUFFIX) and not name.startswith(".")]
