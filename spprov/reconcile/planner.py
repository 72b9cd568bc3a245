"""Choose one action per credential by comparing the declaration with the readable state.

Pure: no I/O, no clock, no network. The moment (``now``) and the results of
``--refresh`` (``checks``) are passed in, so the same inputs always give the same plan.
When several actions apply, the one that needs the most wins:
reauthorize > repair > renew > update; the reasons list everything that was found.
A state file that cannot be read is ``blocked`` (never ``create``: its grant may be fine),
and a ``--refresh`` check that could not be made keeps its action but carries the failure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from spprov.errors import UsageError
from spprov.model import (
    Action,
    App,
    AppIdentity,
    Change,
    Credential,
    Desired,
    ErrorKind,
    Failure,
    KeyChange,
    Plan,
    Record,
    TokenCheck,
)
from spprov.reconcile.budget import budgets
from spprov.reconcile.moves import resolve_moves
from spprov.regions import consent_kind, endpoint

# The readable state fields an update (or a new authorization) rewrites from the declaration.
METADATA_FIELDS = ("description", "consent_url", "sp_api_endpoint")

CREATE_REASON = "no state file yet"
DELETE_REASON = "not declared in any credential file"
REVOKED_REASON = "refresh token revoked (LWA answered invalid_grant)"
FORMAT_1_REASON = ("state format 1 -> 2: records the app identity (application_id, "
                   "redirect_uri, draft, authorization_lifetime_days)")


Check = TokenCheck | Failure


def build_plan(desired: Desired, stored: Mapping[str, Record], now: datetime,
               checks: Mapping[str, Check] | None = None,
               only: Collection[str] = (), prune: bool = False,
               unreadable: Mapping[str, str] | None = None,
               keys: tuple[KeyChange, ...] = (),
               stored_apps: Collection[str] = ()) -> Plan:
    """The plan that converges ``stored`` to ``desired`` at ``now`` (timezone-aware UTC).

    ``unreadable`` maps the names of state files that exist but cannot be read to why.
    ``keys`` are the differences between .sops.yaml and the state files' keys; they are
    part of the plan (a reviewed change) but not of any credential. ``stored_apps`` names
    the apps with a client secret file (for `moved` apps).
    """
    _require_utc(now)
    unreadable = unreadable or {}
    moves = resolve_moves(desired, stored, stored_apps, occupied=unreadable.keys())
    records = moves.records
    declared = desired.by_name
    names = _selected(declared.keys() | records.keys() | unreadable.keys(), only)
    checks = checks or {}
    changes = tuple(
        _blocked(name, declared.get(name), unreadable[name]) if name in unreadable else
        _moved(_change(name, declared.get(name), records.get(name), desired.apps, now,
                       checks.get(moves.moved_from.get(name, name))),
               moves.moved_from.get(name), moves.app_renamed.get(name))
        for name in sorted(names)
    )
    return Plan(changes=changes, generated_at=now, prune=prune, keys=keys,
                app_moves=tuple(moves.app_moves),
                notes=(*moves.notes, *role_notes(desired, records)),
                budgets=budgets(desired, records, changes))


def declaration_differences(credential: Credential, apps: Mapping[str, App],
                            record: Record) -> tuple[str, ...]:
    """Every reason the stored record disagrees with its declaration (verify uses this)."""
    app = apps[credential.app]
    return _reauthorize_reasons(credential, app, record) + _update_reasons(credential, app,
                                                                          record)


def _moved(change: Change, moved_from: str | None, old_app: str | None) -> Change:
    """A change whose record a `moved` entry renamed: `move` unless a person is needed."""
    if moved_from is None and old_app is None:
        return change
    reasons = []
    if moved_from is not None:
        reasons.append(f"moved from {moved_from} (moved entry)")
    if old_app is not None and change.desired is not None:
        reasons.append(f"app: {old_app} -> {change.desired.app} (moved entry, same client_id)")
    action = change.action
    if action in (Action.NOOP, Action.UPDATE):
        action = Action.MOVE
    return replace(change, action=action, reasons=(*reasons, *change.reasons),
                   moved_from=moved_from)


def _blocked(name: str, credential: Credential | None, reason: str) -> Change:
    """Nothing can be done for a credential whose state file exists but cannot be read."""
    return Change(name, Action.BLOCKED, (reason,), credential, None, None,
                  failure=Failure(ErrorKind.PERMANENT, reason))


def authorization_expires_at(record: Record, app: App | None) -> datetime | None:
    """When the stored authorization ends: authorized_at + the app's lifetime (None: never)."""
    if app is None or app.authorization_lifetime_days is None:
        return None
    return record.authorized_at + timedelta(days=app.authorization_lifetime_days)


