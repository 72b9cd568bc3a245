"""An SQS endpoint for `spprov app rotate-secret`: moto's server on a free loopback port.

Not a mock of boto3: spprov and the emulator talk to moto over real HTTP through boto3,
exactly as they would to Amazon's SQS; only the endpoint comes from the environment.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.fixtures_gitops import free_port

ACCOUNT = "123456789012"  # moto's account
REGION = "us-east-1"
QUEUE = "spprov-rotation"
DECLARED_QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE}"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
# The access policy Amazon's SP-API notifications need (its account 437568002678).
AMAZON_STATEMENT = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::437568002678:root"},
                    "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
                    "Resource": QUEUE_ARN}
# moto accepts any credentials; boto3 needs some to sign requests.
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION}


@dataclass(frozen=True)
class Sqs:
    """moto's SQS server with one standard queue."""

    endpoint: str
    queue_url: str
    client: Any

    @property
    def env(self) -> dict[str, str]:
        """What a spprov run needs to read the queue from this server."""
        return {**AWS_ENV, "SPPROV_SQS_ENDPOINT_URL": self.endpoint}

    def bodies(self) -> list[str]:
        """The bodies of the messages in the queue, left in place (visibility 0)."""
        answer = self.client.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                             VisibilityTimeout=0, WaitTimeSeconds=0)
        return [m["Body"] for m in answer.get("Messages", [])]

    def send(self, body: str) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def set_policy(self, *statements: dict[str, Any]) -> None:
        """Replace the queue's access policy (none: an empty one)."""
        policy = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        self.client.set_queue_attributes(QueueUrl=self.queue_url,
                                         Attributes={"Policy": policy if statements else ""})

    def admit_amazon(self) -> None:
        """The policy a person sets up for Amazon's notifications."""
        self.set_policy(AMAZON_STATEMENT)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto server per test process (starting and stopping one costs about a second).

    moto and boto3 are imported here, not at the top: most test processes never need them.
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def sqs(moto_endpoint: str) -> Sqs:
    """moto's SQS server on 127.0.0.1, emptied, with the queue the declarations name."""
    import boto3

    # moto keeps its state per process, not per server: start every test empty.
    httpx.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    client = boto3.session.Session().client(
        "sqs", region_name=REGION, endpoint_url=moto_endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
    queue_url = client.create_queue(QueueName=QUEUE)["QueueUrl"]
    return Sqs(moto_endpoint, queue_url, client)
