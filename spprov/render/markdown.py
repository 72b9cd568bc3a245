"""The plan as Markdown for a pull-request comment: stable, so an update means a new plan.

No time of generation appears, and everything a user wrote (descriptions, app names)
is escaped so that it cannot break a table or inject HTML into the comment.
"""

from __future__ import annotations

import json

from spprov.escape import html_text, markdown
from spprov.escape import lines as composed_output
from spprov.hints import authorize_command
from spprov.model import Action, Change, Plan, Review
from spprov.render import budget
from spprov.render import review as reviewed
from spprov.render.facts import (
    ACTIONS,
    KEYS_HEADING,
    app_move_reason,
    facts,
    field_change,
    key_line,
    summary_line,
)

HEADING = "## spprov plan"
TABLE_HEAD = "| credential | region | environment | reasons |\n|---|---|---|---|"


def plan_markdown(plan: Plan) -> str:
    """A heading, the summary, a table per action, details, and the commands to run."""
    parts = [HEADING, escape(summary_line(plan))]
    if plan.keys:
        parts.append(keys_table(plan))
    if plan.review is not None:
        parts += review_parts(plan.review)
    for action in (*ACTIONS, Action.MOVE):
        changes = [c for c in plan.changes if c.action is action and plan.is_pending(c)]
        if changes:
            parts.append(table(f"### {action} ({len(changes)})", changes))
    if plan.app_moves:
        parts.append(f"### app client secret files moved ({len(plan.app_moves)})\n\n"
                     + "\n".join(f"- app {escape(m.source)} -> app {escape(m.target)}: "
                                 f"{escape(app_move_reason(m.source))}"
                                 for m in plan.app_moves))
    if plan.notes:
        parts.append("### notes\n\n" + "\n".join(f"- {escape(n)}" for n in plan.notes))
    budgets = budget.shown(plan)
    if budgets:
        items = [f"- {escape(line)}" for b in budgets
                 for line in (budget.oauth_line(b), budget.self_line(b))]
        hint = budget.refusal_hint(plan)
        parts.append(f"### {budget.HEADING.lower()}\n\n" + "\n".join(items)
                     + (f"\n\n**{escape(hint)}**" if hint else ""))
    orphans = list(plan.orphans())
    if orphans:
        parts.append(table(f"### orphans, kept without --prune ({len(orphans)})", orphans))
    blocked = list(plan.blocked())
    if blocked:
        parts.append(table(f"### blocked: state file unreadable ({len(blocked)})", blocked))
    unchecked = list(plan.unchecked())
    if unchecked:
        parts.append(failure_table(f"### could not check ({len(unchecked)})", unchecked))
    shown = list(plan.pending()) + orphans
    if shown:
        parts.append("### details")
        parts += [details(c) for c in sorted(shown, key=lambda c: c.name)]
    waiting = plan.needs_person()
    if waiting:
        parts.append(commands(waiting))
    return composed_output("\n\n".join(parts))


def keys_table(plan: Plan) -> str:
    """Where .sops.yaml differs from the state files: one row per recipient or key service."""
    rows = [f"### keys ({len(plan.keys)})", "", f"{escape(KEYS_HEADING)}.", "",
            "| change | state files |", "|---|---|"]
    for key in plan.keys:
        line, _, files = key_line(key).partition(" (")
        rows.append(f"| {escape(line)} | {escape(files.removesuffix(')'))} |")
    return "\n".join(rows)


def review_parts(review: Review) -> list[str]:
    """``### trust root`` (always, with a base) and ``### apps changed`` (when any)."""
    rows = ["### trust root", "", escape(reviewed.trust_heading(review))]
    if review.trust or review.problems:
        rows += ["", "| change | rule |", "|---|---|"]
        for change in review.trust:
            line = reviewed.trust_line(change).split(" (rule ", 1)[0]
            rows.append(f"| {escape(line)} | {escape(reviewed.shown(change.rule) or '-')} |")
        rows += [f"| ! {escape(problem)} | - |" for problem in review.problems]
    parts = ["\n".join(rows)]
    if review.apps:
        apps = [f"### apps changed ({len(review.apps)})", "", escape(reviewed.apps_heading(review)),
                "", "| app | field | at base | now |", "|---|---|---|---|"]
        for app in review.apps:
            for field, before, after in app.fields:
                apps.append(f"| {escape(reviewed.app_line(app))} | {escape(field)} | "
                            f"{escape(reviewed.shown(before) if before else '(none)')} | "
                            f"{escape(reviewed.shown(after) if after else '(none)')} |")
        parts.append("\n".join(apps))
    return parts


def table(title: str, changes: list[Change]) -> str:
    """A titled table: one row per change with where it lives and why it changes."""
    rows = [title, TABLE_HEAD]
    for change in changes:
        where = facts(change)
        reasons = "<br>".join(escape(r) for r in change.reasons)
        rows.append(f"| {escape(change.name)} | {escape(where.region or '?')} | "
                    f"{escape(where.environment or '?')} | {reasons} |")
    return "\n".join(rows[:1] + [""] + rows[1:])


def failure_table(title: str, changes: list[Change]) -> str:
    """A titled table of credentials whose --refresh check could not be made, and why."""
    rows = [title, "", "| credential | kind | why |", "|---|---|---|"]
    for change in changes:
        assert change.failure is not None
        rows.append(f"| {escape(change.name)} | {change.failure.kind} | "
                    f"{escape(change.failure.message)} |")
    return "\n".join(rows)


def details(change: Change) -> str:
    """A collapsed block with everything about one change."""
    where = facts(change)
    expires = change.authorization_expires_at
    items = [
        ("app", where.app), ("account kind", where.kind),
        ("consent URL", where.consent_url), ("SP-API endpoint", where.sp_api_endpoint),
        ("authorization expires", expires.date().isoformat() if expires else None),
    ]
    lines = [f"<details><summary>{html_text(change.name)}: {change.action}</summary>", ""]
    lines += [f"- {label}: {escape(value)}" for label, value in items if value is not None]
    lines += ["- reasons:"] + [f"  - {escape(reason)}" for reason in change.reasons]
    if change.updates:
        lines.append("- changes:")
        lines += [f"  - {escape(line)}" for line in _field_changes(change)]
    return "\n".join([*lines, "", "</details>"])


def commands(waiting: tuple[Change, ...]) -> str:
    """What a person must run, since CI cannot give OAuth consent."""
    lines = ["### waiting for a person",
             "",
             "These credentials need a person's authorization (OAuth consent in a browser), "
             "which CI cannot give. Once this change is merged, someone who can sign in for "
             "the selling partner at the address shown, and who holds an age identity of "
             "this repository, runs:",
             "",
             "```sh"]
    width = max(len(change.name) for change in waiting)
    lines += [f"{authorize_command(change.name.ljust(width))}  # {_sign_in(change)}"
              for change in waiting]
    return "\n".join([*lines, "```"])


def _sign_in(change: Change) -> str:
    where = facts(change)
    return f"{change.action}: sign in at {where.consent_url}"


def escape(text: str) -> str:
    """Text that Markdown shows as written, on one line, with no HTML."""
    return markdown(text)


def _field_changes(change: Change) -> list[str]:
    lines = []
    for field in change.updates:
        old, new = (_value(field, value) for value in field_change(change, field))
        lines.append(f"{field}: {old} -> {new}")
    return lines


def _value(field: str, value: str | None) -> str:
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if field == "description" else value
