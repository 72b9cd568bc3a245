"""Carry out a Plan: one credential's failure is an Outcome, never an exception.

Each result is written as soon as it succeeds, so a crash or Ctrl-C keeps finished work.
Metadata updates and deletions run concurrently; consents run one at a time, because a
person (or the browser standing in for one) handles one consent page at a time and a
loopback redirect URI has a single fixed port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from spprov.amazon.authorize import Authorization, Authorizer
from spprov.amazon.consent import consent_page
from spprov.amazon.lwa import ClientCredentials
from spprov.const import NETWORK_CONCURRENCY, UNLISTED_OAUTH_LIMIT
from spprov.errors import AuthorizationLimitError, ExitCode, SpprovError
from spprov.hints import run_authorize
from spprov.interrupts import helper_pool
from spprov.model import (
    Action,
    App,
    AppMove,
    Change,
    Credential,
    Desired,
    Failure,
    Outcome,
    Plan,
    Seller,
    Status,
)
from spprov.reconcile.budget import may_add_seller
from spprov.reconcile.collect import Collector
from spprov.reconcile.invitations import Inviter, live_invitation
from spprov.reconcile.records import authorized_record, preflight_record, updated_record
from spprov.render.budget import consent_refusal
from spprov.secret import Secret
from spprov.state.store import StateStore

log = logging.getLogger("spprov.reconcile.apply")


@dataclass
class Applier:
    """Carries out plans against one repository's state."""

    desired: Desired
    store: StateStore
    client_secret: Callable[[str], Secret]
    authorizer: Authorizer | None  # None: a non-interactive run
    clock: Callable[[], datetime]
    report: Callable[[Outcome], None]
    concurrency: int = NETWORK_CONCURRENCY
    # Grants sellers gave through a relay are collected first; what still waits for a
    # consent is invited through its app's relay when no consent can start here.
    collector: Collector | None = None
    inviter: Inviter | None = None
    # Per app, the sellers Amazon counts against its OAuth limit, kept up to date by this
    # run's consents (from the plan's budgets).
    _sellers: dict[str, set[Seller]] = field(default_factory=dict, init=False)

    def apply(self, plan: Plan) -> list[Outcome]:
        """Carry out every pending change; outcomes in plan order (app moves first)."""
        self._sellers = {b.app: set(b.oauth_sellers) for b in plan.budgets}
        moved_apps = [self._move_app(move) for move in plan.app_moves]
        for outcome in moved_apps:
            self.report(outcome)
        quick = [c for c in plan.changes
                 if c.action in (Action.UPDATE, Action.DELETE, Action.MOVE)]
        consents = [c for c in plan.changes if c.action.needs_person]
        outcomes: dict[str, Outcome] = {}
        if consents and self.collector is not None:
            for outcome in self.collector.collect(consents):
                outcomes[outcome.name] = outcome
                self.report(outcome)
            consents = [c for c in consents if c.name not in outcomes]
        with helper_pool(max(1, self.concurrency)) as pool:
            for outcome in pool.map(lambda c: self._guarded(c, plan.prune), quick):
                outcomes[outcome.name] = outcome
                self.report(outcome)
            if self.authorizer is not None:
                # A consent whose token cannot be stored is lost: learn that before asking
                # anyone, for every consent of this run with the record it will write.
                for refused in pool.map(self._preflight, consents):
                    if refused is not None:
                        outcomes[refused.name] = refused
                        self.report(refused)
        for change in consents:
            if change.name in outcomes:
                continue
            outcome = self._guarded(change, plan.prune)
            outcomes[outcome.name] = outcome
            self.report(outcome)
        for outcome in not_carried_out(plan):
            outcomes[outcome.name] = outcome
            self.report(outcome)
        return moved_apps + [outcomes[c.name] for c in plan.changes if c.name in outcomes]

    def _preflight(self, change: Change) -> Outcome | None:
        """None when the record a consent will write can be stored, else its failure."""
        credential = change.desired
        assert credential is not None
        app = self.desired.apps[credential.app]
        try:
            self.store.writer.check_writable(preflight_record(credential, app, self.clock()))
        except SpprovError as exc:
            return Outcome(change.name, change.action, Status.FAILED,
                           f"no consent was started: the state file could not be written: "
                           f"{exc}", failure=Failure.of(exc))
        return None

    def _move_app(self, move: AppMove) -> Outcome:
        name = f"app {move.target}"
        try:
            self.store.writer.move_app(move.source, move.target)
        except SpprovError as exc:
            return Outcome(name, Action.MOVE, Status.FAILED, str(exc))
        return Outcome(name, Action.MOVE, Status.DONE, f"from app {move.source}")

    def _guarded(self, change: Change, prune: bool) -> Outcome:
        try:
            return self._carry_out(change, prune)
        except SpprovError as exc:
            return Outcome(change.name, change.action, Status.FAILED, str(exc),
                           failure=Failure.of(exc))

    def _carry_out(self, change: Change, prune: bool) -> Outcome:
        if change.action is Action.DELETE:
            return self._delete(change, prune)
        credential = change.desired
        assert credential is not None
        app = self.desired.apps[credential.app]
        if change.moved_from is not None:
            assert change.stored is not None
            self.store.writer.move(change.moved_from,
                                   updated_record(credential, app, change.stored))
        if change.action is Action.MOVE and change.moved_from is not None:
            return Outcome(change.name, change.action, Status.DONE, f"from {change.moved_from}")
        if change.action in (Action.UPDATE, Action.MOVE):
            assert change.stored is not None
            self.store.writer.write(updated_record(credential, app, change.stored), None)
            return Outcome(change.name, change.action, Status.DONE, "updated")
        return self._authorize(change, credential, app)

    def _delete(self, change: Change, prune: bool) -> Outcome:
        if not prune:
            return Outcome(change.name, change.action, Status.KEPT,
                           "not declared; kept (run `spprov apply --prune` to delete)")
        self.store.writer.delete(change.name)
        return Outcome(change.name, change.action, Status.DONE, "deleted")

    def _refuse_beyond_limit(self, change: Change, app: App) -> None:
        """No consent (nor invitation) starts for a seller Amazon would refuse: an unlisted
        app authorized by 25 sellers answers a 26th with "OAuth limit reached"."""
        sellers = self._sellers.get(app.name)
        if app.appstore_listed or sellers is None \
                or not may_add_seller(change, app, frozenset(sellers)):
            return
        if len(sellers) >= UNLISTED_OAUTH_LIMIT:
            raise AuthorizationLimitError(consent_refusal(app.name, len(sellers),
                                                          UNLISTED_OAUTH_LIMIT))

    def _authorize(self, change: Change, credential: Credential, app: App) -> Outcome:
        self._refuse_beyond_limit(change, app)
        if self.authorizer is None or not self.authorizer.can_authorize(app):
            if self.inviter is not None and app.relay is not None:
                return self._invite(change, app)
            return Outcome(change.name, change.action, Status.WAITING,
                           f"waits for a person: {run_authorize(change.name)}",
                           consent_page(credential, app))
        client = ClientCredentials(app.client_id, self.client_secret(app.name), app.name)

        def keep(authorization: Authorization) -> None:
            record = authorized_record(credential, app, authorization, self.clock())
            self.store.writer.write(record, authorization.refresh_token)

        authorization = self.authorizer.authorize(credential, app, client, keep)
        if authorization.selling_partner_id is not None:
            self._sellers.setdefault(app.name, set()).add(
                (credential.region.value, authorization.selling_partner_id))
        partner = authorization.selling_partner_id or "unknown partner"
        return Outcome(change.name, change.action, Status.DONE, f"authorized by {partner}")


    def _invite(self, change: Change, app: App) -> Outcome:
        """Invite the seller through the app's relay, unless a live invitation exists."""
        assert self.inviter is not None
        record = self.inviter.records.all().get(change.name)
        if live_invitation(record, app, self.clock()):
            assert record is not None
            return Outcome(change.name, change.action, Status.WAITING,
                           f"invited through {record.relay} until "
                           f"{record.expires_at:%Y-%m-%d %H:%M} UTC; waits for the seller "
                           f"(`spprov invite {change.name}` sends a new link)",
                           invited_through=record.relay)
        invited = self.inviter.invite(change)
        return Outcome(change.name, change.action, Status.WAITING,
                       f"invited through {invited.record.relay} until "
                       f"{invited.record.expires_at:%Y-%m-%d %H:%M} UTC; waits for the seller",
                       invited_through=invited.record.relay, invitation_link=invited.link)


def not_carried_out(plan: Plan) -> list[Outcome]:
    """Blocked credentials, and unchanged ones whose --refresh check failed: each a failure."""
    outcomes = [Outcome(c.name, c.action, Status.BLOCKED, c.reasons[0], failure=c.failure)
                for c in plan.blocked()]
    outcomes += [Outcome(c.name, c.action, Status.FAILED, c.failure.message, failure=c.failure)
                 for c in plan.unchecked() if c.failure is not None and not plan.is_pending(c)]
    return outcomes


def exit_code(outcomes: list[Outcome]) -> ExitCode:
    """0 converged, 1 something failed or is blocked, 3 converged except what waits for a
    person."""
    statuses = {o.status for o in outcomes}
    if statuses & {Status.FAILED, Status.BLOCKED}:
        return ExitCode.ERROR
    if Status.WAITING in statuses:
        return ExitCode.WAITING
    return ExitCode.OK
