"""Rotate an app's LWA client secret: check the queue, rotate, receive, try, store, acknowledge.

Amazon's way: a person registers the app's SQS queue in the Developer Console (there is
no API for it); ``rotateApplicationClientSecret`` (grantless) makes a new secret that
arrives only as an ``APPLICATION_OAUTH_CLIENT_NEW_SECRET`` message in that queue; Amazon
announces an expiry ahead with ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY``, which it
recommends as the trigger for rotating.

Resumable and order-proof. A notification already waiting is used before anything is
rotated, so a run killed after Amazon rotated is finished by the next run without a
second rotation. SQS delivers at least once and late, so each stored secret records its
notification's event time: a notification no newer than that never replaces it (it is
deleted and reported), nor does one whose secret LWA refuses (deleted and reported, so it
cannot block every later run). A message is deleted only after the secret it carries was
tried and stored, or found to be of no use.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from spprov.amazon.lwa import ROTATION_SCOPE, ClientCredentials, LwaClient
from spprov.amazon.notifications import (
    NEW_SECRET,
    NOTIFICATIONS_SCOPE,
    SECRET_EXPIRY,
    ExpiryNotice,
    NewSecretNotification,
    console_steps,
    parse_expiry_notice,
    parse_new_secret,
)
from spprov.amazon.sqs import QueueMessage
from spprov.errors import InvalidClientError, NotEnrolledError, SpprovError, UsageError
from spprov.model import App, Desired
from spprov.regions import ENDPOINTS, Environment, Region
from spprov.secret import Secret
from spprov.state.reader import AppSecret
from spprov.state.statefile import SecretTimes
from spprov.state.store import StateStore

# While a pending notification may still be on its way, the first look waits this long.
FIRST_LOOK_SECONDS = 20
# rotateApplicationClientSecret's usage plan: 0.0167 requests/s, burst 1.
ROTATION_INTERVAL = timedelta(seconds=60)


class MessageQueue(Protocol):
    """What rotation needs of a queue (spprov.amazon.sqs.Queue)."""

    shown: str

    def check_ready(self) -> str: ...

    def receive(self, wait_seconds: int) -> list[QueueMessage]: ...

    def delete(self, message: QueueMessage) -> None: ...


class Trigger(enum.Enum):
    """When a run asks Amazon for a new secret."""

    ALWAYS = "always"
    ON_EXPIRY_NOTICE = "on-expiry-notice"  # only when Amazon's expiry notice is waiting
    NEVER = "never"  # only collect a notification already in the queue


class Discard(enum.StrEnum):
    """Why a new-secret notification was deleted without storing its secret."""

    DUPLICATE = "a duplicate of the stored secret's notification"
    OLDER = "older than the stored secret"
    REFUSED = "its secret is refused by LWA (replaced by a later rotation)"


@dataclass(frozen=True)
class Discarded:
    """A notification deleted unused, and why."""

    notification: NewSecretNotification
    reason: Discard

    def line(self, app: str, queue: str) -> str:
        """The report line."""
        return (f"app {app}: deleted a {NEW_SECRET} notification ({self.notification.shown}) "
                f"from {queue}: {self.reason}")


@dataclass(frozen=True)
class Rotated:
    """How a rotation ended."""

    rotated_now: bool  # False: a pending notification from an earlier run was used
    stored: bool  # False: the new secret was already stored (only the message was left)
    old_secret_expires_at: datetime | None
    new_secret_expires_at: datetime | None = None
    discarded: tuple[Discarded, ...] = ()
    skipped: bool = False  # ON_EXPIRY_NOTICE without a notice: nothing was done


@dataclass
class _Found:
    new_secrets: list[tuple[QueueMessage, NewSecretNotification]] = field(default_factory=list)
    notices: list[tuple[QueueMessage, ExpiryNotice]] = field(default_factory=list)


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
    trigger: Trigger = Trigger.ALWAYS
    sleep: Callable[[float], None] = time.sleep
    _discarded: list[Discarded] = field(default_factory=list)

    def run(self) -> Rotated:
        """Finish a pending rotation, or rotate (as the trigger says) and collect the secret."""
        arn = self.queue.check_ready()
        found = self._receive(min(self.wait_seconds, FIRST_LOOK_SECONDS))
        settled = self._settle(found.new_secrets)
        if settled is not None:
            return self._finish(settled, found.notices, rotated_now=False)
        if self.trigger is Trigger.NEVER:
            raise SpprovError(f"no new {NEW_SECRET} notification for app {self.app.name} is "
                              f"waiting in {self.queue.shown}")
        if self.trigger is Trigger.ON_EXPIRY_NOTICE and not self._expiry_announced(found):
            return Rotated(False, False, None, discarded=tuple(self._discarded), skipped=True)
        self._request_rotation(arn)
        after = self._receive(self.wait_seconds, notices_too=False)
        settled = self._settle(after.new_secrets)
        if settled is None:
            raise SpprovError(self._nothing_arrived())
        return self._finish(settled, found.notices + after.notices, rotated_now=True)

    # -- receiving ----------------------------------------------------------------------

    def _receive(self, wait_seconds: int, notices_too: bool = True) -> _Found:
        """This app's messages; polls until one arrives (a new secret only, without
        ``notices_too``) or the time is up."""
        deadline = time.monotonic() + wait_seconds
        while True:
            left = max(0, int(deadline - time.monotonic() + 0.999))
            received = self.queue.receive(left)
            found = self._mine(received)
            if found.new_secrets or (notices_too and found.notices) \
                    or time.monotonic() >= deadline:
                return found
            if received:  # other messages stay visible: do not spin on them
                self.sleep(1)

    def _mine(self, received: Sequence[QueueMessage]) -> _Found:
        found = _Found()
        for message in received:
            secret = parse_new_secret(message.body)
            if secret is not None and secret.client_id == self.app.client_id:
                found.new_secrets.append((message, secret))
            notice = parse_expiry_notice(message.body)
            if notice is not None and notice.client_id == self.app.client_id:
                found.notices.append((message, notice))
        return found

    # -- deciding what a notification is worth ------------------------------------------

    def _settle(self, pending: list[tuple[QueueMessage, NewSecretNotification]],
                ) -> tuple[NewSecretNotification, bool] | None:
        """Store the newest usable secret; delete the rest. (notification, stored now)."""
        stored = self.store.reader.app_secret(self.app.name)
        kept: tuple[NewSecretNotification, bool] | None = None
        for message, notification in sorted(pending, key=_newest_first):
            if kept is None:
                kept = self._consider(notification, stored)
            else:
                self._discard(notification, _older_reason(notification, kept[0]))
            self.queue.delete(message)
        return kept

    def _consider(self, notification: NewSecretNotification,
                  stored: AppSecret | None) -> tuple[NewSecretNotification, bool] | None:
        """(notification, True) once stored; (.., False) if it is the stored one; else None."""
        if stored is not None and \
                stored.client_secret.reveal() == notification.new_secret.reveal():
            return notification, False  # an earlier run stored it, then stopped
        baseline = _baseline(stored)
        if baseline is not None and (notification.event_time is None
                                     or notification.event_time <= baseline):
            self._discard(notification, Discard.OLDER)
            return None
        if not self._accepted(notification):
            self._discard(notification, Discard.REFUSED)
            return None
        times = SecretTimes(notification.event_time or self.clock(),
                            notification.new_secret_expires_at)
        self.store.writer.set_app_secret(self.app.name, notification.new_secret, self.clock(),
                                         times)
        return notification, True

    def _discard(self, notification: NewSecretNotification, reason: Discard) -> None:
        discarded = Discarded(notification, reason)
        self._discarded.append(discarded)
        self.say(discarded.line(self.app.name, self.queue.shown))

    def _accepted(self, notification: NewSecretNotification) -> bool:
        client = ClientCredentials(self.app.client_id, notification.new_secret, self.app.name)
        try:
            self.lwa.grantless_token(client, NOTIFICATIONS_SCOPE)
        except InvalidClientError:
            return False
        return True

    def _finish(self, settled: tuple[NewSecretNotification, bool],
                notices: list[tuple[QueueMessage, ExpiryNotice]], rotated_now: bool) -> Rotated:
        notification, stored = settled
        deleted: set[str] = set()
        for message, notice in notices:  # they announced the end of the replaced secret
            if message.message_id not in deleted \
                    and _announces_before(notice, notification.new_secret_expires_at):
                self.queue.delete(message)
                deleted.add(message.message_id)
        return Rotated(rotated_now, stored, notification.old_secret_expires_at,
                       notification.new_secret_expires_at, tuple(self._discarded))

    def _expiry_announced(self, found: _Found) -> bool:
        """Whether an expiry notice of the stored secret waits; older notices are deleted."""
        stored = self.store.reader.app_secret(self.app.name)
        expires = stored.times.expires_at if stored and stored.times else None
        waiting = False
        for message, notice in found.notices:
            if expires is not None and _announces_before(notice, expires):
                self.queue.delete(message)  # about a secret already replaced
                self.say(f"app {self.app.name}: deleted a {SECRET_EXPIRY} notice for a secret "
                         f"already replaced from {self.queue.shown}")
            else:
                waiting = True
        return waiting

    # -- asking Amazon ------------------------------------------------------------------

    def _request_rotation(self, arn: str) -> None:
        self._respect_rate()
        client = ClientCredentials(self.app.client_id, self.current_secret(), self.app.name)
        rotation_token = self.lwa.grantless_token(client, ROTATION_SCOPE)
        try:
            self.lwa.rotate_client_secret(self.endpoint, rotation_token)
        except NotEnrolledError:
            steps = console_steps(self.app.name, arn,
                                  expiry_too=self.trigger is Trigger.ON_EXPIRY_NOTICE)
            raise SpprovError("\n".join(steps)) from None
        self.say(f"app {self.app.name}: Amazon rotated the client secret; waiting up to "
                 f"{self.wait_seconds} s for the notification in {self.queue.shown}")

    def _respect_rate(self) -> None:
        """Wait out Amazon's one rotation a minute after the stored secret's own rotation."""
        stored = self.store.reader.app_secret(self.app.name)
        if stored is None or stored.times is None:
            return
        since = self.clock() - stored.times.event_time
        if timedelta(0) <= since < ROTATION_INTERVAL:
            left = (ROTATION_INTERVAL - since).total_seconds()
            self.say(f"app {self.app.name}: the last rotation was {since.total_seconds():.0f} s "
                     f"ago; Amazon allows one a minute: waiting {left:.0f} s")
            self.sleep(left)

    def _nothing_arrived(self) -> str:
        return (f"app {self.app.name}: Amazon accepted the rotation, but no {NEW_SECRET} "
                f"notification arrived in {self.queue.shown} within {self.wait_seconds} s; "
                "the new secret arrives only there: check the queue registered in the "
                "Developer Console's Notification Preferences, then run `spprov app "
                f"rotate-secret {self.app.name} --pending-only` to collect it without "
                "rotating again")


def _newest_first(pair: tuple[QueueMessage, NewSecretNotification]) -> tuple[int, float]:
    moment = pair[1].event_time
    return (0, -moment.timestamp()) if moment is not None else (1, 0.0)


def _older_reason(notification: NewSecretNotification, kept: NewSecretNotification) -> Discard:
    same = notification.new_secret.reveal() == kept.new_secret.reveal()
    return Discard.DUPLICATE if same else Discard.OLDER


def _baseline(stored: AppSecret | None) -> datetime | None:
    """The stored secret's place in time: its notification's event time, or when it was set."""
    if stored is None:
        return None
    return stored.times.event_time if stored.times is not None else stored.set_at


def _announces_before(notice: ExpiryNotice, expires: datetime | None) -> bool:
    """Whether the notice is about a secret that expires before ``expires``."""
    return notice.secret_expires_at is None or expires is None \
        or notice.secret_expires_at < expires


def rotation_endpoint(desired: Desired, app: str) -> str:
    """The production SP-API endpoint of the app's first production credential (NA if none).

    An app whose every declared credential is a sandbox one is refused: Amazon's rotation
    "cannot be called using a sandbox application".
    """
    credentials = [c for c in desired.credentials if c.app == app]
    production = [c for c in credentials if c.environment is Environment.PRODUCTION]
    if credentials and not production:
        raise UsageError(
            f"app {app}: every credential declared for it uses the SP-API sandbox, and Amazon's "
            "rotateApplicationClientSecret cannot be called for a sandbox application; rotate "
            "the secret of the production app (or declare one of its production credentials)")
    region = production[0].region if production else Region.NA
    return next(e.url for e in ENDPOINTS
                if e.region is region and e.environment is Environment.PRODUCTION)
