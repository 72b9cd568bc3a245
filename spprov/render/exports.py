"""A credential in the formats other programs read: env lines, JSON, python-amazon-sp-api."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from spprov.const import REFRESH_TOKEN_PREFIX, SELLING_PARTNER_ID
from spprov.errors import StateError
from spprov.escape import excerpt, url_excerpt
from spprov.model import Record
from spprov.regions import (
    LWA_TOKEN_URL,
    Environment,
    consent_kind,
    endpoint,
    endpoint_of,
    marketplaces_for_consent_url,
)
from spprov.secret import Secret
from spprov.yamlfile import dump

FORMATS = ("env", "json", "python-amazon-sp-api")
EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExportedCredential:
    """Everything a client needs to call SP-API for one credential.

    Made only from values of the shapes they must have, checked here (the one way into
    ``token``, ``export`` and every format): a state file is repository text, and a value
    with a newline would be a new variable for a line-based env reader (``docker run
    --env-file``, ``$GITHUB_ENV``), an odd endpoint a place to send tokens to.
    """

    record: Record
    refresh_token: Secret
    client_secret: Secret

    def __post_init__(self) -> None:
        problem = shape_problem(self)
        if problem is not None:
            raise StateError(f"{self.record.name}: {problem}; refused before it left spprov "
                             "(restore the state file from Git, or authorize again)")


# What may appear inside a value anywhere: printable, no white space but the space.
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")


def shape_problem(exported: ExportedCredential) -> str | None:
    """What is wrong with the shape of a credential's values, or None."""
    record = exported.record
    found = endpoint_of(record.sp_api_endpoint)
    if found is None or found.region is not record.region:
        return (f"sp_api_endpoint {url_excerpt(record.sp_api_endpoint)} is not the SP-API "
                f"endpoint of region {record.region.value}")
    if consent_kind(record.consent_url) is None:
        return f"consent_url {url_excerpt(record.consent_url)} is not a consent page"
    partner = record.selling_partner_id
    if partner is not None and not SELLING_PARTNER_ID.fullmatch(partner):
        return (f"selling_partner_id {excerpt(partner)} is not a selling partner ID "
                "(2 to 40 upper-case letters and digits)")
    for field, value in (("name", record.name), ("app", record.app),
                         ("client_id", record.client_id)):
        if not _TOKEN.fullmatch(value):
            return f"{field} {excerpt(value)} holds white space or control characters"
    refresh_token = exported.refresh_token.reveal()
    if not (refresh_token.startswith(REFRESH_TOKEN_PREFIX) and _TOKEN.fullmatch(refresh_token)):
        return "refresh_token is not an LWA refresh token (Atzr|... without white space)"
    if not _TOKEN.fullmatch(exported.client_secret.reveal()):
        return "the app's client secret holds white space or control characters"
    return None


def _fields(exported: ExportedCredential) -> dict[str, Any]:
    record = exported.record
    found = endpoint(record.sp_api_endpoint)
    kind = consent_kind(record.consent_url)
    return {
        "name": record.name,
        "app": record.app,
        "region": record.region.value,
        "environment": found.environment.value if found else None,
        "kind": kind.value if kind else None,
        "sp_api_endpoint": record.sp_api_endpoint,
        "consent_url": record.consent_url,
        "marketplace_ids": [m.marketplace_id for m in marketplaces_for_consent_url(
            record.consent_url)],
        "selling_partner_id": record.selling_partner_id,
        "lwa_token_url": LWA_TOKEN_URL,
        "client_id": record.client_id,
        "client_secret": exported.client_secret.reveal(),
        "refresh_token": exported.refresh_token.reveal(),
    }


def default_marketplace(record: Record) -> str | None:
    """The marketplace code when the consent URL serves exactly one (e.g. US), else None."""
    marketplaces = marketplaces_for_consent_url(record.consent_url)
    return marketplaces[0].code if len(marketplaces) == 1 else None


def as_env(exported: ExportedCredential) -> str:
    """Shell-safe KEY=value lines with the names python-amazon-sp-api and others read."""
    fields = _fields(exported)
    names = {
        "SP_API_REFRESH_TOKEN": fields["refresh_token"],
        "LWA_APP_ID": fields["client_id"],
        "LWA_CLIENT_SECRET": fields["client_secret"],
        "SP_API_ENDPOINT": fields["sp_api_endpoint"],
        "SP_API_REGION": fields["region"],
        "SP_API_ENVIRONMENT": fields["environment"],
        # python-amazon-sp-api picks sandbox hosts from AWS_ENV alone, read once per process
        # at import; written for production too, so an earlier sandbox export cannot linger.
        "AWS_ENV": _python_amazon_sp_api_env(fields["environment"]),
        "SP_API_SELLING_PARTNER_ID": fields["selling_partner_id"],
        "SP_API_DEFAULT_MARKETPLACE": default_marketplace(exported.record),
    }
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in names.items()
                   if value is not None)


def _python_amazon_sp_api_env(environment: str | None) -> str | None:
    if environment is None:
        return None
    return "SANDBOX" if environment == Environment.SANDBOX.value else "PRODUCTION"


def as_json(exported: ExportedCredential) -> str:
    """Every field a client needs, as one JSON object."""
    return json.dumps({"format_version": EXPORT_FORMAT_VERSION, **_fields(exported)},
                      indent=2) + "\n"


def as_python_amazon_sp_api(exported: ExportedCredential) -> str:
    """The account block of python-amazon-sp-api's credentials.yml, named after the credential.

    Only the block, without ``version``, so several exports can be appended to one file.
    """
    fields = _fields(exported)
    block = {
        exported.record.name: {
            "refresh_token": fields["refresh_token"],
            "lwa_app_id": fields["client_id"],
            "lwa_client_secret": fields["client_secret"],
        },
    }
    # An infinite width keeps a 2048-byte token on one line.
    return dump(block, width=float("inf"))


RENDERERS = {"env": as_env, "json": as_json, "python-amazon-sp-api": as_python_amazon_sp_api}
