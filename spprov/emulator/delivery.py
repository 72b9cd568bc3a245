"""Deliver a notification to its SQS queue through the real SQS API (boto3).

Only to the endpoint the emulator was given (``--sqs-endpoint-url``, moto in tests): the
emulator never sends to Amazon's own SQS. Without boto3 or an endpoint, a notification
is only kept for ``GET /_emulator/notifications``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger("spprov.emulator.delivery")


def queue_url(endpoint: str, arn: str) -> str:
    """``ENDPOINT/ACCOUNT/QUEUE`` for ``arn:aws:sqs:REGION:ACCOUNT:QUEUE``."""
    parts = arn.split(":")
    return f"{endpoint.rstrip('/')}/{parts[4]}/{parts[5]}"


def deliver(endpoint: str | None, arn: str, notification: dict[str, Any]) -> bool:
    """Send ``notification`` to the queue ``arn``; False when it could not be sent."""
    if endpoint is None:
        return False
    try:
        import boto3
    except ImportError:
        log.warning("boto3 is not installed: notification kept, not sent to %s", arn)
        return False
    region = arn.split(":")[3]
    # Fixed credentials: the emulator talks to a local SQS server, never with real keys.
    client = boto3.session.Session().client(
        "sqs", region_name=region, endpoint_url=endpoint, aws_access_key_id="emulator",
        aws_secret_access_key="emulator")  # noqa: S106 - not a secret
    client.send_message(QueueUrl=queue_url(endpoint, arn), MessageBody=json.dumps(notification))
    return True
