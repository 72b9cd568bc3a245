"""The JSON Schema of credential files, built from the regions table.

``python -m spprov.declaration.schema`` prints it. ``make schema`` writes that output to
``spprov/data/credentials.schema.json`` (package data: the wheel carries it, ``spprov schema``
prints it and ``spprov init`` copies it into a repository for editors) and to
``schemas/credentials.schema.json`` (the published copy); a test keeps both in step. spprov
itself validates with ``SCHEMA`` directly, so the rules live in exactly one place: this module.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from spprov.const import AMAZON_SECRET_PREFIXES, NAME_PATTERN
from spprov.hints import authorize_command, run_authorize
from spprov.model import (
    DEFAULT_AUTHORIZATION_LIFETIME_DAYS,
    DEFAULT_RENEWAL_WINDOW_DAYS,
)
from spprov.regions import ENDPOINTS, SELLER_CENTRAL_URLS, VENDOR_CENTRAL_URLS, Region
from spprov.roles import ROLES

Schema = dict[str, Any]

SCHEMA_ID = "urn:spprov:schema:credentials:1"
FORMAT_VERSION = 1
# JSON Schema patterns are ECMA-262 (no inline flags), so case-insensitivity is spelled out.
SECRET_WORDS = ("secret", "token", "password")
SECRET_KEY_PATTERN = "|".join(
    "".join(f"[{c.upper()}{c}]" for c in word) for word in SECRET_WORDS
)
# Refresh tokens (Atzr|), access tokens (Atza|) and LWA client secrets (amzn1.oa2-cs.).
NO_SECRET_VALUE_PATTERN = "^(?![\\s\\S]*(?:" + "|".join(
    prefix.replace(".", "\\.").replace("|", "\\|") for prefix in AMAZON_SECRET_PREFIXES) + "))"
# Free text is stored as a readable field of the state file: a value that starts like an
# encrypted one (ENC[...]) would be read back as a secret, and the file has a size limit.
STORED_TEXT_PATTERN = r"^(?!ENC\[)"
MAX_TEXT_CHARS = 10_000
_PATH = r"(?:[/?][^\s#]*)?"
REDIRECT_URI_PATTERN = (
    rf"^(?:https://[^\s/?#:@]+(?::[0-9]{{1,5}})?{_PATH}"
    rf"|http://(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{{1,5}})?{_PATH})$"
)
# A relay's base URL: the same hosts as a redirect URI, a path but no query or fragment.
_BASE_PATH = r"(?:/[^\s#?]*)?"
RELAY_URL_PATTERN = (
    rf"^(?:https://[^\s/?#:@]+(?::[0-9]{{1,5}})?{_BASE_PATH}"
    rf"|http://(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{{1,5}})?{_BASE_PATH})$"
)
# The queue decides where `spprov app rotate-secret` reads the new client secret from, so
# only Amazon's own SQS hosts are accepted (tests point boto3 elsewhere through the
# environment, never through the repository).
AWS_REGION_PATTERN = "^[a-z]{2}(?:-[a-z]+)+-[0-9]$"
SQS_QUEUE_URL_PATTERN = (
    r"^https://sqs\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com/[0-9]{12}/[A-Za-z0-9_-]{1,80}$"
)

ADVICE_APP_CLIENT = (
    "the app's LWA client secret never goes in a credential file: set the environment "
    "variable SPPROV_APP_<APP>_CLIENT_SECRET or run `spprov app set-secret APP`"
)
ADVICE_REFRESH = (
    f"refresh tokens never go in a credential file: {run_authorize()}, or "
    f"`{authorize_command()} --refresh-token-stdin` to import a self-authorized one"
)
ADVICE_ACCESS = (
    "access tokens are never stored: spprov mints them from the stored refresh token "
    "(`spprov token NAME`)"
)


def _forbidden(help_text: str) -> Schema:
    return {"description": f"Not allowed: {help_text}.", "not": {}}


def _no_secret_string(description: str) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
            "pattern": NO_SECRET_VALUE_PATTERN, "allOf": [{"pattern": STORED_TEXT_PATTERN}],
            "description": description}


def _urls_in(table: dict[str, Region], region: Region) -> list[str]:
    return [url for url, url_region in table.items() if url_region is region]


def _endpoints_in(region: Region) -> list[str]:
    return [endpoint.url for endpoint in ENDPOINTS if endpoint.region is region]


_FIELD_HELP = {
    "seller_central_url": "Seller Central URL where the seller consents (https, host only).",
    "vendor_central_url": "Vendor Central URL where the vendor consents (https, host only).",
    "sp_api_endpoint": "SP-API endpoint (production or sandbox) of the consent URL's region.",
}


def _pairing_branch(key: str, other: str, urls: list[str], region: Region) -> Schema:
    return {
        "title": f"{key} and sp_api_endpoint in region {region.value}",
        "required": [key],
        "properties": {
            key: {"enum": urls, "description": _FIELD_HELP[key]},
            other: False,
            "sp_api_endpoint": {"enum": _endpoints_in(region),
                                "description": _FIELD_HELP["sp_api_endpoint"]},
        },
    }


def region_pairing() -> list[Schema]:
    """One branch per (kind, region): exactly one consent URL, endpoint of its region."""
    seller, vendor = "seller_central_url", "vendor_central_url"
    return [
        *(_pairing_branch(seller, vendor, _urls_in(SELLER_CENTRAL_URLS, r), r) for r in Region),
        *(_pairing_branch(vendor, seller, _urls_in(VENDOR_CENTRAL_URLS, r), r) for r in Region),
    ]


def _credential_properties() -> Schema:
    return {
        "name": {"type": "string", "pattern": NAME_PATTERN,
                 "description": "Unique name: lower-case letters, digits and '-', at most 63 "
                                "characters; also the state file's name."},
        "description": _no_secret_string("What this credential is for (free text)."),
        "app": {"type": "string", "pattern": NAME_PATTERN,
                "description": "The app (key under `apps`) this credential authorizes; "
                               "optional when exactly one app is declared."},
        # The allowed values are in the region pairing (`anyOf`); `true` here keeps
        # validation fast (no second look at the same value) while additionalProperties
        # still knows these keys.
        "seller_central_url": True,
        "vendor_central_url": True,
        "sp_api_endpoint": True,
        "selling_partner_id": _no_secret_string(
            "Optional pin: consent given by any other selling partner is refused."),
        "authorization_version": {"type": "integer", "minimum": 1, "default": 1,
                                  "description": "Bump it to force a new authorization."},
        "refresh_token": _forbidden(ADVICE_REFRESH),
        "access_token": _forbidden(ADVICE_ACCESS),
        "client_secret": _forbidden(ADVICE_APP_CLIENT),
    }


def credential_schema() -> Schema:
    """One entry of ``credentials``."""
    return {
        "title": "credential",
        "description": "One selling partner's authorization of an app in one region.",
        "type": "object",
        "required": ["name", "sp_api_endpoint"],
        "additionalProperties": False,
        "properties": _credential_properties(),
        "$comment": "anyOf: exactly one of seller_central_url / vendor_central_url, whose "
                    "region is the region of sp_api_endpoint.",
        "anyOf": region_pairing(),
    }


def app_schema() -> Schema:
    """One value under ``apps``."""
    return {
        "title": "app",
        "description": "An SP-API application (LWA client) that credentials authorize.",
        "type": "object",
        "required": ["application_id", "client_id", "redirect_uri"],
        "additionalProperties": False,
        "properties": {
            "application_id": _no_secret_string(
                "The app's ID from Developer Central (amzn1.sp.solution.… or "
                "amzn1.sellerapps.app.…)."),
            "client_id": _no_secret_string("The LWA client identifier of the app."),
            "redirect_uri": {"type": "string", "format": "uri", "pattern": REDIRECT_URI_PATTERN,
                             "description": "A registered redirect URI: https, or http only "
                                            "for loopback (127.0.0.1, localhost, [::1])."},
            "relay": {"type": "string", "format": "uri", "pattern": RELAY_URL_PATTERN,
                      "description": "The public base URL of the app's `spprov relay serve` "
                                     "(https, or http only for loopback), which invitation "
                                     "links open; redirect_uri is then RELAY/callback."},
            "draft": {"type": "boolean", "default": False,
                      "description": "True while the app is in Draft status (adds "
                                     "version=beta to the consent URL)."},
            "authorization_lifetime_days": {
                "type": ["integer", "null"], "minimum": 0,
                "default": DEFAULT_AUTHORIZATION_LIFETIME_DAYS,
                "description": "Days an authorization lasts (365 for public apps); null for "
                               "private/self-authorized apps whose authorization never expires."},
            "renewal_window_days": {
                "type": "integer", "minimum": 0, "default": DEFAULT_RENEWAL_WINDOW_DAYS,
                "description": "spprov plans a renewal this many days before expiry."},
            "notifications": notifications_schema(),
            "appstore_listed": {
                "type": "boolean", "default": False,
                "description": "True once the app is listed in the Selling Partner Appstore: "
                               "Amazon then sets no limit on seller OAuth authorizations "
                               "(an unlisted app holds at most 25)."},
            "roles": {
                "type": "array", "uniqueItems": True, "items": {"enum": list(ROLES)},
                "description": "The app's SP-API roles, as the Developer Console names them. "
                               "Adding one plans a reauthorization of the app's credentials "
                               "(Amazon requires a new consent); removing one does not."},
            "client_secret": _forbidden(ADVICE_APP_CLIENT),
            "refresh_token": _forbidden(ADVICE_REFRESH),
        },
    }


def notifications_schema() -> Schema:
    """``apps.NAME.notifications``: the SQS queue Amazon's notifications for the app go to."""
    return {
        "type": "object",
        "description": "Where Amazon sends the app's notifications; `spprov app rotate-secret` "
                       "reads the new client secret from this queue. AWS credentials come "
                       "from the usual AWS sources, never from this file.",
        "required": ["sqs_queue_url", "aws_region"],
        "additionalProperties": False,
        "properties": {
            "sqs_queue_url": {
                "type": "string", "pattern": SQS_QUEUE_URL_PATTERN,
                "description": "A standard SQS queue, "
                               "https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE."},
            "aws_region": {"type": "string", "pattern": AWS_REGION_PATTERN,
                           "description": "The queue's AWS region, e.g. us-east-1."},
        },
    }


