"""`spprov show PLANFILE`: a saved plan as text, Markdown or JSON, and whether it is current.

A current plan is rendered by the plan renderers (exactly what `apply PLANFILE` does); a
stale one from its saved document, since the files it was made from are gone. Every value
of a saved plan came from the repository (or an edited file): escaped as plan values are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spprov.escape import lines, log_line, markdown, printable
from spprov.model import Action, Plan
from spprov.render.facts import ACTIONS, incomplete_clause, iso_z
from spprov.render.markdown import plan_markdown
from spprov.render.plan import plan_json
from spprov.render.text import INDENT, SYMBOLS, plan_text

SHOW_FORMAT_VERSION = 1
KIND = "spprov saved plan view"


@dataclass(frozen=True)
class SavedPlanView:
    """A saved plan with what changed since it was made (nothing: it is current)."""

    file: str  # as the user typed it
    generated_at: datetime
    options: dict[str, Any]  # as the saved plan stores them
    option_words: tuple[str, ...]  # ("--only", "acme-us", "--prune")
    replan: str  # the `spprov plan ... --out FILE` that makes it again
    document: Mapping[str, Any]  # the plan as saved
    changed: tuple[str, ...]
    plan: Plan | None  # rebuilt from today's files when current

    @property
    def current(self) -> bool:
        """True when `spprov apply FILE` would carry it out."""
        return not self.changed


def show_text(view: SavedPlanView, color: bool) -> str:
    """The header saying whether the plan is current, then the plan."""
    if view.plan is not None:
        return f"{log_line(_header(view))}\n\n{plan_text(view.plan, color)}"
    return lines("\n\n".join([printable(_header(view)), *_document_blocks(view.document),
                              _document_summary(view.document)]))


def show_markdown(view: SavedPlanView) -> str:
    """The header as a paragraph, then the plan's Markdown (a stale plan's changes as a
    list)."""
    header = markdown(_header(view))
    if view.plan is not None:
        return f"{header}\n\n{plan_markdown(view.plan)}"
    items = [f"- {markdown(c['action'])} {markdown(c['name'])}: "
             f"{markdown('; '.join(_reasons(c)) or '-')}"
             for c in _pending(view.document)]
    return "\n\n".join([header, "## spprov plan (stale)", "\n".join(items) or "No changes.",
                        markdown(_document_summary(view.document))])


def show_json(view: SavedPlanView) -> str:
    """A versioned document: currency, what changed, and the plan (rebuilt when current,
    else as saved)."""
    plan = (json.loads(plan_json(view.plan)) if view.plan is not None
            else view.document)
    document = {
        "format_version": SHOW_FORMAT_VERSION,
        "kind": KIND,
        "file": view.file,
        "current": view.current,
        "changed": list(view.changed),
        "generated_at": iso_z(view.generated_at),
        "options": view.options,
        "complete": view.plan is not None and not view.plan.has_failures(),
        "apply": (f"spprov apply {view.file}" if view.current and view.plan is not None
                  and not view.plan.has_failures() else None),
        "plan": plan,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def saved_line(file: str, plan: Plan, replan: str) -> str:
    """What `spprov plan --out FILE` says once the plan is saved."""
    incomplete = incomplete_clause(plan)
    if incomplete is None:
        return f"Saved the plan to {file}: `spprov apply {file}` carries out exactly this plan."
    return (f"Saved the plan to {file}, incomplete ({incomplete}): `spprov apply {file}` "
            f"will refuse it; fix what is listed, then run `{replan}` again.")


def incomplete_refusal(file: str, plan: Plan, replan: str) -> str:
    """Why `spprov apply FILE` refuses a saved plan made with failures (nothing is done)."""
    return (f"the saved plan {file} is incomplete ({incomplete_clause(plan)}), so nothing "
            f"was applied: fix what `spprov show {file}` lists, then run `{replan}` again")


def _header(view: SavedPlanView) -> str:
    options = f", with {' '.join(view.option_words)}" if view.option_words else ""
    made = f"Saved plan {view.file} (made {iso_z(view.generated_at)}{options})"
    incomplete = incomplete_clause(view.plan) if view.plan is not None else None
    if view.current and incomplete is not None:
        return (f"{made}: current but incomplete ({incomplete}); `spprov apply {view.file}` "
                f"would refuse it: fix what is listed, then run `{view.replan}` again.")
    if view.current:
        return f"{made}: current; `spprov apply {view.file}` carries out exactly this plan."
    return (f"{made}: stale, {', '.join(view.changed)} since it was made; "
            f"`spprov apply {view.file}` would refuse it: run `{view.replan}` again. "
            "It held:")


def _pending(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in document.get("changes", [])
            if isinstance(c, Mapping) and c.get("action") != Action.NOOP.value]


def _reasons(change: Mapping[str, Any]) -> list[str]:
    """A change's reasons as saved: text, or (newer formats) a mapping with its words."""
    words = []
    for reason in change.get("reasons", ()):
        if isinstance(reason, Mapping):
            reason = reason.get("text") or reason.get("message") or reason.get("code")
        words.append(str(reason))
    return words


def _document_blocks(document: Mapping[str, Any]) -> list[str]:
    blocks = []
    for change in _pending(document):
        action = str(change.get("action"))
        known = {a.value: a for a in Action}
        symbol = SYMBOLS[known[action]] if action in known else "   "
        block = [f"{symbol} {printable(action)} {printable(str(change.get('name')))}"]
        block += [f"{INDENT}# {printable(reason)}" for reason in _reasons(change)]
        for field, values in (change.get("updates") or {}).items():
            block.append(f"{INDENT}{printable(str(field))}: "
                         f"{_value(values, 'from')} -> {_value(values, 'to')}")
        blocks.append("\n".join(block))
    return blocks


def _value(values: object, end: str) -> str:
    value = values.get(end) if isinstance(values, Mapping) else None
    return "(none)" if value is None else printable(str(value))


def _document_summary(document: Mapping[str, Any]) -> str:
    summary = document.get("summary") if isinstance(document.get("summary"), Mapping) else {}
    assert isinstance(summary, Mapping)
    counts = ", ".join(f"{summary.get(action.value, 0)} to {action.value}" for action in ACTIONS)
    return f"Plan: {counts}; {summary.get('needs_person', 0)} need a person's authorization."
