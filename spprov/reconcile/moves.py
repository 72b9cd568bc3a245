"""Resolve `moved` entries: which stored records answer to new names, before planning.

Pure, like the planner. A credential move renames a stored record (its state file follows
on apply, the token's ciphertext untouched); an app move re-labels the records of the old
app whose client_id is the new app's (the grant belongs to the client_id, so no consent is
needed) and renames the app's client secret file. An entry that matches nothing is a
note, never an error, as Terraform treats a `moved` block whose source is gone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from spprov.model import AppMove, Desired, Moved, Record


@dataclass
class Resolution:
    """The stored records as the moves see them, and what each move did."""

    records: dict[str, Record]
    moved_from: dict[str, str] = field(default_factory=dict)  # new name -> old name
    app_renamed: dict[str, str] = field(default_factory=dict)  # credential -> old app
    app_moves: list[AppMove] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def resolve_moves(desired: Desired, stored: Mapping[str, Record],
                  stored_apps: Collection[str] = (),
                  occupied: Collection[str] = ()) -> Resolution:
    """Apply every `moved` entry to the stored records (credential moves first).

    ``occupied`` names state files that exist but cannot be read: no move goes there.
    """
    resolution = Resolution(dict(stored))
    for move in desired.moved:
        if not move.app:
            _move_credential(move, desired, resolution, occupied)
    for move in desired.moved:
        if move.app:
            _move_app(move, desired, resolution, stored_apps)
    return resolution


def _note(move: Moved, text: str) -> str:
    return f"moved {move}: {text}"


def _move_credential(move: Moved, desired: Desired, resolution: Resolution,
                     occupied: Collection[str]) -> None:
    records = resolution.records
    record = records.get(move.source)
    if record is None:
        resolution.notes.append(_note(move, f"no state file {move.source} (already moved?); "
                                            "nothing to do, the entry can be removed"))
    elif desired.credential(move.source) is not None:
        resolution.notes.append(_note(move, f"{move.source} is still declared; not moved"))
    elif desired.credential(move.target) is None:
        resolution.notes.append(_note(move, f"{move.target} is not declared; not moved"))
    elif move.target in records or move.target in occupied:
        resolution.notes.append(_note(move, f"a state file {move.target} exists already; "
                                            f"not moved ({move.source} is an orphan)"))
    else:
        records[move.target] = replace(record, name=move.target)
        del records[move.source]
        resolution.moved_from[move.target] = move.source


def _move_app(move: Moved, desired: Desired, resolution: Resolution,
              stored_apps: Collection[str]) -> None:
    target = desired.apps.get(move.target)
    if target is None or move.source in desired.apps:
        why = (f"app {move.target} is not declared" if target is None
               else f"app {move.source} is still declared")
        resolution.notes.append(_note(move, f"{why}; not moved"))
        return
    mine = {name: r for name, r in resolution.records.items() if r.app == move.source}
    other_client = sorted(name for name, r in mine.items() if r.client_id != target.client_id)
    for name, record in mine.items():
        if name not in other_client:
            resolution.records[name] = replace(record, app=move.target)
            resolution.app_renamed[name] = move.source
    if other_client:
        resolution.notes.append(_note(move, "the client_id differs: the client secret file is "
                                            "not moved, and these need a new authorization: "
                                            + ", ".join(other_client)))
    elif move.source in stored_apps and move.target in stored_apps:
        resolution.notes.append(_note(move, f"a client secret file for app {move.target} exists "
                                            f"already; the one of app {move.source} is kept"))
    elif move.source in stored_apps:
        resolution.app_moves.append(AppMove(move.source, move.target))
    elif not mine:
        resolution.notes.append(_note(move, f"nothing is stored under app {move.source}; "
                                            "nothing to do, the entry can be removed"))
