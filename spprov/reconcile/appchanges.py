"""What a pull request changes in the declared apps, field by field, against its base.

Most app fields never reach a state file (the notifications queue and its region, the
renewal window, the relay), so comparing stored state with the declaration cannot show
them changing: a review compares the declaration with the base revision's instead. Every
field of ``spprov.model.App`` is compared, nested ones by their dotted names
(``notifications.sqs_queue_url``); a new field is compared without a change here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from spprov.model import App, AppChange

_NOT_COMPARED = frozenset({"location"})  # where it is written, not what it says


def app_changes(base: Mapping[str, App], head: Mapping[str, App]) -> tuple[AppChange, ...]:
    """Each app added, removed or with a changed field, sorted by name."""
    changes = []
    for name in sorted(set(base) | set(head)):
        before = _fields(base[name]) if name in base else {}
        after = _fields(head[name]) if name in head else {}
        fields = tuple((field, before.get(field), after.get(field))
                       for field in sorted(set(before) | set(after))
                       if before.get(field) != after.get(field))
        if not fields:
            continue
        change = "add" if name not in base else "remove" if name not in head else "update"
        changes.append(AppChange(name, change, fields))
    return tuple(changes)


def _fields(app: App) -> dict[str, str]:
    """Every compared field of an app that is set, as JSON text, nested dataclasses by
    dotted name."""
    return dict(_flatten("", app))


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        found = []
        for field in dataclasses.fields(value):
            if field.name in _NOT_COMPARED or (not prefix and field.name == "name"):
                continue
            found += _flatten(f"{prefix}{field.name}.", getattr(value, field.name))
        return found
    if value is None:  # not set: shown as (none), the same whether nested or not
        return []
    name = prefix.removesuffix(".")
    return [(name, json.dumps(value, ensure_ascii=False, default=str))]
