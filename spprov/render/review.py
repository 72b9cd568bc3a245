"""A plan's review against a base revision: where trust came from, and what the pull
request changes in the trust root and the apps (text, Markdown and JSON share the words).
"""

from __future__ import annotations

from typing import Any

from spprov.escape import excerpt, looks_secret
from spprov.model import AppChange, Review, TrustChange
from spprov.render.facts import plural

TRUST_HEADING = "Trust root"
APPS_HEADING = "Apps"
_SYMBOL = {"add": "+", "remove": "-", "update": "~"}
VALUE_CHARS = 200


def base_line(ref: str, source: str | None) -> str:
    """``trust root from origin/main (GITHUB_BASE_REF)``: the one line a run with a base
    prints on stderr."""
    return f"trust root from {ref} ({source or '--base'})"


def trust_heading(review: Review) -> str:
    """The Trust root section's first line."""
    if not review.trust:
        return (f"{TRUST_HEADING}: from {review.ref} ({review.source or '--base'}); the pull "
                "request does not change it.")
    return (f"{TRUST_HEADING}: from {review.ref} ({review.source or '--base'}); the pull "
            f"request's .sops.yaml changes it (not used until merged):")


def trust_line(change: TrustChange) -> str:
    """``+ recipient age1... (rule ^state/...)``; a secret-shaped value is never shown."""
    where = f" (rule {shown(change.rule)})" if change.rule else ""
    return f"{_SYMBOL[change.change]} {change.kind} {shown(change.value)}{where}"


def apps_heading(review: Review) -> str:
    """The Apps section's first line (only when some app changed)."""
    return (f"{APPS_HEADING}: the pull request changes {plural(len(review.apps), 'app')} "
            f"declared at {review.ref}:")


def app_line(change: AppChange) -> str:
    """``~ app acme`` (``+`` added, ``-`` removed)."""
    return f"{_SYMBOL[change.change]} app {shown(change.app)}"


def field_line(field: str, before: str | None, after: str | None) -> str:
    """``notifications.sqs_queue_url: "https://..." -> "https://..."``."""
    return f"{field}: {_value(before)} -> {_value(after)}"


def review_clause(review: Review) -> str:
    """``2 trust-root changes, 1 app changed against origin/main``."""
    parts = []
    if review.trust:
        parts.append(plural(len(review.trust), "trust-root change"))
    if review.apps:
        parts.append(f"{plural(len(review.apps), 'app')} changed")
    if review.problems:
        parts.append(f"{plural(len(review.problems), 'comparison')} not made")
    return f"{', '.join(parts)} against {review.ref}"


def review_json(review: Review | None) -> dict[str, Any] | None:
    """The ``review`` object of the plan JSON (null without a base)."""
    if review is None:
        return None
    return {
        "base": review.ref,
        "commit": review.commit,
        "source": review.source,
        "trust_root": [{"change": c.change, "kind": c.kind, "value": shown_json(c.value),
                        "rule": c.rule or None} for c in review.trust],
        "apps": [{"app": a.app, "change": a.change,
                  "fields": [{"field": f, "from": b, "to": t} for f, b, t in a.fields]}
                 for a in review.apps],
        "problems": list(review.problems),
    }


def shown(value: str) -> str:
    """A value of the trust root as a plan shows it: whole unless long or secret-shaped."""
    if looks_secret(value):
        return excerpt(value)
    return value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS] + "..."


def shown_json(value: str) -> str:
    """The same for JSON: a secret-shaped value is never written."""
    return excerpt(value) if looks_secret(value) else value


def _value(value: str | None) -> str:
    return "(none)" if value is None else shown(value)
