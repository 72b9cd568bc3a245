"""Plan renderings: text for a terminal, a versioned JSON document, Markdown for a PR.

The text and Markdown renderings live in ``render_text`` and ``render_markdown``; the
JSON document is here. Its shape is documented in docs/plan-format.md; a field is
never renamed or removed without a new ``format_version``.
"""

from __future__ import annotations

import json
from typing import Any

from spprov.model import Action, Change, Plan
from spprov.render import budget
from spprov.render.facts import ACTIONS, facts, field_change, iso_z, move_count
from spprov.render.markdown import plan_markdown
from spprov.render.review import review_json
from spprov.render.text import plan_text

__all__ = ["FORMAT_VERSION", "plan_document", "plan_json", "plan_markdown", "plan_text"]

FORMAT_VERSION = 1


def plan_json(plan: Plan) -> str:
    """The plan as a versioned JSON document; keys in a fixed order, no secret in it."""
    return json.dumps(plan_document(plan), indent=2, ensure_ascii=False)


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan's JSON document as a value (apply's report holds it too)."""
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": iso_z(plan.generated_at),
        "prune": plan.prune,
        "summary": _summary(plan),
        "changes": [_change(plan, change) for change in plan.changes],
        "keys": [{"change": key.change, "kind": key.kind, "value": key.value,
                  "state_files": key.files} for key in plan.keys],
        "app_moves": [{"from": m.source, "to": m.target} for m in plan.app_moves],
        "notes": list(plan.notes),
        "review": review_json(plan.review),
        "authorizations": [budget.as_json(b) for b in plan.budgets],
    }


def _summary(plan: Plan) -> dict[str, Any]:
    counts = plan.counts()
    summary: dict[str, Any] = {action.value: counts[action] for action in ACTIONS}
    orphans = len(plan.orphans())
    summary[Action.DELETE.value] -= orphans
    summary["orphans"] = orphans
    summary[Action.MOVE.value] = move_count(plan)
    summary["noop"] = counts[Action.NOOP]
    summary["needs_person"] = len(plan.needs_person())
    summary["key_changes"] = len(plan.keys)
    summary["review_changes"] = (len(plan.review.trust) + len(plan.review.apps)
                                 + len(plan.review.problems)) if plan.review else 0
    summary["has_changes"] = plan.has_changes()
    summary["blocked"] = len(plan.blocked())
    summary["unchecked"] = len(plan.unchecked())
    summary["complete"] = not plan.has_failures()
    return summary


def _change(plan: Plan, change: Change) -> dict[str, Any]:
    where = facts(change)
    return {
        "name": change.name,
        "action": change.action.value,
        "pending": plan.is_pending(change),
        "needs_person": change.action.needs_person,
        "reasons": list(change.reasons),
        "app": where.app,
        "kind": where.kind,
        "region": where.region,
        "environment": where.environment,
        "consent_url": where.consent_url,
        "sp_api_endpoint": where.sp_api_endpoint,
        "authorized_at": iso_z(change.stored.authorized_at) if change.stored else None,
        "authorization_expires_at": iso_z(change.authorization_expires_at),
        "updates": {field: dict(zip(("from", "to"), field_change(change, field), strict=True))
                    for field in change.updates},
        "failure": ({"kind": change.failure.kind.value, "message": change.failure.message}
                    if change.failure is not None else None),
        "moved_from": change.moved_from,
    }
