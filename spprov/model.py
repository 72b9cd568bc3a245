"""The values that flow through spprov: config -> plan -> apply -> state."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

from spprov.errors import (
    InvalidGrantError,
    Location,
    SpprovError,
    StateLockedError,
    TransientAmazonError,
)
from spprov.regions import AccountKind, Environment, Region

DEFAULT_AUTHORIZATION_LIFETIME_DAYS = 365
DEFAULT_RENEWAL_WINDOW_DAYS = 30
STATE_FORMAT = 2
# Where a relay receives Amazon's redirect: an app with a relay declares BASE_URL + this.
RELAY_CALLBACK_PATH = "/callback"
# Format 1 files (no recorded app identity) are still read; the next write upgrades them.
READABLE_STATE_FORMATS = (1, 2)


@dataclass(frozen=True)
class Notifications:
    """Where Amazon sends the app's notifications: an SQS queue (for secret rotation)."""

    sqs_queue_url: str
    aws_region: str


@dataclass(frozen=True)
class App:
    """An SP-API application (LWA client) that credentials are authorized for."""

    name: str
    application_id: str
    client_id: str
    redirect_uri: str
    draft: bool = False
    # None: private / self-authorized apps whose authorization does not expire.
    authorization_lifetime_days: int | None = DEFAULT_AUTHORIZATION_LIFETIME_DAYS
    renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS
    notifications: Notifications | None = None
    # The public base URL of the app's relay (no trailing slash), which invitations open.
    relay: str | None = None
    # Listed in the Selling Partner Appstore: no limit on seller OAuth authorizations.
    appstore_listed: bool = False
    # The SP-API roles the app has (spprov.roles.ROLES); None: not declared, not tracked.
    roles: tuple[str, ...] | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Credential:
    """One declared credential: a selling partner's authorization of an app in a region."""

    name: str
    app: str
    kind: AccountKind
    consent_url: str
    sp_api_endpoint: str
    region: Region
    environment: Environment
    description: str | None = None
    selling_partner_id: str | None = None
    authorization_version: int = 1
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Moved:
    """A `moved` entry: a credential (or, with ``app``, an app) renamed without consent."""

    source: str
    target: str
    app: bool = False
    location: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        kind = "app " if self.app else ""
        return f"{kind}{self.source} -> {kind}{self.target}"


@dataclass(frozen=True)
class Desired:
    """Everything the credential files declare; credentials sorted by name."""

    apps: dict[str, App]
    credentials: tuple[Credential, ...]
    moved: tuple[Moved, ...] = ()

    @cached_property
    def by_name(self) -> dict[str, Credential]:
        """Credentials by name (verify, --refresh and status look one up per state file)."""
        return {credential.name: credential for credential in self.credentials}

    def credential(self, name: str) -> Credential | None:
        """The declared credential with this name, or None."""
        return self.by_name.get(name)


@dataclass(frozen=True)
class AppIdentity:
    """Which app a grant was made for and where its consent returned (state format 2)."""

    application_id: str
    redirect_uri: str
    draft: bool
    authorization_lifetime_days: int | None

    @classmethod
    def of(cls, app: App) -> AppIdentity:
        """The identity an app declares now."""
        return cls(app.application_id, app.redirect_uri, app.draft,
                   app.authorization_lifetime_days)


class AuthorizationMethod(enum.StrEnum):
    """How the stored refresh token was obtained."""

    WEBSITE = "website"
    SELF = "self"


@dataclass(frozen=True)
class Record:
    """The readable (non-secret) fields of one state file; reading it decrypts nothing."""

    name: str
    app: str
    client_id: str
    region: Region
    consent_url: str
    sp_api_endpoint: str
    authorization_method: AuthorizationMethod
    authorization_version: int
    authorized_at: datetime
    description: str | None = None
    selling_partner_id: str | None = None
    # None in format 1 files, which did not record it.
    identity: AppIdentity | None = None
    # The app's roles when the grant was made; None: not recorded (a file written before
    # spprov recorded roles, or an app that declared none): unknown.
    roles: tuple[str, ...] | None = None
    format: int = STATE_FORMAT
    path: Path | None = field(default=None, compare=False)


class Action(enum.StrEnum):
    """What the plan does for one credential, in the order a reader meets them."""

    CREATE = "create"
    REAUTHORIZE = "reauthorize"
    RENEW = "renew"
    REPAIR = "repair"
    MOVE = "move"  # renamed by a `moved` entry: the state file follows, no person needed
    UPDATE = "update"
    DELETE = "delete"
    BLOCKED = "blocked"  # a state file exists but cannot be read: nothing is done for it
    NOOP = "noop"

    @property
    def needs_person(self) -> bool:
        """True when carrying it out takes a person's OAuth consent."""
        return self in _PERSON_ACTIONS


