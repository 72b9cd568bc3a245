"""The format of state files (spec.md section 3): readable fields in, Record out, and back.

Reading the readable fields never runs sops: the file is parsed with the typing sops
itself uses (``spprov.state.sopsyaml``: yaml.v3, YAML 1.2's core schema, so ``yes`` and
``2001-12-14`` stay text as they do for sops), the ``sops`` block is cut off first (it is
most of the text), and ``ENC[...]`` values are ignored. sops receives new files as JSON
(``dump``), so it never re-types a value either: what spprov writes is what it reads back.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from spprov import yamlfile
from spprov.const import STATE_SUFFIX
from spprov.errors import StateError
from spprov.escape import excerpt
from spprov.model import (
    READABLE_STATE_FORMATS,
    STATE_FORMAT,
    AppIdentity,
    AuthorizationMethod,
    Record,
)
from spprov.regions import Region
from spprov.state.sopsyaml import YamlValueError, load_mapping

_E = TypeVar("_E", bound=enum.Enum)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
REFRESH_TOKEN_KEY = "refresh_token"  # noqa: S105 - a key name, not a secret
CLIENT_SECRET_KEY = "client_secret"  # noqa: S105 - a key name, not a secret
OPTIONAL_KEYS = ("description", "selling_partner_id", "roles")
ROLE_SEPARATOR = ", "
# The app identity a grant was made for (format 2; format 1 files lack them).
IDENTITY_KEYS = ("application_id", "redirect_uri", "draft", "authorization_lifetime_days")
_TEXT_KEYS = ("name", "app", "client_id", "consent_url", "sp_api_endpoint")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
_SOPS_BLOCK = re.compile(r"^sops:", re.MULTILINE)

def format_time(moment: datetime) -> str:
    """``2026-11-28T02:00:00Z``: UTC, to the second."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_time(value: object, field: str) -> datetime:
    """A stored timestamp; a YAML timestamp is accepted too, as a person may write one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and _TIME.match(value):
        try:  # fromisoformat is ~10x faster than strptime; _TIME pins the exact form
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{field}: expected a time like 2026-11-28T02:00:00Z, got {excerpt(value)}")


def readable_fields(text: str) -> dict[str, Any]:
    """The plaintext part of a state file's text (``sops`` block and encrypted values left out)."""
    found = _SOPS_BLOCK.search(text)
    if found is None:
        raise ValueError("not a sops-encrypted file (no `sops` block)")
    document = load_mapping(text[: found.start()])
    return {key: value for key, value in document.items()
            if not (isinstance(value, str) and value.startswith("ENC["))}


def whole_document(text: str) -> dict[str, Any]:
    """A state file parsed whole, ``sops`` block included (for its keys, read once)."""
    if _SOPS_BLOCK.search(text) is None:
        raise ValueError("not a sops-encrypted file (no `sops` block)")
    return load_mapping(text)


def readable_part(document: Mapping[str, Any]) -> dict[str, Any]:
    """The plaintext fields of a whole document (``sops`` and ``ENC[...]`` values left out)."""
    return {key: value for key, value in document.items()
            if key != "sops" and not (isinstance(value, str) and value.startswith("ENC["))}


