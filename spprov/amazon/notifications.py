"""Amazon's application notifications: a rotated client secret, a secret about to expire.

Neither is a Notifications API subscription. A person registers the app's SQS queue in
the Developer Console (Notification Preferences, rows "Application Client New Secret" and
"Application Client Secret Expiry"); Amazon's auth-lifecycle sample: "There is no API
available for subscription setup for rotating client secret". Bodies as Amazon's samples
read them (amzn/selling-partner-api-samples, use-cases/lwa-rotation and
use-cases/auth-lifecycle-management).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from spprov.secret import Secret

NEW_SECRET = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"  # noqa: S105 - a notification type
SECRET_EXPIRY = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"  # noqa: S105 - a notification type
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
# The AWS account Amazon's SP-API notifications are sent from; the queue policy must let it
# sqs:SendMessage and sqs:GetQueueAttributes.
AMAZON_NOTIFICATIONS_ACCOUNT = "437568002678"
AMAZON_NOTIFICATIONS_PRINCIPAL = f"arn:aws:iam::{AMAZON_NOTIFICATIONS_ACCOUNT}:root"
QUEUE_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueAttributes")


@dataclass(frozen=True)
class NewSecretNotification:
    """The content of one ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` message."""

    client_id: str
    new_secret: Secret
    new_secret_expires_at: datetime | None
    old_secret_expires_at: datetime | None
    event_time: datetime | None

    @property
    def shown(self) -> str:
        """How a report names it: by its event time."""
        return f"event time {_shown(self.event_time)}"


@dataclass(frozen=True)
class ExpiryNotice:
    """The content of one ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`` message."""

    client_id: str
    secret_expires_at: datetime | None
    reason: str
    event_time: datetime | None


def queue_arn(queue_url: str, region: str) -> str:
    """``arn:aws:sqs:REGION:ACCOUNT:QUEUE`` of ``https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE``."""
    account, _, queue = urlsplit(queue_url).path.strip("/").partition("/")
    return f"arn:aws:sqs:{region}:{account}:{queue}"


def console_steps(app: str, arn: str, expiry_too: bool) -> list[str]:
    """What a person does in the Developer Console so Amazon can send the app's secrets."""
    rows = '"Application Client New Secret"' + (
        ' and "Application Client Secret Expiry"' if expiry_too else "")
    return [
        f"app {app}: Amazon says the app is not enrolled for rotation notifications; only a "
        "person can register the queue (there is no API for it):",
        "  1. sign in to the Solution Provider Portal (or Seller Central > Apps and Services > "
        "Develop Apps, or Vendor Central > Integration > API Integration)",
        f"  2. open the app's Notification Preferences and, in the row {rows}, enter the SQS "
        f"queue ARN {arn}",
        f"  3. save, then run `spprov app rotate-secret {app}` again",
    ]


def _document(body: str, notification_type: str) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("notificationType") != notification_type:
        return None
    payload = document.get("payload")
    return document if isinstance(payload, dict) else None


def parse_new_secret(body: str) -> NewSecretNotification | None:
    """The new-secret content of an SQS message body; None for any other message."""
    document = _document(body, NEW_SECRET)
    content = document["payload"].get("applicationOAuthClientNewSecret") if document else None
    if document is None or not isinstance(content, dict):
        return None
    client_id, secret = content.get("clientId"), content.get("newClientSecret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not secret:
        return None
    return NewSecretNotification(client_id, Secret(secret),
                                 parse_time(content.get("newClientSecretExpiryTime")),
                                 parse_time(content.get("oldClientSecretExpiryTime")),
                                 parse_time(document.get("eventTime")))


def parse_expiry_notice(body: str) -> ExpiryNotice | None:
    """The content of a secret-expiry notice; None for any other message."""
    document = _document(body, SECRET_EXPIRY)
    content = document["payload"].get("applicationOAuthClientSecretExpiry") if document else None
    if document is None or not isinstance(content, dict):
        return None
    client_id = content.get("clientId")
    if not isinstance(client_id, str):
        return None
    return ExpiryNotice(client_id, parse_time(content.get("clientSecretExpiryTime")),
                        str(content.get("clientSecretExpiryReason", "")),
                        parse_time(document.get("eventTime")))


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 instant as Amazon writes them (``2024-01-10T22:09:17.456Z``), or None."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def _shown(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
