"""Verification of every state file: decrypted, and checked against its format, the trust
root and the declaration (`spprov verify`).

A plan reads readable fields only and cannot see a hand edit; decrypting checks the MAC,
which covers the readable fields too. Meant for CI on pull requests that touch state/.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spprov.const import REFRESH_TOKEN_PREFIX, SOPS_CONCURRENCY
from spprov.errors import SpprovError, StateError
from spprov.hints import run_authorize
from spprov.model import Desired, Record
from spprov.reconcile.planner import declaration_differences
from spprov.state import statefile
from spprov.state.store import StateStore

# Decrypting is CPU work in-process (about 1 ms a file): from this many files on, the
# checks are split over one forked process per CPU; below, forking costs more than it saves.
PARALLEL_FROM = 500


def verify_credential(store: StateStore, path: Path, desired: Desired) -> list[str]:
    """Problems of one credential state file, each ``FILE: message``."""
    shown = store.files.display(path)
    store.reader.read_record(path)  # an unreadable file: the same reason plan and status give
    problems = key_problems(store, path)  # refuses foreign key services before sops runs
    document = store.reader.read_document(path)
    record = statefile.parse_record(document, path, shown)
    token = document.get(statefile.REFRESH_TOKEN_KEY)
    if not isinstance(token, str) or not token.startswith(REFRESH_TOKEN_PREFIX):
        problems.append(f"{shown}: refresh_token is missing or not an LWA refresh token "
                        f"(Atzr|...): {run_authorize(record.name)}")
    return problems + declaration_problems(record, desired, shown)


def key_problems(store: StateStore, path: Path) -> list[str]:
    """How the file's keys differ from what .sops.yaml trusts (read without decrypting)."""
    shown = store.files.display(path)
    return [f"{shown}: {problem}" for problem in store.trust.problems(path)]


def declaration_problems(record: Record, desired: Desired, shown: str) -> list[str]:
    """How a stored record disagrees with its declaration, by the planner's own rules."""
    credential = desired.credential(record.name)
    if credential is None:
        return [f"{shown}: credential {record.name} is not declared: run `spprov plan` "
                "(`spprov apply --prune` deletes it)"]
    differences = declaration_differences(credential, desired.apps, record)
    if not differences:
        return []
    return [f"{shown}: differs from the declaration ({'; '.join(differences)}): "
            "run `spprov plan`"]


def verify_app(store: StateStore, path: Path, desired: Desired) -> list[str]:
    """Problems of one app secret file."""
    shown = store.files.display(path)
    problems = key_problems(store, path)
    document: dict[str, Any] = store.reader.read_document(path)
    try:
        statefile.check_app_fields(document, path)
    except ValueError as exc:
        return [*problems, f"{shown}: {exc}"]
    secret = document.get(statefile.CLIENT_SECRET_KEY)
    if not isinstance(secret, str) or not secret:
        problems.append(f"{shown}: client_secret is missing: run "
                        f"`spprov app set-secret {document['app']}`")
    if document["app"] not in desired.apps:
        problems.append(f"{shown}: app {document['app']} is not declared")
    return problems


Check = Callable[[StateStore, Path, Desired], list[str]]


def guarded(check: Check, store: StateStore, path: Path, desired: Desired) -> list[str]:
    """A check whose failure (MAC mismatch, no identity, ...) is one problem line."""
    try:
        return check(store, path, desired)
    except SpprovError as exc:
        shown = store.files.display(path)
        text = str(exc)
        return [text if shown in text or isinstance(exc, StateError) else f"{shown}: {text}"]


# What a forked worker inherits, set in the worker only (never in the process that forks).
_WORKER: tuple[StateStore, Desired] | None = None


def run_checks(jobs: list[tuple[Check, Path]], store: StateStore,
               desired: Desired) -> list[list[str]]:
    """Each job's problems, in order; over one forked process per CPU for many files.

    Only problem lines come back from a worker, never a decrypted value.
    """
    workers = min(os.cpu_count() or 1, SOPS_CONCURRENCY)
    if len(jobs) < PARALLEL_FROM or workers < 2 or \
            "fork" not in multiprocessing.get_all_start_methods():
        return [guarded(check, store, path, desired) for check, path in jobs]
    size = -(-len(jobs) // (workers * 4))  # a few chunks per worker evens out the load
    chunks = [jobs[start:start + size] for start in range(0, len(jobs), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_adopt, initargs=(store, desired)) as pool:
        return [lines for chunk in pool.map(_run_chunk, chunks) for lines in chunk]


def _adopt(store: StateStore, desired: Desired) -> None:
    """In a forked worker: what its chunks check (inherited by the fork, never pickled)."""
    global _WORKER
    _WORKER = (store, desired)


def _run_chunk(jobs: list[tuple[Check, Path]]) -> list[list[str]]:
    assert _WORKER is not None  # set by _adopt when the worker started
    store, desired = _WORKER
    return [guarded(check, store, path, desired) for check, path in jobs]


@dataclass(frozen=True)
class Verification:
    """The problems of each state file checked, in order (empty lists: the file is fine)."""

    results: list[list[str]]

    @property
    def problems(self) -> list[str]:
        """Every problem line, ``FILE: message``."""
        return [line for lines in self.results for line in lines]

    @property
    def failed(self) -> int:
        """How many files have a problem."""
        return sum(1 for lines in self.results if lines)


def verify(store: StateStore, desired: Desired) -> Verification:
    """Check every credential and app state file against its format, the trust root and
    ``desired``; only problem lines come back, never a decrypted value."""
    jobs: list[tuple[Check, Path]] = [(verify_credential, p)
                                      for p in store.files.credential_files()]
    jobs += [(verify_app, p) for p in store.files.app_files()]
    return Verification(run_checks(jobs, store, desired))
