"""Rotate an app's LWA client secret: subscribe, rotate, receive, try, store, acknowledge.

Resumable: a notification already waiting in the queue is used before anything is
rotated, so a run killed after Amazon rotated the secret is finished by the next run
without a second rotation. The message is deleted only after the new secret was tried
and stored; a failure before that leaves it in the queue for the next run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from spprov.amazon.lwa import ROTATION_SCOPE, ClientCredentials, LwaClient
from spprov.amazon.notifications import (
    NEW_SECRET,
    NOTIFICATIONS_SCOPE,
    NewSecretNotification,
    ensure_subscription,
    parse_new_secret,
    queue_arn,
)
from spprov.amazon.sqs import QueueMessage
from spprov.errors import InvalidClientError, SpprovError
from spprov.model import App, Desired
from spprov.regions import ENDPOINTS, Environment, Region
from spprov.secret import Secret
from spprov.state.store import StateStore

# While a pending notification may still be on its way, the first look waits this long.
FIRST_LOOK_SECONDS = 20


class MessageQueue(Protocol):
    """What rotation needs of a queue (spprov.amazon.sqs.Queue)."""

    shown: str

    def receive(self, wait_seconds: int) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...


@dataclass(frozen=True)
class Rotated:
    """How a rotation ended."""

    rotated_now: bool  # False: a pending notification from an earlier run was used
    stored: bool  # False: the new secret was already stored (only the message was left)
    old_secret_expires_at: datetime | None


@dataclass
class Rotator:
    """Carries out one app's rotation."""

    app: App
    endpoint: str
    lwa: LwaClient
    queue: MessageQueue
    store: StateStore
    current_secret: Callable[[], Secret]
    clock: Callable[[], datetime]
    say: Callable[[str], None]
    wait_seconds: int = 300
    rotate: bool = True  # False: only finish a rotation whose notification is pending

    def run(self) -> Rotated:
        """Finish a pending rotation, or rotate and wait for the notification."""
        found = self._receive(min(self.wait_seconds, FIRST_LOOK_SECONDS))
        rotated_now = False
        if not found:
            if not self.rotate:
                raise SpprovError(f"no {NEW_SECRET} notification for app {self.app.name} is "
                                  f"waiting in {self.queue.shown}")
            self._request_rotation()
            rotated_now = True
            found = self._receive(self.wait_seconds)
            if not found:
                raise SpprovError(self._nothing_arrived())
        newest = max(found, key=lambda pair: pair[1].event_time)[1]
        self._check(newest)
        stored = self.store.set_app_secret(self.app.name, newest.new_secret, self.clock())
        for message, _ in found:
            self.queue.delete(message)
        return Rotated(rotated_now, stored, newest.old_secret_expires_at)

    def _receive(self, wait_seconds: int) -> list[tuple[QueueMessage, NewSecretNotification]]:
        """This app's new-secret messages; polls until one arrives or the time is up."""
        deadline = time.monotonic() + wait_seconds
        while True:
            left = max(0, int(deadline - time.monotonic() + 0.999))
            received = self.queue.receive(left)
            mine = [(message, notification) for message in received
                    if (notification := parse_new_secret(message.body)) is not None
                    and notification.client_id == self.app.client_id]
            if mine or time.monotonic() >= deadline:
                return mine
            if received:  # other apps' messages stay visible: do not spin on them
                time.sleep(1)

    def _request_rotation(self) -> None:
        client = ClientCredentials(self.app.client_id, self.current_secret(), self.app.name)
        notifications = self.app.notifications
        assert notifications is not None
        arn = queue_arn(notifications.sqs_queue_url, notifications.aws_region)
        token = self.lwa.grantless_token(client, NOTIFICATIONS_SCOPE)
        ensure_subscription(self.lwa, self.endpoint, token, arn)
        self.say(f"app {self.app.name}: {NEW_SECRET} notifications go to {self.queue.shown}")
        rotation_token = self.lwa.grantless_token(client, ROTATION_SCOPE)
        self.lwa.rotate_client_secret(self.endpoint, rotation_token)
        self.say(f"app {self.app.name}: Amazon rotated the client secret; waiting up to "
                 f"{self.wait_seconds} s for the notification")

    def _check(self, notification: NewSecretNotification) -> None:
        client = ClientCredentials(self.app.client_id, notification.new_secret, self.app.name)
        try:
            self.lwa.grantless_token(client, NOTIFICATIONS_SCOPE)
        except InvalidClientError:
            raise SpprovError(
                f"app {self.app.name}: LWA refused the new client secret from the "
                f"{NEW_SECRET} notification (event time {notification.event_time or '?'}); "
                f"nothing was stored and the message stays in {self.queue.shown}") from None

    def _nothing_arrived(self) -> str:
        return (f"app {self.app.name}: Amazon accepted the rotation, but no {NEW_SECRET} "
                f"notification arrived in {self.queue.shown} within {self.wait_seconds} s; "
                "the new secret arrives only there: check that the queue's policy lets "
                "Amazon's notification service send to it, then run `spprov app "
                f"rotate-secret {self.app.name} --pending-only` to collect it without "
                "rotating again")


def rotation_endpoint(desired: Desired, app: str) -> str:
    """The production SP-API endpoint of the region of the app's first credential (NA if none)."""
    region = next((c.region for c in desired.credentials if c.app == app), Region.NA)
    return next(e.url for e in ENDPOINTS
                if e.region is region and e.environment is Environment.PRODUCTION)
