"""Whether an SQS queue policy lets Amazon's SP-API deliver the app's notifications.

Amazon sends from AWS account 437568002678 and needs ``sqs:SendMessage`` and
``sqs:GetQueueAttributes`` on the queue. The policy is read as IAM reads the parts that
matter here: Allow statements whose principal, action and resource cover Amazon, minus
any Deny that covers it. Conditions cannot be judged from outside, so a statement with
one counts as it would without (a warning is not worth a false refusal).
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from spprov.amazon.notifications import (
    AMAZON_NOTIFICATIONS_ACCOUNT,
    AMAZON_NOTIFICATIONS_PRINCIPAL,
    QUEUE_ACTIONS,
)


def missing_actions(policy: str | None, arn: str) -> list[str]:
    """The actions of QUEUE_ACTIONS the policy does not grant Amazon on ``arn``."""
    statements = _statements(policy)
    return [action for action in QUEUE_ACTIONS
            if not _decides(statements, "Allow", action, arn)
            or _decides(statements, "Deny", action, arn)]


def statement_to_add(arn: str) -> str:
    """The policy statement that grants what Amazon needs, as one line of JSON."""
    return json.dumps({"Effect": "Allow", "Principal": {"AWS": AMAZON_NOTIFICATIONS_PRINCIPAL},
                       "Action": list(QUEUE_ACTIONS), "Resource": arn})


def _statements(policy: str | None) -> list[dict[str, Any]]:
    if not policy:
        return []
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return []
    found = document.get("Statement", []) if isinstance(document, dict) else []
    found = [found] if isinstance(found, dict) else found
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def _decides(statements: list[dict[str, Any]], effect: str, action: str, arn: str) -> bool:
    return any(s.get("Effect") == effect and _covers_principal(s.get("Principal"))
               and _matches(s.get("Action"), action) and _matches(s.get("Resource", "*"), arn)
               for s in statements)


def _covers_principal(principal: object) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    names = principal.get("AWS")
    return any(name in ("*", AMAZON_NOTIFICATIONS_ACCOUNT, AMAZON_NOTIFICATIONS_PRINCIPAL)
               for name in _listed(names))


def _matches(patterns: object, value: str) -> bool:
    # IAM's action names are case-insensitive; resources are not.
    fold = value.startswith("sqs:")
    return any(fnmatchcase(value.lower() if fold else value,
                           pattern.lower() if fold else pattern)
               for pattern in _listed(patterns))


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