def record_fields(record: Record) -> dict[str, object]:
    """The readable fields of a record, in file order, optional ones left out when unset."""
    identity = record.identity
    fields: dict[str, object] = {
        # Format 2 means the app identity is recorded; a record without one is format 1.
        "format": STATE_FORMAT if identity is not None else 1,
        "name": record.name,
        "app": record.app,
        "client_id": record.client_id,
        "region": str(record.region),
        "consent_url": record.consent_url,
        "sp_api_endpoint": record.sp_api_endpoint,
        "description": record.description,
        "selling_partner_id": record.selling_partner_id,
        "authorization_method": str(record.authorization_method),
        "authorization_version": record.authorization_version,
        "authorized_at": format_time(record.authorized_at),
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    if identity is not None:
        fields.update({"application_id": identity.application_id,
                       "redirect_uri": identity.redirect_uri, "draft": identity.draft,
                       "authorization_lifetime_days": identity.authorization_lifetime_days})
    if record.roles is not None:
        # The app's roles when the grant was made (optional in format 2: a file without
        # it says nothing of its roles, which the plan reads as unknown). One text, roles
        # separated by ", " (no role name holds one): `sops set` cannot write a list.
        fields["roles"] = ROLE_SEPARATOR.join(record.roles)
    return fields


def dump(fields: Mapping[str, object]) -> str:
    """JSON in the given key order: the plaintext sops encrypts from stdin. JSON, not YAML,
    so that sops cannot read ``12e3`` as a number or ``<<`` as a merge key; it writes each
    text back quoted wherever YAML would re-type it."""
    return json.dumps(dict(fields), ensure_ascii=False)


def parse_record(fields: Mapping[str, Any], path: Path, display: str) -> Record:
    """A Record from a state file's fields; StateError naming the file when malformed."""
    try:
        return _record(fields, path)
    except (ValueError, KeyError, TypeError) as exc:
        raise StateError(f"{display}: {_reason(exc)}") from None


def _record(fields: Mapping[str, Any], path: Path) -> Record:
    format_ = _check_format(fields)
    text = {key: _text(fields, key) for key in _TEXT_KEYS}
    name = path.name.removesuffix(STATE_SUFFIX)
    if text["name"] != name:
        raise ValueError(f"name: {excerpt(text['name'])} does not match the file name ({name})")
    version = fields["authorization_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError("authorization_version: expected a whole number >= 1, got "
                         f"{excerpt(version)}")
    return Record(
        name=text["name"], app=text["app"], client_id=text["client_id"],
        consent_url=text["consent_url"], sp_api_endpoint=text["sp_api_endpoint"],
        region=_choice(Region, fields, "region"),
        authorization_method=_choice(AuthorizationMethod, fields, "authorization_method"),
        authorization_version=version,
        authorized_at=parse_time(fields["authorized_at"], "authorized_at"),
        description=_optional_text(fields, "description"),
        selling_partner_id=_optional_text(fields, "selling_partner_id"),
        identity=_identity(fields) if format_ >= 2 else None,
        roles=_roles(fields),
        format=format_,
        path=path,
    )


def _identity(fields: Mapping[str, Any]) -> AppIdentity:
    draft = fields["draft"]
    if not isinstance(draft, bool):
        raise ValueError(f"draft: expected true or false, got {draft!r}")
    lifetime = fields["authorization_lifetime_days"]
    if lifetime is not None and (not isinstance(lifetime, int) or isinstance(lifetime, bool)
                                 or lifetime < 0):
        raise ValueError("authorization_lifetime_days: expected a whole number >= 0 or null, "
                         f"got {lifetime!r}")
    return AppIdentity(_text(fields, "application_id"), _text(fields, "redirect_uri"),
                       draft, lifetime)


def _roles(fields: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The roles recorded with the grant; None when the file records none (unknown)."""
    if fields.get("roles") is None:
        return None
    roles = fields["roles"]
    if not isinstance(roles, str):
        raise ValueError(f"roles: expected role names separated by ', ', got {excerpt(roles)}")
    return tuple(role for role in roles.split(ROLE_SEPARATOR) if role)


def _check_format(fields: Mapping[str, Any]) -> int:
    found = fields.get("format")
    if found not in READABLE_STATE_FORMATS or isinstance(found, bool):
        readable = " or ".join(map(str, READABLE_STATE_FORMATS))
        raise ValueError(f"format: expected {readable}, got {excerpt(found)} "
                         "(written by another spprov version?)")
    return int(found)


@dataclass(frozen=True)
class SecretTimes:
    """What Amazon's notification said of a stored client secret (readable, not secret)."""

    event_time: datetime  # the notification's eventTime: orders rotations
    expires_at: datetime | None  # newClientSecretExpiryTime


def format_event_time(moment: datetime) -> str:
    """``2026-11-28T02:00:00.123Z``: to the millisecond, as Amazon's eventTime is."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def secret_times(fields: Mapping[str, Any]) -> SecretTimes | None:
    """The times a rotation recorded in an app secret file; None for a secret set by hand."""
    if "secret_event_time" not in fields:
        return None
    value = fields["secret_event_time"]
    if isinstance(value, datetime):  # a reader that resolves YAML timestamps
        event_time = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str) and _EVENT_TIME.match(value):
        event_time = datetime.fromisoformat(value)
    else:
        raise ValueError(f"secret_event_time: expected a time like 2026-11-28T02:00:00.123Z, "
                         f"got {excerpt(value)}")
    expires = fields.get("secret_expires_at")
    return SecretTimes(event_time,
                       None if expires is None else parse_time(expires, "secret_expires_at"))


_EVENT_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")


def check_app_fields(fields: Mapping[str, Any], path: Path) -> datetime:
    """Check an app secret file's readable fields; its ``set_at``."""
    _check_format(fields)
    app = path.name.removesuffix(STATE_SUFFIX)
    if fields.get("app") != app:
        raise ValueError(f"app: {excerpt(fields.get('app'))} does not match the file name ({app})")
    return parse_time(fields.get("set_at"), "set_at")


def app_fields(app: str, set_at: datetime,
               times: SecretTimes | None = None) -> dict[str, object]:
    """The readable fields of an app secret file, in file order."""
    fields: dict[str, object] = {"format": STATE_FORMAT, "app": app,
                                 "set_at": format_time(set_at)}
    if times is not None:
        fields["secret_event_time"] = format_event_time(times.event_time)
        if times.expires_at is not None:
            fields["secret_expires_at"] = format_time(times.expires_at)
    return fields


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key}: expected text, got {excerpt(value)}")
    return value


def _choice(kind: type[_E], fields: Mapping[str, Any], key: str) -> _E:
    value = _text(fields, key)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise ValueError(f"{key}: expected one of {allowed}, got {excerpt(value)}") from None


def _optional_text(fields: Mapping[str, Any], key: str) -> str | None:
    return None if fields.get(key) is None else _text(fields, key)


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]}"
    return str(exc)


def error_line(exc: Exception) -> str:
    """One line for a parse error: ``line N: problem`` for YAML, the text otherwise."""
    located = yamlfile.plain_error_line(exc)
    if located is not None:
        return f"{located} (not valid YAML)"
    if isinstance(exc, YamlValueError):
        return f"{exc} (sops would read it differently)"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
