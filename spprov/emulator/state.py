"""The emulator's world: apps, codes, tokens, clock, stats and faults, behind one lock."""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from spprov.const import SELF_AUTHORIZATION_LIMIT
from spprov.regions import Region

CODE_LIFETIME_SECONDS = 300
ACCESS_TOKEN_LIFETIME_SECONDS = 3600
OLD_SECRET_GRACE_SECONDS = 7 * 24 * 3600
GRANTLESS_SCOPES = frozenset({
    "sellingpartnerapi::notifications",
    "sellingpartnerapi::client_credential:rotation",
})
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
NEW_SECRET_TYPE = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"  # noqa: S105 - a notification type
SECRET_EXPIRY_TYPE = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"  # noqa: S105 - a notification type
# Set up by a person in the Developer Console, never through the Notifications API.
APPLICATION_TYPES = frozenset({NEW_SECRET_TYPE, SECRET_EXPIRY_TYPE})
SECRET_LIFETIME_SECONDS = 180 * 24 * 3600
# rotateApplicationClientSecret's usage plan: 0.0167 requests/s, burst 1.
ROTATION_INTERVAL_SECONDS = 60
_CODE_ALPHABET = string.ascii_letters


def selling_partner_id(account: str, region: str) -> str:
    """The deterministic selling partner ID of an account in a region."""
    digest = hashlib.sha256(f"{account}|{region}".encode()).digest()
    return "A" + base64.b32encode(digest).decode()[:13]


def new_client_secret() -> str:
    """A client secret in Amazon's shape."""
    return "amzn1.oa2-cs.v1." + secrets.token_hex(32)


@dataclass
class App:
    """A registered LWA application with its current (and previous, for 7 days) secret."""

    application_id: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: list[str]
    draft: bool = False
    previous_secret: str | None = field(default=None, repr=False)
    previous_secret_until: float = 0.0
    appstore_listed: bool = False  # unlisted public apps hold 25 seller OAuth authorizations
    secret_expires_at: float = 0.0  # set at registration and by each rotation
    last_rotation_at: float | None = None

    def secret_matches(self, secret: str, now: float) -> bool:
        """The current secret, or the previous one during its 7-day grace."""
        if secrets.compare_digest(secret, self.client_secret):
            return True
        previous = self.previous_secret
        return (previous is not None and now < self.previous_secret_until
                and secrets.compare_digest(secret, previous))


@dataclass
class NotificationPreferences:
    """What a person entered in the Developer Console's Notification Preferences."""

    new_secret_queue_arn: str | None = None  # row "Application Client New Secret"
    secret_expiry_queue_arn: str | None = None  # row "Application Client Secret Expiry"

    def queue_for(self, notification_type: str) -> str | None:
        """The queue ARN registered for an application notification type."""
        if notification_type == NEW_SECRET_TYPE:
            return self.new_secret_queue_arn
        return self.secret_expiry_queue_arn


@dataclass
class Destination:
    """A notifications destination: an SQS queue, by ARN."""

    destination_id: str
    name: str
    arn: str


@dataclass
class Subscription:
    """An application-level subscription of one notification type to a destination."""

    subscription_id: str
    payload_version: str
    destination_id: str


@dataclass
class AuthorizationCode:
    """A consent's single-use code, bound to app, redirect URI, region and partner."""

    client_id: str
    redirect_uri: str
    region: Region
    selling_partner_id: str
    expires_at: float
    used: bool = False
    vendor: bool = False  # given at Vendor Central (no limit on vendors' authorizations)


@dataclass
class RefreshGrant:
    """One authorization: what a refresh token stands for."""

    client_id: str
    region: Region
    selling_partner_id: str
    revoked: bool = False
    vendor: bool = False
    self_authorized: bool = False  # the app owner's "Authorize" in Seller Central


@dataclass
class AccessGrant:
    """What an access token stands for; grantless tokens have a scope and no partner."""

    client_id: str
    region: Region | None
    selling_partner_id: str | None
    scope: str | None
    expires_at: float


