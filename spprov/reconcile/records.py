"""Records, the readable state of a credential, built in this one place.

After an authorization a new Record is made from the declaration and the grant; a
metadata-only update copies the stored Record with the declaration's readable fields and
keeps the grant (and so the token's ciphertext).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from spprov.amazon.authorize import Authorization
from spprov.model import STATE_FORMAT, App, AppIdentity, AuthorizationMethod, Credential, Record
from spprov.secret import Secret
from spprov.state.writer import PREFLIGHT_TOKEN


def authorized_record(credential: Credential, app: App, authorization: Authorization,
                      authorized_at: datetime) -> Record:
    """The readable state of a credential right after an authorization."""
    return Record(
        name=credential.name,
        app=credential.app,
        client_id=app.client_id,
        region=credential.region,
        consent_url=credential.consent_url,
        sp_api_endpoint=credential.sp_api_endpoint,
        description=credential.description,
        selling_partner_id=authorization.selling_partner_id,
        authorization_method=authorization.method,
        authorization_version=credential.authorization_version,
        authorized_at=authorized_at,
        identity=AppIdentity.of(app),
        roles=app.roles,
    )


# The partner a pre-flight record names when the declaration pins none (the real one is
# known only after the consent); an id of the usual length.
PREFLIGHT_PARTNER = "A0000000000000"


def preflight_record(credential: Credential, app: App, now: datetime) -> Record:
    """The record a consent for ``credential`` will write, as far as it is known before it."""
    authorization = Authorization(Secret(PREFLIGHT_TOKEN),
                                  credential.selling_partner_id or PREFLIGHT_PARTNER,
                                  AuthorizationMethod.WEBSITE)
    return authorized_record(credential, app, authorization, now)


def updated_record(credential: Credential, app: App, stored: Record) -> Record:
    """The stored record with the declaration's readable metadata and app identity (so a
    format 1 file is written as format 2); the grant is unchanged, and so are its roles
    but for those the app no longer has (a role added back later needs a new consent)."""
    roles = stored.roles
    if roles is not None and app.roles is not None and stored.app == app.name:
        roles = tuple(role for role in roles if role in app.roles)
    return replace(
        stored,
        consent_url=credential.consent_url,
        sp_api_endpoint=credential.sp_api_endpoint,
        description=credential.description,
        identity=AppIdentity.of(app),
        roles=roles,
        format=STATE_FORMAT,
    )