def days_until(moment: datetime, now: datetime) -> int:
    """Calendar days (UTC) from ``now`` to ``moment``; negative when it is past."""
    return (moment.astimezone(UTC).date() - now.astimezone(UTC).date()).days


def expiry_text(expires: datetime, now: datetime) -> str:
    """``authorization expires 2027-11-28 (in 12 days)`` or ``... expired ... (3 days ago)``."""
    day = expires.astimezone(UTC).date().isoformat()
    days = days_until(expires, now)
    if days > 0:
        when = f"in {_days(days)}"
    elif days == 0:
        when = "today"
    else:
        when = f"{_days(-days)} ago"
    verb = "expired" if now >= expires else "expires"
    return f"authorization {verb} {day} ({when})"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _require_utc(now: datetime) -> None:
    if now.utcoffset() != timedelta(0):
        raise ValueError(f"now must be timezone-aware UTC, got {now.isoformat()}")


def _selected(names: set[str], only: Collection[str]) -> set[str]:
    if not only:
        return names
    unknown = sorted(set(only) - names)
    if unknown:
        name = unknown[0]
        raise UsageError(f"--only {name}: no credential {name} is declared or stored")
    return set(only)


def _change(name: str, credential: Credential | None, record: Record | None,
            apps: Mapping[str, App], now: datetime, check: Check | None) -> Change:
    if record is None:
        assert credential is not None  # every name is declared, stored or both
        return Change(name, Action.CREATE, (CREATE_REASON,), credential, None, None)
    # The stored grant was made for the record's app, so its lifetime decides the expiry.
    record_app = apps.get(record.app)
    expires = authorization_expires_at(record, record_app)
    if credential is None:
        return Change(name, Action.DELETE, (DELETE_REASON,), None, record, expires)
    found = {
        Action.REAUTHORIZE: _reauthorize_reasons(credential, apps[credential.app], record),
        Action.REPAIR: (REVOKED_REASON,) if check is TokenCheck.REVOKED else (),
        Action.RENEW: _renew_reasons(expires, record_app, now),
        Action.UPDATE: _update_reasons(credential, apps[credential.app], record),
    }
    action = next((action for action, reasons in found.items() if reasons), Action.NOOP)
    reasons = tuple(reason for reasons in found.values() for reason in reasons)
    failure = check if isinstance(check, Failure) else None
    return Change(name, action, reasons, credential, record, expires,
                  _updated_fields(credential, record), failure)


def _reauthorize_reasons(credential: Credential, app: App, record: Record) -> tuple[str, ...]:
    """What makes the stored grant unusable for the declaration: a person must consent."""
    reasons = []
    if record.region != credential.region:
        reasons.append(f"sp_api_endpoint: {record.region} -> {credential.region} region")
    if record.app != credential.app:
        reasons.append(f"app: {record.app} -> {credential.app}")
    if record.client_id != app.client_id:
        reasons.append("client_id changed")
    stored = record.identity
    if stored is not None and record.app == credential.app \
            and stored.application_id != app.application_id:
        reasons.append(f"app {app.name}: application_id changed ({stored.application_id} -> "
                       f"{app.application_id}): the next consent is for another app")
    stored_kind = consent_kind(record.consent_url)
    # A consent URL no longer in the table says nothing about the kind: no reason from it.
    if stored_kind is not None and stored_kind != credential.kind:
        reasons.append(f"{stored_kind} -> {credential.kind}")
    if record.authorization_version < credential.authorization_version:
        reasons.append(f"authorization_version: {record.authorization_version} -> "
                       f"{credential.authorization_version}")
    pin, partner = credential.selling_partner_id, record.selling_partner_id
    if pin is not None and partner is not None and pin != partner:
        reasons.append(f"selling_partner_id: stored {partner} differs from the pin {pin}")
    added = roles_added(app, record)
    if added and record.app == credential.app:
        reasons.append(f"app {app.name}: roles added ({', '.join(added)}): Amazon requires "
                       "each seller to authorize again to grant them")
    return tuple(reasons)