def moved_schema() -> Schema:
    """``moved``: renames that keep the stored authorization (no consent), as Terraform's."""
    app_ref = {"type": "object", "required": ["app"], "additionalProperties": False,
               "properties": {"app": {"type": "string", "pattern": NAME_PATTERN}}}
    name = {"type": "string", "pattern": NAME_PATTERN}
    return {
        "type": "array",
        "description": "Renames: `- from: OLD` / `to: NEW` for a credential, "
                       "`- from: {app: OLD}` / `to: {app: NEW}` for an app (same client_id). "
                       "The stored state follows without a new consent; an entry that "
                       "matches nothing is reported and ignored. See docs/lifecycle.md.",
        "items": {
            "type": "object",
            "required": ["from", "to"],
            "additionalProperties": False,
            "properties": {
                "from": {"anyOf": [name, app_ref],
                         "description": "The old credential name, or {app: OLD_APP}."},
                "to": {"anyOf": [name, app_ref],
                       "description": "The new credential name, or {app: NEW_APP}."},
            },
        },
    }


def _no_secrets() -> Schema:
    return {
        "description": "Anything (for YAML anchors), but no secrets.",
        "pattern": NO_SECRET_VALUE_PATTERN,
        "propertyNames": {"not": {"pattern": SECRET_KEY_PATTERN}},
        "additionalProperties": {"$ref": "#/$defs/no_secrets"},
        "items": {"$ref": "#/$defs/no_secrets"},
    }


