"""Invitations: a seller consents from a link, through the app's relay, with no operator.

``invite`` registers one invitation per credential that waits for a consent, records it in
the repository (who, until when, which relay; never the link's secret) and returns the
links. ``invitation_notes`` says in the plan who is invited and whose grant is ready.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from spprov.errors import SpprovError, StateError, UsageError
from spprov.model import App, Change, Credential, Desired, Plan
from spprov.reconcile.records import preflight_record
from spprov.relay.client import RelayClient
from spprov.relay.protocol import (
    LINK_PATH,
    Invitation,
    new_invitation_id,
    new_secret,
    secret_hash,
)
from spprov.state.invitations import InvitationRecord, InvitationRecords
from spprov.state.store import StateStore

log = logging.getLogger("spprov.reconcile.invitations")

DEFAULT_LIFETIME = timedelta(days=7)
_TIME = "%Y-%m-%d %H:%M UTC"


@dataclass(frozen=True)
class Invited:
    """A registered invitation and the link to send to the seller (printed once)."""

    name: str
    link: str
    record: InvitationRecord


@dataclass
class Inviter:
    """Registers invitations with the apps' relays and records them in the repository."""

    desired: Desired
    store: StateStore
    records: InvitationRecords
    relay: Callable[[str], RelayClient]  # relay base URL -> its admin client
    clock: Callable[[], datetime]
    lifetime: timedelta = DEFAULT_LIFETIME

    def invite(self, change: Change) -> Invited:
        """A new invitation for one credential that waits for a consent."""
        credential = change.desired
        assert credential is not None
        app = self.desired.apps[credential.app]
        if app.relay is None:
            raise UsageError(f"{credential.name}: app {app.name} declares no relay; add "
                             f"`relay: BASE_URL` to app {app.name} (see docs/relay.md)")
        now = self.clock()
        # A grant that cannot be written is lost: learn that before anyone consents.
        self.store.writer.check_writable(preflight_record(credential, app, now))
        secret = new_secret()
        invitation = _invitation(credential, app, secret, self._recipients(credential.name),
                                 now + self.lifetime)
        client = self.relay(app.relay)
        client.add_invitation(invitation)
        self._replace(credential.name, client)
        record = InvitationRecord(credential.name, invitation.invitation_id, app.relay,
                                  change.action.value, now, invitation.expires_at)
        self.records.write(record)
        return Invited(credential.name, f"{app.relay}{LINK_PATH}{secret}", record)

    def _recipients(self, name: str) -> tuple[str, ...]:
        rule = self.store.trust.rule_for(self.store.files.path_of(name))
        if not rule.recipients:
            raise StateError(f"{name}: the .sops.yaml rule for its state file names no age "
                             "recipient, and a relay seals grants with age: add one with "
                             "`spprov keys add RECIPIENT`")
        return tuple(sorted(rule.recipients))

    def _replace(self, name: str, client: RelayClient) -> None:
        """Forget the invitation this one replaces, so its link stops working."""
        try:
            old = self.records.all().get(name)
        except StateError:
            return
        if old is None or old.relay != client.base_url:
            return
        try:
            client.delete_invitation(old.invitation_id)
        except SpprovError as exc:
            log.warning("%s: the replaced invitation %s stays on the relay until it expires "
                        "(%s)", name, old.invitation_id, exc)


def _invitation(credential: Credential, app: App, secret: str, recipients: tuple[str, ...],
                expires_at: datetime) -> Invitation:
    return Invitation(
        invitation_id=new_invitation_id(), link_hash=secret_hash(secret),
        credential=credential.name, description=credential.description, app=app.name,
        application_id=app.application_id, client_id=app.client_id,
        redirect_uri=app.redirect_uri, draft=app.draft, consent_url=credential.consent_url,
        sp_api_endpoint=credential.sp_api_endpoint, region=credential.region.value,
        account_kind=credential.kind.value, selling_partner_id=credential.selling_partner_id,
        recipients=recipients, expires_at=expires_at)


def live_invitation(record: InvitationRecord | None, app: App, now: datetime) -> bool:
    """Whether a recorded invitation still works: same relay, not expired."""
    return record is not None and record.relay == app.relay and not record.expired(now)


def invitation_notes(plan: Plan, desired: Desired, records: dict[str, InvitationRecord],
                     ready: Iterable[str], now: datetime) -> tuple[str, ...]:
    """One note per credential waiting for a consent that has an invitation."""
    ready_names = set(ready)
    notes = []
    for change in plan.needs_person():
        record = records.get(change.name)
        if record is None or change.desired is None:
            continue
        until = record.expires_at.strftime(_TIME)
        if change.name in ready_names:
            state = "the seller consented: a grant is ready to collect (`spprov apply`)"
        elif record.expired(now):
            state = f"the invitation expired at {until}: `spprov invite {change.name}`"
        else:
            state = f"waiting for the seller until {until}"
        notes.append(f"{change.name}: invited through {record.relay}; {state}")
    return tuple(notes)
