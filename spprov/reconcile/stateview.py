"""`spprov state list` and `spprov state show NAME` as values: what the state files hold,
read without decrypting anything (encrypted values are only named)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spprov.const import STATE_SUFFIX
from spprov.errors import StateError, UsageError
from spprov.hints import unknown_credential
from spprov.render.stateview import StateEntry, StateFileView
from spprov.state import statefile
from spprov.state.files import StateFiles

CREDENTIALS = "credentials"
APPS = "apps"
ENCRYPTED_PREFIX = "ENC["


def list_state(store: StateFiles) -> list[StateEntry]:
    """Every credential and app state file, sorted, with the readable part checked."""
    entries = [_entry(store, CREDENTIALS, path) for path in store.credential_files()]
    return entries + [_entry(store, APPS, path) for path in store.app_files()]


def show_state(store: StateFiles, address: str) -> StateFileView:
    """One state file by address (a bare NAME is a credential); raises UsageError when
    there is none and StateError when it cannot be read."""
    path, address = _path_of(store, address)
    document = _document(store, path)
    sops = document.get("sops") if isinstance(document.get("sops"), Mapping) else {}
    assert isinstance(sops, Mapping)
    encrypted = tuple(key for key, value in document.items()
                      if isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX))
    recipients = tuple(str(entry.get("recipient")) for entry in sops.get("age") or ()
                       if isinstance(entry, Mapping))
    services = tuple(sorted(key for key, value in sops.items()
                            if key not in ("age", "lastmodified", "mac", "version",
                                           "encrypted_regex", "unencrypted_suffix",
                                           "mac_only_encrypted") and value))
    modified = sops.get("lastmodified")
    return StateFileView(address, store.display(path), statefile.readable_part(document),
                         encrypted, recipients, services,
                         None if modified is None else str(modified))


def _entry(store: StateFiles, kind: str, path: Path) -> StateEntry:
    address = f"{kind}/{path.name.removesuffix(STATE_SUFFIX)}"
    try:
        _document(store, path)
    except StateError as exc:
        return StateEntry(address, store.display(path), str(exc))
    return StateEntry(address, store.display(path))


def _path_of(store: StateFiles, address: str) -> tuple[Path, str]:
    kind, _, name = address.rpartition("/")
    kind = kind or CREDENTIALS
    files = {CREDENTIALS: store.credential_files, APPS: store.app_files}.get(kind)
    if files is None:
        raise UsageError(f"{address!r} is not a state address: use NAME, credentials/NAME "
                         "or apps/APP (see `spprov state list`)")
    by_name = {path.name.removesuffix(STATE_SUFFIX): path for path in files()}
    if name not in by_name:
        where = f"stored under {store.display(store.state_dir / kind)}/"
        raise UsageError(unknown_credential(name, by_name, where, _show_hint(kind))
                         .replace("no credential named", f"no {kind[:-1]} named"))
    return by_name[name], f"{kind}/{name}"


def _show_hint(kind: str) -> Any:
    return lambda name: f"run `spprov state show {kind}/{name}`"


def _document(store: StateFiles, path: Path) -> dict[str, Any]:
    display = store.display(path)
    try:
        return statefile.whole_document(store.read_text(path))
    except StateError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{display}: cannot read ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - a YAML error is one line about the file
        raise StateError(f"{display}: {statefile.error_line(exc)}") from None