_PERSON_ACTIONS = frozenset({Action.CREATE, Action.REAUTHORIZE, Action.RENEW, Action.REPAIR})


class TokenCheck(enum.StrEnum):
    """What `--refresh` learned about one stored refresh token."""

    OK = "ok"
    REVOKED = "revoked"  # LWA answered invalid_grant
    ERROR = "error"  # the check itself failed (network, secret): nothing learned


class ErrorKind(enum.StrEnum):
    """What kind of failure something met, which decides what a person does next."""

    TRANSIENT = "transient"  # may pass on its own: Amazon unreachable or throttled, the lock
    PERMANENT = "permanent"  # stays until something is fixed: a file, a secret, a key
    NEEDS_PERSON = "needs_person"  # a person must authorize: a revoked token, a used-up code


@dataclass(frozen=True)
class Failure:
    """A failure as a value: its kind and the one line that says what and what to do."""

    kind: ErrorKind
    message: str

    @classmethod
    def of(cls, error: SpprovError) -> Failure:
        """The failure an error stands for; the kind comes from the error's type."""
        if isinstance(error, InvalidGrantError):
            kind = ErrorKind.NEEDS_PERSON
        elif isinstance(error, TransientAmazonError | StateLockedError):
            kind = ErrorKind.TRANSIENT
        else:
            kind = ErrorKind.PERMANENT
        return cls(kind, str(error))


@dataclass(frozen=True)
class Change:
    """The action chosen for one credential, with the reasons a reviewer reads."""

    name: str
    action: Action
    reasons: tuple[str, ...]
    desired: Credential | None
    stored: Record | None
    # When the stored authorization stops working: authorized_at + the app's lifetime.
    authorization_expires_at: datetime | None
    # Readable state fields the change rewrites (description, consent_url, sp_api_endpoint).
    updates: tuple[str, ...] = ()
    # Why the state file could not be read (blocked) or its --refresh check not be made.
    failure: Failure | None = None
    # The stored name this credential is moved from (its state file is renamed first).
    moved_from: str | None = None


@dataclass(frozen=True)
class AppMove:
    """An app's client secret file renamed with the app (``state/apps/SOURCE.sops.yaml``)."""

    source: str
    target: str


@dataclass(frozen=True)
class KeyChange:
    """Where .sops.yaml (the trust root) differs from what the state files are encrypted for."""

    change: str  # "add": .sops.yaml names it, files lack it; "remove": the reverse
    kind: str  # "recipient" or "key service"
    value: str  # the age recipient or the key service's name
    files: int  # how many state files differ


# A seller who authorized an app, as Amazon counts them: (region, selling partner ID); a
# stored grant that names no partner is ("", its credential name), one seller of its own.
Seller = tuple[str, str]


@dataclass(frozen=True)
class AuthorizationBudget:
    """One app's authorizations against Amazon's limits, as far as the state knows them.

    Amazon counts sellers (one per selling partner and region), and keeps an authorization
    until the seller removes the app: a state file spprov deleted or overwrote still counts
    there. A consent of an unknown seller may add one: "after" is an upper bound.
    """

    app: str
    appstore_listed: bool
    oauth_sellers: frozenset[Seller]  # sellers holding a stored seller OAuth grant
    oauth_declared: int  # declared seller credentials that are (or will be) OAuth ones
    oauth_new: int  # consents of this plan that may add a seller Amazon does not count yet
    self_stored: int  # self-authorizations in the state
    self_declared: int  # declared credentials held by a self-authorization
    oauth_limit: int | None  # None: listed in the Appstore, no limit
    self_limit: int

    @property
    def oauth_stored(self) -> int:
        """Sellers holding a seller OAuth authorization of the app in the state."""
        return len(self.oauth_sellers)

    @property
    def oauth_after(self) -> int:
        """At most this many sellers once this plan is carried out."""
        return self.oauth_stored + self.oauth_new

    @property
    def oauth_over(self) -> int:
        """How many beyond the limit at most (0: within it)."""
        if self.oauth_limit is None:
            return 0
        return max(0, self.oauth_after - self.oauth_limit)

    @property
    def self_over(self) -> int:
        """Self-authorizations beyond the limit in the state (0: within it)."""
        return max(0, self.self_stored - self.self_limit)

    @property
    def may_exceed(self) -> bool:
        """Whether consents of this plan may take the app beyond its OAuth limit."""
        return self.oauth_new > 0 and self.oauth_over > 0


