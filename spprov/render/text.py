"""The plan as text for a terminal, in Terraform's shape: symbol, action, name, why, what."""

from __future__ import annotations

import json

from spprov.escape import lines, printable
from spprov.model import Action, AppMove, Change, Plan, Review
from spprov.render import budget
from spprov.render import review as reviewed
from spprov.render.facts import (
    KEYS_HEADING,
    NOTE_PREFIX,
    ORPHAN_NOTE,
    app_move_reason,
    field_change,
    key_line,
    summary_line,
)
from spprov.render.style import styled

HEADER = "spprov will perform the following actions:"

# Right-aligned like Terraform's, so names line up under each other.
SYMBOLS = {
    Action.CREATE: "  +",
    Action.REAUTHORIZE: "-/+",
    Action.RENEW: "  >",
    Action.REPAIR: "  !",
    Action.MOVE: " =>",
    Action.UPDATE: "  ~",
    Action.DELETE: "  -",
    Action.BLOCKED: "  x",
    Action.NOOP: "   ",
}
UNCHECKED_SYMBOL = "  ?"
COLORS = {
    Action.CREATE: "green",
    Action.REAUTHORIZE: "magenta",
    Action.RENEW: "cyan",
    Action.REPAIR: "red",
    Action.MOVE: "blue",
    Action.UPDATE: "yellow",
    Action.DELETE: "red",
    Action.BLOCKED: "red",
    Action.NOOP: "white",
}
INDENT = "      "


def plan_text(plan: Plan, color: bool) -> str:
    """The plan for a person: one block per pending change or orphan, then the summary."""
    shown = [c for c in plan.changes
             if plan.is_pending(c) or c.action in (Action.DELETE, Action.BLOCKED)]
    sections = [HEADER] if plan.has_changes() else []
    sections += [app_move_block(m, color) for m in plan.app_moves]
    sections += [change_block(c, orphan=c.action is Action.DELETE and not plan.is_pending(c),
                              color=color) for c in shown]
    sections += [unchecked_block(c, color) for c in plan.unchecked() if c not in shown]
    if plan.keys:
        sections.append("\n".join([KEYS_HEADING + ":"]
                                   + [f"  {printable(key_line(key))}" for key in plan.keys]))
    if plan.review is not None:
        sections += review_sections(plan.review)
    if plan.notes:
        sections.append("\n".join(f"{NOTE_PREFIX}{printable(note)}" for note in plan.notes))
    budgets = budget.shown(plan)
    if budgets:
        block = [f"{budget.HEADING}:"] + [f"  {line}" for b in budgets
                                           for line in budget.lines(b)]
        hint = budget.refusal_hint(plan)
        if hint is not None:
            block.append(f"  {hint}")
        sections.append("\n".join(block))
    summary = summary_line(plan)
    sections.append(styled(summary, bold=True) if color else summary)
    return lines("\n\n".join(sections))


def review_sections(review: Review) -> list[str]:
    """The Trust root section (always, with a base), the Apps section (when an app
    changed) and what could not be compared."""
    trust = [reviewed.trust_heading(review)]
    trust += [f"  {printable(reviewed.trust_line(change))}" for change in review.trust]
    trust += [f"  ! {printable(problem)}" for problem in review.problems]
    sections = ["\n".join(trust)]
    if review.apps:
        apps = [reviewed.apps_heading(review)]
        for change in review.apps:
            apps.append(f"  {printable(reviewed.app_line(change))}")
            apps += [f"{INDENT}{printable(reviewed.field_line(*field))}"
                     for field in change.fields]
        sections.append("\n".join(apps))
    return sections


def app_move_block(move: AppMove, color: bool = False) -> str:
    """An app's client secret file that follows the app's new name."""
    head = f"{SYMBOLS[Action.MOVE]} move"
    if color:
        head = styled(head, fg=COLORS[Action.MOVE], bold=True)
    return (f"{head} app {printable(move.source)} -> app {printable(move.target)}\n"
            f"{INDENT}# {printable(app_move_reason(move.source))}")


def change_block(change: Change, orphan: bool = False, color: bool = False) -> str:
    """One change: the symbol line, its reasons as comments, then the fields it rewrites."""
    head = f"{SYMBOLS[change.action]} {change.action}"
    if color:
        head = styled(head, fg=COLORS[change.action], bold=True)
    title = f"{head} {printable(change.name)}"
    if orphan:
        title += f" ({ORPHAN_NOTE})"
    lines = [title]
    lines += [f"{INDENT}# {printable(reason)}" for reason in change.reasons]
    if change.failure is not None and change.action is not Action.BLOCKED:
        lines.append(f"{INDENT}# {printable(change.failure.message)}")
    lines += [f"{INDENT}{line}" for line in field_lines(change)]
    return "\n".join(lines)


def unchecked_block(change: Change, color: bool) -> str:
    """A credential with nothing to do whose --refresh check could not be made."""
    assert change.failure is not None
    head = f"{UNCHECKED_SYMBOL} unchecked"
    if color:
        head = styled(head, fg="red", bold=True)
    return (f"{head} {printable(change.name)}\n"
            f"{INDENT}# {printable(change.failure.message)}")


def field_lines(change: Change) -> list[str]:
    """``field: old -> new`` for each rewritten field; a new credential's declared fields."""
    if change.action is Action.CREATE and change.desired is not None:
        credential = change.desired
        return [f"app: {printable(credential.app)}",
                f"consent_url: {printable(credential.consent_url)}",
                f"sp_api_endpoint: {printable(credential.sp_api_endpoint)}"]
    lines = []
    for field in change.updates:
        old, new = field_change(change, field)
        lines.append(f"{field}: {shown(field, old)} -> {shown(field, new)}")
    return lines


def shown(field: str, value: str | None) -> str:
    """A field value as written in the plan: descriptions quoted, a missing one as (none)."""
    if value is None:
        return "(none)"
    if field == "description":
        return printable(json.dumps(value, ensure_ascii=False))
    return printable(value)


