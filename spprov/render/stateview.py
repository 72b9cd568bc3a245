"""`spprov state list` and `spprov state show` as text and JSON: readable fields only, an
encrypted value shown as ``(sensitive value)``, as Terraform shows one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from spprov.escape import lines, printable

STATE_FORMAT_VERSION = 1
SENSITIVE = "(sensitive value, encrypted)"


@dataclass(frozen=True)
class StateEntry:
    """One state file: its address (``credentials/NAME``, ``apps/APP``) and whether its
    readable part can be read (why not, when not)."""

    address: str
    file: str
    problem: str | None = None


@dataclass(frozen=True)
class StateFileView:
    """The readable fields of one state file, the names of its encrypted ones, and who
    it is encrypted for."""

    address: str
    file: str
    fields: dict[str, Any]
    encrypted: tuple[str, ...]
    recipients: tuple[str, ...]
    key_services: tuple[str, ...]  # other kinds of keys sops names (kms, pgp, ...)
    last_modified: str | None




def state_list_text(entries: Sequence[StateEntry]) -> str:
    """One address per line, as `terraform state list` prints them."""
    return lines("\n".join(printable(entry.address) for entry in entries))


def state_list_json(entries: Sequence[StateEntry]) -> str:
    """The versioned list: address, file and the problem of an unreadable one."""
    return json.dumps({"format_version": STATE_FORMAT_VERSION,
                       "state_files": [{"address": e.address, "file": e.file,
                                        "problem": e.problem} for e in entries]},
                      indent=2, ensure_ascii=False)


def state_show_text(view: StateFileView) -> str:
    """``# FILE``, then ``key: value`` per field in file order, then its keys."""
    rows = [f"# {printable(view.file)}"]
    for key in [*view.fields, *view.encrypted]:
        value = SENSITIVE if key in view.encrypted else _shown(view.fields[key])
        rows.append(f"{printable(str(key))}: {value}")
    recipients = ", ".join(printable(r) for r in view.recipients) or "no age recipient"
    rows.append(f"# encrypted for {recipients}"
                + (f"; other keys: {', '.join(map(printable, view.key_services))}"
                   if view.key_services else ""))
    if view.last_modified:
        rows.append(f"# last written by sops at {printable(view.last_modified)}")
    return lines("\n".join(rows))


def state_show_json(view: StateFileView) -> str:
    """The readable fields as they are, the encrypted ones by name only."""
    return json.dumps({"format_version": STATE_FORMAT_VERSION, "address": view.address,
                       "file": view.file, "fields": view.fields,
                       "encrypted": list(view.encrypted),
                       "recipients": list(view.recipients),
                       "key_services": list(view.key_services),
                       "last_modified": view.last_modified},
                      indent=2, ensure_ascii=False, default=str)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return printable(value)
    return printable(json.dumps(value, ensure_ascii=False, default=str))
