"""Reading and writing repository files that an attacker's pull request may have planted.

Declarations, state files, ``.sops.yaml`` and the lock must be regular files. A symbolic
link (even one pointing inside the repository: refusing every link is simpler to state and
to check than deciding which targets are safe), a FIFO, a device, a socket or a folder where
a file is expected is refused with one line naming it, *before* anything is read: files are
opened with ``O_NOFOLLOW | O_NONBLOCK`` and checked with ``fstat`` on the open descriptor,
so neither a link nor a FIFO nor ``/dev/zero`` is ever read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
ADVICE = "spprov reads and writes only regular files in the repository; replace it with one"


class NotRegularFileError(Exception):
    """A repository path that is not a regular file; ``reason`` says what it is instead."""

    def __init__(self, what: str, advice: str = ADVICE) -> None:
        super().__init__(f"{what}; {advice}")
        self.what = what
        self.reason = f"{what}; {advice}"

    def message(self, name: str) -> str:
        """``NAME: is a symbolic link; spprov reads ...`` (one line)."""
        return f"{name}: {self.reason}"


def kind(mode: int) -> str:
    """What a file mode describes, in words."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refusal(mode: int) -> NotRegularFileError:
    return NotRegularFileError(f"is {kind(mode)}, not a regular file")


def check_regular(path: Path) -> None:
    """Raise NotRegularFileError unless ``path`` is a regular file (links are not followed).

    A missing path raises FileNotFoundError, as opening it would.
    """
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _refusal(mode)


def check_if_present(path: Path) -> bool:
    """True when ``path`` is a regular file, False when nothing is there; refuse anything else."""
    try:
        check_regular(path)
    except FileNotFoundError:
        return False
    return True


def check_folders(path: Path, root: Path) -> None:
    """Refuse a symbolic link among the folders between ``root`` and ``path`` (exclusive).

    A folder of the repository that is a link would make spprov read or write outside it.
    Folders outside ``root`` (an explicit path the operator gave) are not checked.
    """
    try:
        parts = path.parent.relative_to(root).parts
    except ValueError:
        return
    folder = root
    for part in parts:
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            raise NotRegularFileError(f"is inside {folder.relative_to(root)}, which is a "
                                      "symbolic link")


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor for the regular file at ``path``, opened without following a link.

    ``lstat`` first, so a device or FIFO is never even opened; then ``fstat`` on the
    descriptor, so a file swapped in between is caught too.
    """
    if flags & os.O_CREAT:
        check_if_present(path)
    else:
        check_regular(path)
    try:
        fd = os.open(path, flags | _NOFOLLOW | _NONBLOCK | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise _refusal(stat.S_IFLNK) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR):  # a FIFO without a reader, a socket
            raise _refusal(os.lstat(path).st_mode) from None
        raise
    file_mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(file_mode):
        os.close(fd)
        raise _refusal(file_mode)
    return fd


def read_regular(path: Path, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file (so the caller sees that it is larger)."""
    fd = open_regular(path)
    try:
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_regular(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Create or replace the content of a regular file, never writing through a link."""
    fd = open_regular(path, os.O_WRONLY | os.O_CREAT, mode)
    try:
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def read_regular_text(path: Path, limit: int) -> str:
    """A regular file's UTF-8 text, refused when larger than ``limit`` bytes.

    Raises FileNotFoundError when nothing is there, NotRegularFileError for a link or a
    special file, ValueError when the file is larger than ``limit``.
    """
    data = read_regular(path, limit)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data.decode("utf-8")