def build_schema() -> Schema:
    """The whole schema of one credential file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "spprov credential file",
        "description": "Declares SP-API apps and the credentials (authorizations) spprov "
                       "keeps. Secrets never go here. See docs/credentials.md.",
        "type": "object",
        "required": ["version"],
        "anyOf": [{"required": ["apps"]}, {"required": ["credentials"]}],
        "additionalProperties": False,
        "propertyNames": {"not": {"pattern": SECRET_KEY_PATTERN}},
        "patternProperties": {"^x-": {"$ref": "#/$defs/no_secrets"}},
        "properties": {
            "version": {"const": FORMAT_VERSION, "description": "The file format version: 1."},
            "apps": {"type": "object", "description": "Apps by name.",
                     "propertyNames": {"pattern": NAME_PATTERN},
                     "additionalProperties": app_schema()},
            "credentials": {"type": "array", "description": "The credentials.",
                            "items": credential_schema()},
            "moved": moved_schema(),
        },
        "$defs": {"no_secrets": _no_secrets()},
    }


SCHEMA: Schema = build_schema()


def schema_json() -> str:
    """The schema as the text of ``schemas/credentials.schema.json``."""
    return json.dumps(SCHEMA, indent=2, ensure_ascii=False) + "\n"


PACKAGED_SCHEMA = "data/credentials.schema.json"


def packaged_schema() -> str:
    """The schema file installed with spprov (the same text as ``schema_json()``)."""
    return resources.files("spprov").joinpath(PACKAGED_SCHEMA).read_text(encoding="utf-8")


def main() -> None:
    """Print the schema (``make schema`` writes it to schemas/)."""
    print(schema_json(), end="")


if __name__ == "__main__":
    main()