@dataclass
class Faults:
    """Injected failures for the token endpoint and SP-API calls."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 500
    retry_after: int | None = None
    after_consume: bool = False
    drop_connection: bool = False
    count: int | None = None  # inject at most this many failures (None: no limit)

    def as_json(self) -> dict[str, Any]:
        """The settings as the faults control shows them."""
        return dict(vars(self))


def _token(prefix: str) -> str:
    # Real LWA tokens are a few hundred characters; the length matters for header sizes.
    return prefix + secrets.token_urlsafe(256)


class World:
    """Everything the emulator remembers; every method is safe to call from many threads."""

    def __init__(self, auto_approve: bool = False) -> None:
        self.lock = threading.RLock()
        self.auto_approve = auto_approve
        self.account = "default"
        self.apps: dict[str, App] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.refresh_grants: dict[str, RefreshGrant] = {}
        self.access_grants: dict[str, AccessGrant] = {}
        self.notifications: list[dict[str, Any]] = []
        # Notifications API: destinations and subscriptions per client id (application).
        self.destinations: dict[str, list[Destination]] = {}
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        # The console's notification preferences per client id (application notifications).
        self.preferences: dict[str, NotificationPreferences] = {}
        # Where notifications are sent through the real SQS API (moto in tests); None: kept
        # only in ``notifications``. Never Amazon's own SQS.
        self.sqs_endpoint_url: str | None = None
        self.rotations_completed = 0
        # Cleared by the settings control: a rotation answers only once it is set again,
        # so a test can stop spprov between Amazon's rotation and its answer.
        self.rotation_answer_gate = threading.Event()
        self.rotation_answer_gate.set()
        self.stats: Counter[str] = Counter()
        self.faults = Faults()
        self.faults_injected = 0
        self._rng = random.Random()  # noqa: S311 - fault injection, not security
        self._clock_offset = 0.0

    def now(self) -> float:
        """The emulator's clock: wall time plus whatever the clock control added."""
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (codes and tokens expire by it)."""
        with self.lock:
            self._clock_offset += seconds
            return self.now()

    def register(self, app: App) -> None:
        """Add or replace an app (keyed by client id)."""
        with self.lock:
            if not app.secret_expires_at:
                app.secret_expires_at = self.now() + SECRET_LIFETIME_SECONDS
            self.apps[app.client_id] = app

    def app_by_application_id(self, application_id: str) -> App | None:
        """The app with this application ID, if registered."""
        with self.lock:
            return next((a for a in self.apps.values() if a.application_id == application_id),
                        None)

    def oauth_partners(self, client_id: str) -> set[str]:
        """The sellers holding a live OAuth authorization of the app (what the 25 count)."""
        with self.lock:
            return {g.selling_partner_id for g in self.refresh_grants.values()
                    if g.client_id == client_id and not g.revoked and not g.vendor
                    and not g.self_authorized}

    def self_authorizations(self, client_id: str) -> int:
        """The app's live self-authorizations (at most 10)."""
        with self.lock:
            return sum(1 for g in self.refresh_grants.values()
                       if g.client_id == client_id and g.self_authorized and not g.revoked)

    def self_authorize(self, app: App, region: Region, partner: str) -> str | None:
        """A refresh token as the app owner's "Authorize" button gives it; None at the
        limit (nothing is issued)."""
        with self.lock:
            if self.self_authorizations(app.client_id) >= SELF_AUTHORIZATION_LIMIT:
                return None
            token = _token("Atzr|")
            self.refresh_grants[token] = RefreshGrant(app.client_id, region, partner,
                                                      self_authorized=True)
            return token

    def count(self, kind: str) -> None:
        """Count one Amazon request of this kind."""
        with self.lock:
            self.stats["total"] += 1
            self.stats[kind] += 1

    def issue_code(self, app: App, redirect_uri: str, region: Region, partner: str,
                   vendor: bool = False) -> str:
        """A fresh single-use code, valid 5 minutes by the emulator clock."""
        code = "AN" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(18))
        with self.lock:
            self.codes[code] = AuthorizationCode(app.client_id, redirect_uri, region, partner,
                                                 self.now() + CODE_LIFETIME_SECONDS,
                                                 vendor=vendor)
        return code

    def issue_refresh_token(self, code: AuthorizationCode) -> str:
        """A refresh token for the authorization a code stands for."""
        token = _token("Atzr|")
        with self.lock:
            self.refresh_grants[token] = RefreshGrant(code.client_id, code.region,
                                                      code.selling_partner_id,
                                                      vendor=code.vendor)
        return token

    def issue_access_token(self, client_id: str, region: Region | None, partner: str | None,
                           scope: str | None = None) -> str:
        """An access token valid one hour by the emulator clock."""
        token = _token("Atza|")
        with self.lock:
            self.access_grants[token] = AccessGrant(client_id, region, partner, scope,
                                                    self.now() + ACCESS_TOKEN_LIFETIME_SECONDS)
        return token

    def rotate_secret(self, app: App) -> dict[str, Any]:
        """Give the app a new secret (the old one works 7 more days); the notification."""
        with self.lock:
            now = self.now()
            app.previous_secret = app.client_secret
            app.previous_secret_until = now + OLD_SECRET_GRACE_SECONDS
            app.client_secret = new_client_secret()
            app.secret_expires_at = now + SECRET_LIFETIME_SECONDS
            app.last_rotation_at = now
            notification = _notification(app, NEW_SECRET_TYPE, now, {
                "applicationOAuthClientNewSecret": {
                    "clientId": app.client_id,
                    "newClientSecret": app.client_secret,
                    "newClientSecretExpiryTime": iso(app.secret_expires_at),
                    "oldClientSecretExpiryTime": iso(app.previous_secret_until),
                }})
            self.notifications.append(notification)
            return notification

    def expiry_notice(self, app: App) -> dict[str, Any]:
        """The ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY`` notice of the app's current secret."""
        with self.lock:
            notification = _notification(app, SECRET_EXPIRY_TYPE, self.now(), {
                "applicationOAuthClientSecretExpiry": {
                    "clientId": app.client_id,
                    "clientSecretExpiryTime": iso(app.secret_expires_at),
                    "clientSecretExpiryReason": "PERIODIC_ROTATION",
                }})
            self.notifications.append(notification)
            return notification

    def rotation_wait(self, app: App) -> float:
        """Seconds until the app may rotate again (0: now), by the usage plan."""
        with self.lock:
            if app.last_rotation_at is None:
                return 0.0
            return max(0.0, app.last_rotation_at + ROTATION_INTERVAL_SECONDS - self.now())

    def destination_arn(self, client_id: str, destination_id: str) -> str | None:
        """The SQS ARN of one of the app's destinations."""
        with self.lock:
            return next((d.arn for d in self.destinations.get(client_id, [])
                         if d.destination_id == destination_id), None)

    def set_faults(self, faults: Faults, seed: int | None) -> None:
        """Replace the fault settings; a seed makes the random draws repeatable."""
        with self.lock:
            self.faults = faults
            self.faults_injected = 0
            self._rng = random.Random(seed)  # noqa: S311 - fault injection, not security

    def draw_fault(self) -> Faults | None:
        """The fault settings when this request must fail, else None."""
        with self.lock:
            faults = self.faults
            if faults.count is not None and self.faults_injected >= faults.count:
                return None
            if faults.error_rate <= 0 or self._rng.random() >= faults.error_rate:
                return None
            self.faults_injected += 1
            return faults


def iso(moment: float) -> str:
    """An instant as Amazon's notifications write it: ``2024-01-10T22:09:17.456Z``."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
    return f"{whole}.{int(moment * 1000) % 1000:03d}Z"


def _notification(app: App, notification_type: str, now: float,
                  payload: dict[str, Any]) -> dict[str, Any]:
    # The shape of Amazon's application notifications as its samples show and read them
    # (amzn/selling-partner-api-samples: use-cases/lwa-rotation/docs/DEPLOYMENT.md,
    # use-cases/auth-lifecycle-management/QuickStart.md). Registered in the console, they
    # have no Notifications API subscription: subscriptionId names the console's.
    return {
        "notificationVersion": "1.0",
        "notificationType": notification_type,
        "payloadVersion": "2023-11-30",
        "eventTime": iso(now),
        "payload": payload,
        "notificationMetadata": {
            "applicationId": app.application_id,
            "subscriptionId": str(uuid.uuid5(uuid.NAMESPACE_URL, app.client_id)),
            "publishTime": iso(now),
            "notificationId": str(uuid.uuid4()),
        },
    }
