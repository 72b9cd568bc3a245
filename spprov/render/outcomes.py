"""What apply reports: one line per finished change, then what waits for a person."""

from __future__ import annotations

from spprov.escape import log_line
from spprov.hints import authorize_command
from spprov.model import Action, Outcome, Plan, Status

_VERBS = {
    "create": "created", "reauthorize": "reauthorized", "renew": "renewed",
    "repair": "repaired", "update": "updated", "delete": "deleted", "move": "moved",
}


def outcome_line(outcome: Outcome) -> str | None:
    """One line for one finished change; None for those listed at the end as waiting."""
    if outcome.status is Status.WAITING:
        return None
    if outcome.status is Status.DONE:
        verb = _VERBS.get(outcome.action.value, outcome.action.value)
        detail = "" if outcome.message in ("updated", "deleted") else f" ({outcome.message})"
        return log_line(f"{outcome.name}: {verb}{detail}")
    if outcome.status is Status.BLOCKED:
        return log_line(f"{outcome.name}: blocked, nothing done: {outcome.message}")
    if outcome.status is Status.FAILED and outcome.action is Action.NOOP:
        return log_line(f"{outcome.name}: {outcome.message}")
    if outcome.status is Status.FAILED:
        # Errors raised for one credential already start with its name: say it once.
        message = outcome.message.removeprefix(f"{outcome.name}: ")
        return log_line(f"{outcome.name}: {outcome.action.value} failed: {message}")
    return log_line(f"{outcome.name}: {outcome.message}")


def waiting_text(outcomes: list[Outcome]) -> str:
    """The list of credentials that need a person, with the page and the command."""
    waiting = [o for o in outcomes if o.status is Status.WAITING]
    if not waiting:
        return ""
    lines = [f"Waiting for a person's authorization ({len(waiting)}):"]
    for outcome in waiting:
        lines.append(f"  {log_line(outcome.name)} ({outcome.action.value})")
        if outcome.invited_through is not None:
            lines.append(f"    {log_line(outcome.message)}")
            if outcome.invitation_link:
                lines.append(f"    invitation link: {outcome.invitation_link}")
            continue
        if outcome.consent_page:
            lines.append(f"    consent page: {outcome.consent_page}")
        lines.append(f"    run: {authorize_command(outcome.name)}")
    return "\n".join(lines)


def interrupted_text(plan: Plan, finished: list[Outcome]) -> str:
    """What an interrupted apply finished and what it did not (nothing of it was undone)."""
    done = {outcome.name for outcome in finished}
    left = [c.name for c in (*plan.pending(), *plan.orphans()) if c.name not in done]
    lines = [f"Apply interrupted: {len(finished)} finished, {len(left)} not finished."]
    lines += [f"  finished: {line}" for o in finished if (line := outcome_line(o)) is not None]
    lines += [f"  finished: {log_line(f'{o.name}: {o.message}')}" for o in finished
              if o.status is Status.WAITING]
    lines += [f"  not finished: {log_line(name)}" for name in left]
    return "\n".join(lines)


def summary_line(outcomes: list[Outcome]) -> str:
    """Apply's closing line."""
    counts = {status: sum(1 for o in outcomes if o.status is status) for status in Status}
    blocked = f", {counts[Status.BLOCKED]} blocked" if counts[Status.BLOCKED] else ""
    return (f"Apply finished: {counts[Status.DONE]} done, {counts[Status.WAITING]} waiting "
            f"for a person, {counts[Status.FAILED]} failed{blocked}, "
            f"{counts[Status.KEPT]} orphans kept.")
