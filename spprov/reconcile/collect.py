"""Collecting: the sealed grants a relay holds become state files, as any authorization.

For each credential that waits for a consent and has an invitation, the grant is fetched
from the invitation's relay, opened with the repository's age identities and checked:
issued for this invitation and credential, made before the invitation expired, for the app
and endpoint declared now, by the pinned selling partner, and the token works. Only then is
it written through the store's one write path (a new data key); then the record is removed
and the relay told to forget the grant. A second collection finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pyrage import x25519

from spprov.amazon.authorize import Authorization
from spprov.amazon.lwa import ClientCredentials, LwaClient
from spprov.const import NETWORK_CONCURRENCY
from spprov.errors import AccessDeniedError, InvalidGrantError, SpprovError
from spprov.interrupts import helper_pool
from spprov.model import (
    App,
    AuthorizationMethod,
    Change,
    Credential,
    Desired,
    Failure,
    Outcome,
    Status,
)
from spprov.reconcile.records import authorized_record
from spprov.relay.client import RelayClient
from spprov.relay.protocol import Grant, GrantError, open_sealed
from spprov.secret import Secret
from spprov.state.invitations import InvitationRecord, InvitationRecords
from spprov.state.store import StateStore

log = logging.getLogger("spprov.reconcile.collect")
_DISCARDED = "it was deleted here and at the relay; invite again with `spprov invite "


@dataclass
class Collector:
    """Turns the grants of a repository's invitations into state files."""

    desired: Desired
    store: StateStore
    records: InvitationRecords
    relay: Callable[[str], RelayClient]
    lwa: LwaClient
    client_secret: Callable[[str], Secret]
    identities: Callable[[], tuple[x25519.Identity, ...]]
    concurrency: int = NETWORK_CONCURRENCY

    def ready(self, changes: list[Change]) -> dict[str, str]:
        """The sealed grants waiting for these changes' invitations, by credential."""
        records = self.records.all()
        by_relay: dict[str, dict[str, InvitationRecord]] = {}
        for change in changes:
            record = records.get(change.name)
            app = self._app(change)
            if record is not None and app is not None and app.relay == record.relay:
                by_relay.setdefault(record.relay, {})[record.invitation_id] = record
        sealed: dict[str, str] = {}
        for relay, invited in by_relay.items():
            for invitation_id, grant in self.relay(relay).sealed_grants(list(invited)).items():
                if invitation_id in invited:
                    sealed[invited[invitation_id].credential] = grant
        return sealed

    def collect(self, changes: list[Change]) -> list[Outcome]:
        """Collect every ready grant of these changes; one outcome per grant found."""
        sealed = self.ready(changes)
        if not sealed:
            return []
        records = self.records.all()
        wanted = [(c, records[c.name], sealed[c.name]) for c in changes if c.name in sealed]
        with helper_pool(max(1, self.concurrency)) as pool:
            return list(pool.map(lambda item: self._guarded(*item), wanted))

    def _guarded(self, change: Change, record: InvitationRecord, sealed: str) -> Outcome:
        try:
            return self._collect(change, record, sealed)
        except SpprovError as exc:
            return Outcome(change.name, change.action, Status.FAILED, str(exc),
                           failure=Failure.of(exc))

    def _collect(self, change: Change, record: InvitationRecord, sealed: str) -> Outcome:
        credential = change.desired
        app = self._app(change)
        assert credential is not None and app is not None
        try:
            # Not opened: perhaps this run lacks the identity another holder has; kept.
            grant = open_sealed(sealed, self.identities())
        except GrantError as exc:
            raise GrantError(f"{credential.name}: the grant from relay {record.relay} was "
                             f"refused: {exc}; invite again with `spprov invite "
                             f"{credential.name}`") from None
        try:
            check_grant(grant, credential, app, record)
        except GrantError as exc:
            self._discard(credential.name, record)
            raise GrantError(f"{credential.name}: the grant from relay {record.relay} was "
                             f"refused: {exc}; {_DISCARDED}{credential.name}`") from None
        self._check_token(credential, app, grant.refresh_token, record)
        authorization = Authorization(grant.refresh_token, grant.selling_partner_id,
                                      AuthorizationMethod.WEBSITE)
        self.store.writer.write(authorized_record(credential, app, authorization,
                                           grant.authorized_at), grant.refresh_token)
        self.records.delete(credential.name)
        try:
            self.relay(record.relay).delete_invitation(record.invitation_id)
        except SpprovError as exc:  # stored already; the relay forgets it when it expires
            log.warning("%s: collected, but the relay kept the grant (%s)", credential.name, exc)
        return Outcome(change.name, change.action, Status.DONE,
                       f"authorized by {grant.selling_partner_id}, collected from "
                       f"{record.relay}")

    def _check_token(self, credential: Credential, app: App, refresh_token: Secret,
                     record: InvitationRecord) -> None:
        client = ClientCredentials(app.client_id, self.client_secret(app.name), app.name)
        try:
            access = self.lwa.access_token(client, refresh_token, label=credential.name)
            self.lwa.marketplace_participations(credential.sp_api_endpoint, access)
        except (InvalidGrantError, AccessDeniedError) as exc:
            self._discard(credential.name, record)
            raise GrantError(f"{credential.name}: the collected grant's token does not work "
                             f"({exc}); {_DISCARDED}{credential.name}`") from None

    def _discard(self, name: str, record: InvitationRecord) -> None:
        """Forget a grant proven wrong (not invited, another account, a dead token), here
        and at the relay, so that it cannot fail every apply and the next one invites anew."""
        self.records.delete(name)
        try:
            self.relay(record.relay).delete_invitation(record.invitation_id)
        except SpprovError as exc:  # the relay forgets it when the invitation expires
            log.warning("%s: the relay kept the refused grant (%s)", name, exc)

    def _app(self, change: Change) -> App | None:
        if change.desired is None:
            return None
        return self.desired.apps.get(change.desired.app)


def check_grant(grant: Grant, credential: Credential, app: App,
                record: InvitationRecord) -> None:
    """Refuse a grant this repository did not invite, or one for another app or account."""
    expected = {"invitation": (grant.invitation_id, record.invitation_id),
                "credential": (grant.credential, credential.name),
                "application_id": (grant.application_id, app.application_id),
                "client_id": (grant.client_id, app.client_id),
                "redirect_uri": (grant.redirect_uri, app.redirect_uri),
                "region": (grant.region, credential.region.value),
                "sp_api_endpoint": (grant.sp_api_endpoint, credential.sp_api_endpoint)}
    for field, (found, wanted) in expected.items():
        if found != wanted:
            raise GrantError(f"it was issued for {field} {found!r}, not {wanted!r} (a grant "
                             "this repository did not invite)")
    pin = credential.selling_partner_id
    if pin is not None and grant.selling_partner_id != pin:
        raise GrantError(f"selling partner {grant.selling_partner_id} consented, but the "
                         f"credential is pinned to {pin}")
    if grant.authorized_at > record.expires_at:
        raise GrantError(f"it was made at {grant.authorized_at:%Y-%m-%d %H:%M} UTC, after "
                         "the invitation expired")
