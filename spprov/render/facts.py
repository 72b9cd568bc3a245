"""What every plan rendering shares: the facts of a change, the summary, the wording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from spprov.model import Action, Change, KeyChange, Plan
from spprov.regions import consent_kind, endpoint

# The pending actions in the order summaries and tables list them.
ACTIONS = (Action.CREATE, Action.REAUTHORIZE, Action.RENEW, Action.REPAIR, Action.UPDATE,
           Action.DELETE)
ORPHAN_NOTE = "orphan: run apply --prune to delete"
KEYS_HEADING = "Keys: .sops.yaml differs from what the state files are encrypted for"
NOTE_PREFIX = "Note: "


@dataclass(frozen=True)
class Facts:
    """Where a credential lives, from its declaration or else from its state file."""

    app: str | None
    kind: str | None
    region: str | None
    environment: str | None
    consent_url: str | None
    sp_api_endpoint: str | None


def facts(change: Change) -> Facts:
    """The declared facts of a change; a deletion's come from the state file."""
    if change.desired is not None:
        c = change.desired
        return Facts(c.app, c.kind.value, c.region.value, c.environment.value,
                     c.consent_url, c.sp_api_endpoint)
    record = change.stored
    if record is None:  # an unreadable file nothing declares: nothing is known of it
        return Facts(None, None, None, None, None, None)
    stored_endpoint = endpoint(record.sp_api_endpoint)
    stored_kind = consent_kind(record.consent_url)
    return Facts(record.app, stored_kind.value if stored_kind else None, record.region.value,
                 stored_endpoint.environment.value if stored_endpoint else None,
                 record.consent_url, record.sp_api_endpoint)


def field_change(change: Change, field: str) -> tuple[str | None, str | None]:
    """A changed field's stored and declared values."""
    old: str | None = getattr(change.stored, field, None)
    new: str | None = getattr(change.desired, field, None)
    return old, new


def iso_z(moment: datetime | None) -> str | None:
    """A UTC time as ``2027-11-28T02:00:00Z`` (fractions kept when present)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``1 orphan``, ``2 orphans``."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def summary_line(plan: Plan) -> str:
    """``Plan: 1 to create, ...; 2 need a person's authorization.`` or ``No changes. ...``.

    A plan with blocked or unchecked credentials is incomplete and never says "No changes".
    """
    incomplete = incomplete_clause(plan)
    if incomplete is None:
        return _complete_summary(plan)
    if not plan.has_changes():
        return f"Plan incomplete: {incomplete}; nothing else to do."
    return f"{_complete_summary(plan)} Plan incomplete: {incomplete}."


def incomplete_clause(plan: Plan) -> str | None:
    """``1 blocked (state file unreadable), 2 not checked`` or None when complete."""
    blocked, unchecked = len(plan.blocked()), len(plan.unchecked())
    parts = []
    if blocked:
        parts.append(f"{blocked} blocked (state file unreadable)")
    if unchecked:
        parts.append(f"{unchecked} not checked")
    return ", ".join(parts) or None


def _complete_summary(plan: Plan) -> str:
    counts = plan.counts()
    orphans = len(plan.orphans())
    orphan_clause = f"; {plural(orphans, 'orphan')} (kept without --prune)" if orphans else ""
    if not plan.has_changes():
        noops = counts[Action.NOOP]
        verb = "is" if noops == 1 else "are"
        return (f"No changes. {plural(noops, 'credential')} {verb} up to date"
                f"{orphan_clause}.")
    review = _review_clause(plan)
    if not plan.pending() and (plan.keys or review):
        what = [f"{plural(len(plan.keys), 'key change')} (run `spprov rekey`)"] \
            if plan.keys else []
        what += [review] if review else []
        return f"Plan: {'; '.join(what)}; no credential changes{orphan_clause}."
    deletes = counts[Action.DELETE] if plan.prune else 0
    parts = [f"{counts[a] if a is not Action.DELETE else deletes} to {a}" for a in ACTIONS]
    moves = move_count(plan)
    if moves:  # named only when there are some, so plans without `moved` read as before
        parts.append(f"{moves} to move")
    people = len(plan.needs_person())
    verb = "needs" if people == 1 else "need"
    if plan.keys:
        orphan_clause += f"; {plural(len(plan.keys), 'key change')} (run `spprov rekey`)"
    if review:
        orphan_clause += f"; {review}"
    return (f"Plan: {', '.join(parts)}{orphan_clause}; "
            f"{people} {verb} a person's authorization.")


def _review_clause(plan: Plan) -> str:
    """``2 trust-root changes, 1 app changed against origin/main``, or "" without any."""
    if plan.review is None or not plan.review.has_changes():
        return ""
    from spprov.render.review import review_clause  # noqa: PLC0415 - it imports this module

    return review_clause(plan.review)


def key_line(key: KeyChange) -> str:
    """``+ recipient age1... (2 state files not yet encrypted for it)`` and its kin."""
    files = plural(key.files, "state file")
    if key.change == "add":
        return f"+ {key.kind} {key.value} ({files} not yet encrypted for it)"
    if key.kind == "recipient":
        return f"- {key.kind} {key.value} (still in {files}: run `spprov rekey`)"
    return (f"- {key.kind} {key.value} (named in {files}, not in .sops.yaml: restore "
            "them from Git or run `spprov rekey`)")


def move_count(plan: Plan) -> int:
    """Credentials moved plus app client secret files moved."""
    return plan.counts()[Action.MOVE] + len(plan.app_moves)


def app_move_reason(source: str) -> str:
    """Why an app's client secret file is renamed."""
    return f"state/apps/{source}.sops.yaml renamed (moved entry); the client secret is kept"
