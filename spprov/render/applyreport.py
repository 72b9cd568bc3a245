"""What apply did, as a versioned JSON document or Markdown, for a bot to read or send.

Both list every credential that waits for a person and, for one just invited through its
app's relay, the invitation link (printed once, recorded nowhere else): a bot reads the
JSON and sends each seller their link. The shape of the JSON document is documented in
docs/plan-format.md ("apply --json"); a field is never renamed or removed without a new
``format_version``.
"""

from __future__ import annotations

import json
from typing import Any

from spprov.errors import ExitCode
from spprov.hints import authorize_command
from spprov.model import Outcome, Plan, Status
from spprov.render.markdown import escape
from spprov.render.outcomes import outcome_line, summary_line
from spprov.render.plan import plan_document

FORMAT_VERSION = 1
HEADING = "## spprov apply"


def apply_json(plan: Plan, outcomes: list[Outcome], code: ExitCode) -> str:
    """The plan carried out, each outcome, the counts and the exit code."""
    document = {
        "format_version": FORMAT_VERSION,
        "exit_code": int(code),
        "summary": _counts(outcomes),
        "outcomes": [_outcome(outcome) for outcome in outcomes],
        "plan": plan_document(plan),
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def apply_markdown(outcomes: list[Outcome]) -> str:
    """A heading, what was done, what waits for a person (links and commands), the counts."""
    parts = [HEADING]
    finished = [line for o in outcomes if (line := outcome_line(o)) is not None]
    if finished:
        parts.append("### done or failed\n\n" + "\n".join(f"- {escape(line)}"
                                                          for line in finished))
    waiting = [o for o in outcomes if o.status is Status.WAITING]
    if waiting:
        parts.append(_waiting(waiting))
    parts.append(escape(summary_line(outcomes)))
    return "\n\n".join(parts)


def _waiting(waiting: list[Outcome]) -> str:
    lines = [f"### waiting for a person ({len(waiting)})", "",
             "| credential | action | what to do |", "|---|---|---|"]
    for outcome in waiting:
        if outcome.invitation_link:
            what = f"send the seller this invitation link: <{outcome.invitation_link}>"
        elif outcome.invited_through is not None:
            what = escape(outcome.message)
        else:
            page = outcome.consent_page
            what = f"run `{authorize_command(outcome.name)}`"
            what += f" (consent page: {escape(page)})" if page else ""
        lines.append(f"| {escape(outcome.name)} | {outcome.action.value} | {what} |")
    return "\n".join(lines)


def _counts(outcomes: list[Outcome]) -> dict[str, int]:
    return {status.value: sum(1 for o in outcomes if o.status is status) for status in Status}


def _outcome(outcome: Outcome) -> dict[str, Any]:
    waits = outcome.status is Status.WAITING
    invited = outcome.invited_through is not None
    return {
        "name": outcome.name,
        "action": outcome.action.value,
        "status": outcome.status.value,
        "message": outcome.message,
        "consent_page": outcome.consent_page,
        "invitation": ({"relay": outcome.invited_through, "link": outcome.invitation_link}
                       if invited else None),
        "run": authorize_command(outcome.name) if waits and not invited else None,
    }
