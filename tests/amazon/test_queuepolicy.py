"""Reading an SQS queue policy for what Amazon's notifications need (pure; the moto-backed
checks are in tests/reconcile/test_rotation.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spprov.amazon.queuepolicy import missing_actions

ARN = "arn:aws:sqs:us-east-1:123456789012:q"
BOTH = ["sqs:SendMessage", "sqs:GetQueueAttributes"]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: object, action: object, resource: object = ARN,
          effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource}


@pytest.mark.parametrize(("document", "missing"), [
    (None, BOTH),
    ("not json", BOTH),
    (policy(allow({"AWS": "arn:aws:iam::437568002678:root"}, BOTH)), []),
    (policy(allow({"AWS": ["111111111111", "437568002678"]}, "SQS:*")), []),
    (policy(allow("*", "*", "*")), []),
    (policy(allow({"AWS": "437568002678"}, "sqs:SendMessage")), ["sqs:GetQueueAttributes"]),
    (policy(allow({"AWS": "437568002678"}, BOTH, "arn:aws:sqs:us-east-1:123456789012:other")),
     BOTH),
    (policy(allow({"AWS": "437568002678"}, BOTH, "arn:aws:sqs:*:123456789012:*")), []),
    (policy(allow({"Service": "sns.amazonaws.com"}, BOTH)), BOTH),
    (policy(allow("*", "*"), allow({"AWS": "437568002678"}, "sqs:SendMessage", ARN, "Deny")),
     ["sqs:SendMessage"]),
    (json.dumps({"Statement": allow({"AWS": "437568002678"}, BOTH)}), []),  # one, not a list
])
def test_missing_actions(document: str | None, missing: list[str]) -> None:
    assert missing_actions(document, ARN) == missing
