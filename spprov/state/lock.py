"""The repository lock and atomic file replacement that state writes rely on."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from spprov.errors import StateError, StateLockedError
from spprov.escape import printable
from spprov.repofiles import NotRegularFileError, open_regular

LOCK_FILE = ".spprov.lock"
# Temporary files sit beside their target (so os.replace is atomic) and keep its
# ``.sops.yaml`` ending, so .sops.yaml creation rules (`rekey`) still match them.
TEMP_PREFIX = ".spprov-tmp-"
_POLL_SECONDS = 0.05
ANNOUNCE_SECONDS = 1.0  # a shorter wait (a write's own) passes unannounced
MAX_COMMAND_CHARS = 200


class RepositoryLock:
    """``flock`` on ``REPO/.spprov.lock``; re-entrant within one process, shared by threads.

    The holder writes its pid and command into the file, so a waiting run can say whom it
    waits for. The kernel releases an ``flock`` when its holder ends, however it ends: the
    lock cannot go stale, and removing the file would let a second writer in beside a
    living first one, so no message ever suggests it.
    """

    def __init__(self, repo_root: Path, command: str = "spprov",
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.path = repo_root / LOCK_FILE
        self.repo_root = repo_root
        self.command = command
        self.on_wait = on_wait
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
                self._fd = self._acquire(wait)
            self._depth += 1
            return self._depth == 1

    def _leave(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = None

    def _acquire(self, wait: float) -> int:
        fd = _open_lock(self.path)
        os.set_blocking(fd, True)
        deadline = time.monotonic() + wait
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    os.close(fd)
                    raise StateLockedError(locked_message(self.repo_root, holder,
                                                          waited=wait)) from None
                if not announced and self.on_wait is not None and wait >= ANNOUNCE_SECONDS:
                    self.on_wait(waiting_message(self.repo_root, _holder(fd), wait))
                    announced = True
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{self.command}\n".encode(), 0)
        return fd


def locked_message(repo_root: Path, holder: str, waited: float) -> str:
    """The lock is held past the wait: who holds it, and how to wait for it."""
    if waited >= ANNOUNCE_SECONDS:
        return (f"the repository {repo_root} is still locked by another spprov run, {holder}, "
                f"after waiting {format_duration(waited)}; run again when it has finished, "
                "or with a longer `spprov --lock-timeout DURATION`")
    return (f"the repository {repo_root} is locked by another spprov run, {holder}; run again "
            "when it has finished, or with `spprov --lock-timeout 5m` to wait for it")


def waiting_message(repo_root: Path, holder: str, wait: float) -> str:
    """Said once while a run waits for the lock."""
    return (f"waiting up to {format_duration(wait)} for the lock on {repo_root}, held by "
            f"{holder}")


def format_duration(seconds: float) -> str:
    """``45s``, ``5m``, ``1m30s``: how --lock-timeout is written."""
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest}s"
    return f"{minutes}m{rest}s" if rest else f"{minutes}m"


def _open_lock(path: Path) -> int:
    """The lock file, created if missing; never through a link, never a FIFO or device
    (a committed ``.spprov.lock`` link would otherwise make spprov truncate its target)."""
    try:
        return open_regular(path, os.O_RDWR | os.O_CREAT, 0o644)
    except NotRegularFileError as exc:
        raise StateError(f"{LOCK_FILE}: {exc.what}; remove it (spprov creates its lock "
                         "itself); nothing was changed") from None


def _holder(fd: int) -> str:
    """``pid 4242 (spprov apply --yes)`` from the lock file (its text escaped)."""
    lines = os.pread(fd, 512, 0).decode(errors="replace").split("\n")
    pid = lines[0].strip()
    if not pid.isdigit():
        return "a process that did not say who it is"
    command = printable(lines[1].strip())[:MAX_COMMAND_CHARS] if len(lines) > 1 else ""
    return f"pid {pid} ({command})" if command else f"pid {pid}"


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
