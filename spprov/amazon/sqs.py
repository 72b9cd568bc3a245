"""The SQS queue an app's notifications arrive in, read with boto3 (the ``aws`` extra).

The queue URL comes from the repository, so it is trusted only in the shape the schema
allows (``https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE``): boto3 talks to the regional
SQS endpoint of the declared region. ``SPPROV_SQS_ENDPOINT_URL`` (from the environment,
never from the repository) points it elsewhere, e.g. at moto in tests. AWS credentials
come from boto3's usual chain (environment, profile, instance role).

Messages are received with a visibility timeout of 0: a run killed at any point leaves
every message visible to the next run at once, and nothing is deleted before the new
secret is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from spprov.amazon.notifications import AMAZON_NOTIFICATIONS_ACCOUNT
from spprov.amazon.routing import is_loopback_host
from spprov.errors import SpprovError, UsageError
from spprov.model import Notifications

ENDPOINT_VARIABLE = "SPPROV_SQS_ENDPOINT_URL"
# spprov is not on PyPI yet, so `pip install 'spprov[aws]'` would fail: boto3 is all the
# aws extra adds, and installing it works whichever way spprov was installed.
MISSING_BOTO3 = ("this command needs boto3 to read the SQS queue: install it into spprov's "
                 "environment (`pip install boto3`, which is all spprov's aws extra adds)")
LONG_POLL_SECONDS = 20  # the most SQS allows per ReceiveMessage
_MISSING_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


@dataclass(frozen=True)
class QueueMessage:
    """One received message; the receipt handle deletes it."""

    message_id: str
    receipt_handle: str
    body: str


def load_boto3() -> Any:
    """The boto3 module, or one line naming the extra that installs it."""
    try:
        import boto3
    except ImportError:
        raise UsageError(MISSING_BOTO3) from None
    return boto3


def endpoint_from_env(environ: Mapping[str, str]) -> str | None:
    """``SPPROV_SQS_ENDPOINT_URL``: https, or http to a loopback address (tests)."""
    value = environ.get(ENDPOINT_VARIABLE, "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{ENDPOINT_VARIABLE}: {value!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(f"{ENDPOINT_VARIABLE}: refusing plain http to {parts.hostname} "
                         "(allowed to loopback addresses only)")
    return value


class Queue:
    """One SQS queue, read and acknowledged through boto3."""

    def __init__(self, notifications: Notifications, environ: Mapping[str, str]) -> None:
        boto3 = load_boto3()
        from botocore.config import Config

        endpoint = endpoint_from_env(environ)
        path = urlsplit(notifications.sqs_queue_url).path
        self.url = f"{endpoint}{path}" if endpoint else notifications.sqs_queue_url
        self.shown = notifications.sqs_queue_url
        config = Config(connect_timeout=10, read_timeout=LONG_POLL_SECONDS + 10,
                        retries={"max_attempts": 5, "mode": "standard"})
        self._client = _session(boto3, environ).client(
            "sqs", region_name=notifications.aws_region, endpoint_url=endpoint, config=config)

    def receive(self, wait_seconds: int) -> list[QueueMessage]:
        """Up to 10 messages, waiting at most ``wait_seconds`` (<= 20) for the first."""
        answer = self._call("receive from", self._client.receive_message, QueueUrl=self.url,
                            MaxNumberOfMessages=10, VisibilityTimeout=0,
                            WaitTimeSeconds=max(0, min(wait_seconds, LONG_POLL_SECONDS)))
        return [QueueMessage(str(m["MessageId"]), str(m["ReceiptHandle"]), str(m["Body"]))
                for m in answer.get("Messages", [])]

    def check_ready(self) -> str:
        """The queue's ARN, once it is known to exist and to admit Amazon's notifications."""
        from spprov.amazon.queuepolicy import missing_actions, statement_to_add

        answer = self._call("read the attributes of", self._client.get_queue_attributes,
                            QueueUrl=self.url, AttributeNames=["QueueArn", "Policy"])
        attributes = answer.get("Attributes", {})
        arn = str(attributes.get("QueueArn", ""))
        missing = missing_actions(attributes.get("Policy"), arn)
        if missing:
            raise SpprovError(
                f"SQS queue {self.shown}: its policy does not let Amazon's SP-API (AWS account "
                f"{AMAZON_NOTIFICATIONS_ACCOUNT}) {' and '.join(missing)}, so Amazon cannot "
                f"deliver the new secret: add the statement {statement_to_add(arn)} to the "
                "queue's access policy")
        return arn

    def delete(self, message: QueueMessage) -> None:
        """Delete a message that has been dealt with."""
        self._call("delete a message from", self._client.delete_message, QueueUrl=self.url,
                   ReceiptHandle=message.receipt_handle)

    def _call(self, doing: str, operation: Any, **arguments: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            answer: dict[str, Any] = operation(**arguments)
        except NoCredentialsError:
            raise SpprovError(
                f"cannot {doing} SQS queue {self.shown}: no AWS credentials found; set them "
                "the usual AWS way (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "an instance or CI role)") from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") in _MISSING_QUEUE:
                raise SpprovError(
                    f"SQS queue {self.shown} does not exist: create it (a standard queue) or "
                    "correct notifications.sqs_queue_url in the app's declaration") from None
            raise SpprovError(f"cannot {doing} SQS queue {self.shown}: "
                              f"{error.get('Code', 'error')}: "
                              f"{str(error.get('Message', ''))[:200]}") from None
        except BotoCoreError as exc:
            raise SpprovError(f"cannot {doing} SQS queue {self.shown}: "
                              f"{type(exc).__name__}") from None
        return answer


def _session(boto3: Any, environ: Mapping[str, str]) -> Any:
    """A boto3 session with the credentials or profile ``environ`` names. The rest of
    boto3's chain (config files, web identity, instance roles) reads the process's own
    environment, which is ``environ`` in a run of the command line."""
    return boto3.session.Session(
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY") or None,
        aws_session_token=environ.get("AWS_SESSION_TOKEN") or None,
        profile_name=environ.get("AWS_PROFILE") or None)