def roles_added(app: App, record: Record) -> tuple[str, ...]:
    """The app's declared roles the stored grant was not made with (none when either side
    does not know its roles)."""
    if app.roles is None or record.roles is None:
        return ()
    return tuple(role for role in app.roles if role not in record.roles)


def roles_removed(app: App, record: Record) -> tuple[str, ...]:
    """Roles recorded with the grant that the app no longer declares."""
    if app.roles is None or record.roles is None:
        return ()
    return tuple(role for role in record.roles if role not in app.roles)


def role_notes(desired: Desired, records: Mapping[str, Record]) -> tuple[str, ...]:
    """Per app that declares roles: how many of its grants were stored without them."""
    notes = []
    for app in desired.apps.values():
        if app.roles is None:
            continue
        unknown = sum(1 for r in records.values()
                      if r.app == app.name and r.client_id == app.client_id and r.roles is None)
        if unknown:
            what = "credential's grant" if unknown == 1 else "credentials' grants"
            notes.append(f"app {app.name}: the roles of {unknown} {what} are unknown (state "
                         "written before spprov recorded roles): no reauthorization is planned "
                         "for them; the next authorization records the roles (bump "
                         "authorization_version to authorize again now)")
    return tuple(notes)


def _renew_reasons(expires: datetime | None, app: App | None, now: datetime) -> tuple[str, ...]:
    if expires is None or app is None:
        return ()
    if now < expires - timedelta(days=app.renewal_window_days):
        return ()
    return (expiry_text(expires, now),)


def _identity_reasons(app: App, record: Record) -> list[str]:
    """How the app identity recorded with the grant differs from the declared app."""
    if record.identity is None:
        return [FORMAT_1_REASON]
    if record.app != app.name:
        return []
    stored, declared = record.identity, AppIdentity.of(app)
    reasons = []
    removed = roles_removed(app, record)
    if removed:
        reasons.append(f"app {app.name}: roles removed ({', '.join(removed)}): no new "
                       "authorization needed; the state records the remaining roles")
    if stored.redirect_uri != declared.redirect_uri:
        reasons.append(f"app {app.name}: redirect_uri changed ({stored.redirect_uri} -> "
                       f"{declared.redirect_uri}): the next consent returns to another address")
    if stored.draft != declared.draft:
        which = "the draft app" if declared.draft else "the published app"
        reasons.append(f"app {app.name}: draft changed ({_yaml_bool(stored.draft)} -> "
                       f"{_yaml_bool(declared.draft)}): the next consent is for {which}")
    old, new = stored.authorization_lifetime_days, declared.authorization_lifetime_days
    if old != new:
        reasons.append(f"app {app.name}: authorization_lifetime_days changed "
                       f"({_lifetime(old)} -> {_lifetime(new)})")
    return reasons


def _yaml_bool(value: bool) -> str:
    return "true" if value else "false"


def _lifetime(days: int | None) -> str:
    return "null" if days is None else str(days)


def _update_reasons(credential: Credential, app: App, record: Record) -> tuple[str, ...]:
    """Readable metadata that changed without touching the grant (same region and kind)."""
    reasons = _identity_reasons(app, record)
    if credential.description != record.description:
        reasons.append("description changed")
    same_region = record.region == credential.region
    if same_region and credential.sp_api_endpoint != record.sp_api_endpoint:
        stored_endpoint = endpoint(record.sp_api_endpoint)
        old = stored_endpoint.environment if stored_endpoint else record.sp_api_endpoint
        reasons.append(f"sp_api_endpoint: {old} -> {credential.environment}")
    same_kind = consent_kind(record.consent_url) in (None, credential.kind)
    if same_region and same_kind and credential.consent_url != record.consent_url:
        reasons.append(f"consent_url changed within region {credential.region}")
    return tuple(reasons)


def _updated_fields(credential: Credential, record: Record) -> tuple[str, ...]:
    """The metadata fields whose stored value differs from the declared one."""
    return tuple(
        field for field in METADATA_FIELDS
        if getattr(credential, field) != getattr(record, field)
    )