@dataclass(frozen=True)
class TrustChange:
    """What a pull request changes in the trust root (``.sops.yaml``) of its base."""

    change: str  # "add" (the pull request's .sops.yaml has it, the base not) or "remove"
    kind: str  # "recipient", "key service", "rule", "setting" or "unreadable"
    value: str  # the recipient; "hc_vault URL"; a rule's settings; "name: value"
    rule: str  # the path_regex of the rule it belongs to ("" for top-level settings)


@dataclass(frozen=True)
class AppChange:
    """An app whose declared fields differ from the base revision's declaration."""

    app: str
    change: str  # "add", "remove" or "update"
    fields: tuple[tuple[str, str | None, str | None], ...]  # (field, at base, now) as JSON


@dataclass(frozen=True)
class Review:
    """A plan made against a base revision (a pull request's target branch): where trust
    came from, and what the pull request changes in it and in the apps."""

    ref: str  # the revision as named: origin/main
    commit: str
    source: str | None  # the CI variable that named it, or None for --base
    trust: tuple[TrustChange, ...] = ()
    apps: tuple[AppChange, ...] = ()
    problems: tuple[str, ...] = ()  # what could not be compared, one line each

    def has_changes(self) -> bool:
        """Whether the pull request changes the trust root or an app (or could not be
        compared: never "no changes" for what was not checked)."""
        return bool(self.trust or self.apps or self.problems)


@dataclass(frozen=True)
class Plan:
    """Every credential's change, sorted by name; noops included."""

    changes: tuple[Change, ...]
    generated_at: datetime
    prune: bool = False
    keys: tuple[KeyChange, ...] = ()
    app_moves: tuple[AppMove, ...] = ()
    # What a reader should know that is no change: e.g. a `moved` entry that matches nothing.
    notes: tuple[str, ...] = ()
    review: Review | None = None  # made against a base revision (--base)
    # Every declared app's authorizations against Amazon's limits, by app name.
    budgets: tuple[AuthorizationBudget, ...] = ()

    def over_limit(self) -> tuple[AuthorizationBudget, ...]:
        """The apps whose consents in this plan may exceed Amazon's OAuth limit."""
        return tuple(budget for budget in self.budgets if budget.may_exceed)

    def budget(self, app: str) -> AuthorizationBudget | None:
        """The budget of one declared app."""
        return next((budget for budget in self.budgets if budget.app == app), None)

    def is_pending(self, change: Change) -> bool:
        """Whether apply would carry this change out (orphans only with prune)."""
        if change.action is Action.DELETE:
            return self.prune
        return change.action not in (Action.NOOP, Action.BLOCKED)

    def pending(self) -> tuple[Change, ...]:
        """The changes apply would carry out."""
        return tuple(c for c in self.changes if self.is_pending(c))

    def orphans(self) -> tuple[Change, ...]:
        """State files with no declaration that are kept because prune is off."""
        if self.prune:
            return ()
        return tuple(c for c in self.changes if c.action is Action.DELETE)

    def needs_person(self) -> tuple[Change, ...]:
        """The pending changes that wait for a person's authorization."""
        return tuple(c for c in self.changes if c.action.needs_person)

    def counts(self) -> dict[Action, int]:
        """How many changes of each action, every action present (deletes include orphans)."""
        counts = dict.fromkeys(Action, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def has_changes(self) -> bool:
        """Whether apply would change anything, or .sops.yaml differs from the state files
        (what --detailed-exitcode reports)."""
        return (bool(self.keys) or bool(self.app_moves)
                or (self.review is not None and self.review.has_changes())
                or any(self.is_pending(c) for c in self.changes))

    def blocked(self) -> tuple[Change, ...]:
        """Credentials whose state file exists but cannot be read."""
        return tuple(c for c in self.changes if c.action is Action.BLOCKED)

    def unchecked(self) -> tuple[Change, ...]:
        """Credentials whose --refresh check could not be made (nothing learned)."""
        return tuple(c for c in self.changes
                     if c.failure is not None and c.action is not Action.BLOCKED)

    def has_failures(self) -> bool:
        """Whether anything could not be read or checked: the plan is then incomplete."""
        return any(c.failure is not None for c in self.changes)


class Status(enum.StrEnum):
    """How one change ended."""

    DONE = "done"
    WAITING = "waiting"  # needs a person's authorization this run could not start
    KEPT = "kept"  # an orphan left in place without --prune
    FAILED = "failed"
    BLOCKED = "blocked"  # its state file cannot be read; nothing was started for it


@dataclass(frozen=True)
class Outcome:
    """The result of carrying out one change."""

    name: str
    action: Action
    status: Status
    message: str
    consent_page: str | None = None
    failure: Failure | None = None  # set when status is FAILED or BLOCKED
    # Waiting for a seller invited through this relay; the link only when newly invited.
    invited_through: str | None = None
    invitation_link: str | None = None
