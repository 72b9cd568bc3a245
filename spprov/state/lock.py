"""The repository lock and atomic file replacement that state writes rely on."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from spprov.errors import StateError, StateLockedError
from spprov.repofiles import NotRegularFileError, open_regular

LOCK_FILE = ".spprov.lock"
# Temporary files sit beside their target (so os.replace is atomic) and keep its
# ``.sops.yaml`` ending, so .sops.yaml creation rules (`rekey`) still match them.
TEMP_PREFIX = ".spprov-tmp-"
_POLL_SECONDS = 0.05


class RepositoryLock:
    """``flock`` on ``REPO/.spprov.lock``; re-entrant within one process, shared by threads."""

    def __init__(self, repo_root: Path) -> None:
        self.path = repo_root / LOCK_FILE
        self.repo_root = repo_root
        self._mutex = threading.Lock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def held(self, wait: float = 0.0) -> Iterator[bool]:
        """Hold the lock; yields True when this call took it (the outermost holder)."""
        first = self._enter(wait)
        try:
            yield first
        finally:
            self._leave()

    def _enter(self, wait: float) -> bool:
        with self._mutex:
            if self._depth == 0:
                self._fd = _acquire(self.path, self.repo_root, wait)
            self._depth += 1
            return self._depth == 1

    def _leave(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None


def _open_lock(path: Path) -> int:
    """The lock file, created if missing; never through a link, never a FIFO or device
    (a committed ``.spprov.lock`` link would otherwise make spprov truncate its target)."""
    try:
        return open_regular(path, os.O_RDWR | os.O_CREAT, 0o644)
    except NotRegularFileError as exc:
        raise StateError(f"{LOCK_FILE}: {exc.what}; remove it (spprov creates its lock "
                         "itself); nothing was changed") from None


def _acquire(path: Path, repo_root: Path, wait: float) -> int:
    fd = _open_lock(path)
    os.set_blocking(fd, True)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(fd)
                os.close(fd)
                raise StateLockedError(
                    f"another spprov run holds the lock on {repo_root} (pid {holder}); wait "
                    f"for it or remove {LOCK_FILE} if it is stale") from None
            time.sleep(_POLL_SECONDS)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _holder(fd: int) -> str:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return text if text.isdigit() else "unknown"


def temp_beside(target: Path) -> Path:
    """A new, empty, private file in ``target``'s folder whose name ends like ``target``."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=f"-{target.name}", dir=target.parent)
    os.close(fd)
    return Path(name)


def write_atomically(target: Path, content: bytes) -> None:
    """Replace ``target`` with ``content``: after a crash it is either the old or the new file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_beside(target)
    try:
        temp.write_bytes(content)
        temp.chmod(0o644)
        commit(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def copy_beside(target: Path) -> Path:
    """A temporary copy of ``target`` (bytes and mode) to edit before ``commit``."""
    temp = temp_beside(target)
    shutil.copyfile(target, temp)
    shutil.copymode(target, temp)
    return temp


def commit(temp: Path, target: Path) -> None:
    """fsync ``temp``, move it over ``target`` and fsync the folder, so the move survives."""
    with temp.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, target)
    sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """fsync a folder so renames and deletions in it are durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> None:
    """Delete temporary files a killed run left behind (call only while holding the lock)."""
    if folder.is_dir():
        for stale in folder.glob(f"{TEMP_PREFIX}*"):
            stale.unlink(missing_ok=True)
