"""Files of a Git revision, read through Git: the base a pull request is reviewed against.

In a pull-request job every file of the working tree is the pull request's, so what pins
trust (``.sops.yaml``, and later the state files' public signing key) is read from the
base revision instead: ``git ls-tree`` says what a path is at that commit (a link, a
submodule or a folder is refused, never followed) and how big it is, then ``git cat-file``
gives its bytes, up to a limit checked before a byte is read. Nothing is taken from the
working tree or the index, and Git runs with an environment of its own
(``spprov.childenv.for_git``): no token of the job reaches it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spprov import childenv
from spprov.errors import StateError

GIT_TIMEOUT_SECONDS = 60
_COMMIT_CHARS = frozenset("0123456789abcdef")
_REGULAR_MODES = ("100644", "100755")


class BaseError(StateError):
    """A base revision that cannot be used (not a Git repository, not a commit)."""


@dataclass(frozen=True)
class TreeEntry:
    """One path of a revision's tree: its mode, object and size."""

    path: str  # relative to the spprov repository root
    mode: str
    object_id: str
    size: int | None  # None for what is no blob (a folder, a submodule)

    @property
    def regular(self) -> bool:
        """A regular file (not a link, a submodule or a folder)."""
        return self.mode in _REGULAR_MODES


@dataclass(frozen=True)
class Base:
    """The revision trust comes from: as it was named, its commit, and who named it.

    ``source`` is the CI variable the revision came from (``GITHUB_BASE_REF``, ...), or
    None when it was given as ``--base REF``.
    """

    ref: str
    commit: str
    source: str | None
    repo_root: Path
    prefix: str  # the spprov root inside the Git work tree ("" or "sub/dir/")
    environ: Mapping[str, str]

    def entry(self, relative: str) -> TreeEntry | None:
        """What ``relative`` (a path below the spprov root) is at this revision, or None."""
        found = self.entries(relative, recursive=False)
        return found[0] if found else None

    def entries(self, relative: str, recursive: bool = True) -> list[TreeEntry]:
        """Every entry at or below ``relative`` (a file, or a folder's files when
        ``recursive``), in Git's order."""
        args = ["ls-tree", "-z", "--full-tree", "-l"] + (["-r"] if recursive else [])
        out = self._git(*args, self.commit, "--", self.prefix + relative)
        entries = []
        for line in out.split(b"\0"):
            if not line:
                continue
            meta, _, path = line.partition(b"\t")
            mode, _kind, object_id, size = meta.decode("ascii", "replace").split()
            shown = path.decode("utf-8", "replace").removeprefix(self.prefix)
            entries.append(TreeEntry(shown, mode, object_id,
                                     int(size) if size.isdigit() else None))
        return entries

    def read(self, relative: str, limit: int) -> bytes | None:
        """The bytes of the file at ``relative`` in this revision; None when it has none.

        A link, submodule or folder there, or a file over ``limit`` bytes, is one line.
        """
        entry = self.entry(relative)
        if entry is None:
            return None
        return self.blob(entry, limit)

    def blob(self, entry: TreeEntry, limit: int) -> bytes:
        """The bytes of one regular file entry (see ``read``)."""
        where = f"{entry.path} at {self.ref}"
        if not entry.regular:
            what = {"120000": "a symbolic link", "160000": "a submodule",
                    "040000": "a folder"}.get(entry.mode, f"not a regular file ({entry.mode})")
            raise StateError(f"{where}: is {what}; spprov reads only regular files")
        if entry.size is None or entry.size > limit:
            raise StateError(f"{where}: {entry.size} bytes, more than the {limit} allowed")
        data = self._git("cat-file", "blob", entry.object_id)
        if len(data) != entry.size:
            raise StateError(f"{where}: Git gave {len(data)} bytes for a blob of "
                             f"{entry.size}")
        return data

    def _git(self, *args: str) -> bytes:
        return run_git(self.repo_root, self.environ, *args)


def resolve(repo_root: Path, ref: str, environ: Mapping[str, str],
            source: str | None = None) -> Base:
    """The commit ``ref`` names in the Git repository around ``repo_root``; one clear
    line when there is no repository or no such commit."""
    named = f"{source} names {ref}" if source else f"--base {ref}"
    if not ref or ref.startswith("-") or any(c in ref for c in "\0\n\r"):
        raise BaseError(f"{named}: not a Git revision; pass --base REF (a branch, tag or "
                        "commit, e.g. origin/main)")
    try:
        prefix = run_git(repo_root, environ, "rev-parse", "--show-prefix").decode().strip()
    except BaseError:
        raise BaseError(f"{named}: {repo_root} is not in a Git repository; the trust root "
                        "is read from the base revision through Git") from None
    try:
        commit = run_git(repo_root, environ, "rev-parse", "--verify", "--quiet",
                         "--end-of-options", f"{ref}^{{commit}}").decode().strip()
    except BaseError:
        commit = ""
    if len(commit) != 40 or not set(commit) <= _COMMIT_CHARS:
        raise BaseError(f"{named}: no such commit in this repository; fetch it first "
                        f"(`git fetch origin {ref.removeprefix('origin/')}`, or check out "
                        "with the whole history) or pass --base REF")
    return Base(ref, commit, source, repo_root, prefix, environ)


def run_git(repo_root: Path, environ: Mapping[str, str], *args: str) -> bytes:
    """Run one read-only Git command in ``repo_root``; its standard output."""
    command = ["git", "--no-replace-objects", "-c", "core.fsmonitor=false", *args]
    try:
        done = subprocess.run(command, cwd=repo_root, capture_output=True, check=False,
                              timeout=GIT_TIMEOUT_SECONDS, env=childenv.for_git(environ),
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaseError(f"cannot run git ({exc}); the base revision is read through Git"
                        ) from None
    if done.returncode != 0:
        raise BaseError(f"git {args[0]} failed (exit code {done.returncode})")
    return done.stdout
