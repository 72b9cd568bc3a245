"""Plain-words messages for problems in credential files (used by spprov.declaration.validation)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from urllib.parse import urlsplit

from spprov import regions, roles
from spprov.const import ACCESS_TOKEN_PREFIX, NAME_PATTERN, REFRESH_TOKEN_PREFIX
from spprov.declaration import region_hints
from spprov.declaration.schema import (
    ADVICE_ACCESS,
    ADVICE_APP_CLIENT,
    ADVICE_REFRESH,
    FORMAT_VERSION,
    MAX_TEXT_CHARS,
    NO_SECRET_VALUE_PATTERN,
    REDIRECT_URI_PATTERN,
    RELAY_URL_PATTERN,
    SECRET_WORDS,
    SQS_QUEUE_URL_PATTERN,
    STORED_TEXT_PATTERN,
)
from spprov.escape import excerpt
from spprov.escape import url_excerpt as url

Path = tuple[str | int, ...]
SELLER, VENDOR, ENDPOINT = "seller_central_url", "vendor_central_url", "sp_api_endpoint"
_START = "a credential file is a mapping that starts with 'version: 1'"
_NAME_RULE = ("use lower-case letters, digits and '-', starting with a letter or digit, "
              "at most 63 characters")
_EXPECTED = {"string": "a string", "integer": "a whole number", "boolean": "true or false",
             "object": "a mapping", "array": "a list", "null": "null", "number": "a number"}


def kind_of(value: object) -> str:
    """How a YAML value reads to a person."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {excerpt(value)}"
    if isinstance(value, str):
        return f"the string {excerpt(value)}"
    return "a list" if isinstance(value, list) else "a mapping"


def owner(document: object, path: Path) -> str:
    """What the path belongs to: a credential, an app or the top level."""
    if len(path) >= 2 and path[0] == "credentials" and isinstance(path[1], int):
        item = _get(document, path[:2])
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            return f"credential {excerpt(name)}"
        return f"credential #{path[1] + 1}"
    if len(path) >= 2 and path[0] == "apps":
        return f"app {excerpt(path[1])}"
    return "the top level"


def _get(document: object, path: Path) -> object:
    value = document
    for step in path:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    return value


def field(path: Path) -> str:
    """The key a value is written under."""
    if path and isinstance(path[-1], str):
        return path[-1]
    if len(path) == 2 and path[0] == "credentials":
        return "each credential"
    return ".".join(map(str, path)) or "the file"


def top_level_not_mapping(value: object) -> str:
    """The file is empty, a list or a scalar."""
    if value is None:
        return f"the file is empty; {_START}"
    return f"the top level is {kind_of(value) if not isinstance(value, list) else 'a list'}; " \
           f"{_START}"


def secret_key(key: str) -> str:
    """A key that names a secret, and where that secret goes instead."""
    lowered = key.lower()
    if "secret" in lowered or "password" in lowered:
        help_text = ADVICE_APP_CLIENT
    elif "access" in lowered:
        help_text = ADVICE_ACCESS
    else:
        help_text = ADVICE_REFRESH
    return f"key {excerpt(key)} is for a secret, and secrets are not allowed here: {help_text}"


def is_secret_key(key: str) -> bool:
    """Whether a key's name says it holds a secret (`secret`, `token`, `password`)."""
    return any(word in key.lower() for word in SECRET_WORDS)


def unknown_key(key: str, known: Sequence[str], document: object, path: Path) -> str:
    """An unknown key, with a suggestion when it is close to a known one."""
    if is_secret_key(key):
        return secret_key(key)
    allowed = [k for k in known if not is_secret_key(k)]
    who = owner(document, path)
    message = f"unknown key {excerpt(key)} {'at' if who == 'the top level' else 'in'} {who}"
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"{message}; did you mean {excerpt(close[0])}?" if close else message


def missing_key(key: str, document: object, path: Path) -> str:
    """A required key that is not there."""
    if not path:
        return f"missing '{key}'; {_START}" if key == "version" else f"missing {excerpt(key)}"
    return f"{owner(document, path)} is missing {key}"


def bad_key(key: str, path: Path) -> str:
    """A key refused by ``propertyNames``: an app name, or a secret's name."""
    if path == ("apps",):
        return f"app name {excerpt(key)} is not allowed: {_NAME_RULE}"
    return secret_key(key)


def consent_pairing(instance: object, document: object,
                    path: Path) -> list[tuple[Path, str]]:
    """Why a credential matches none of the (consent URL, endpoint) pairings of the schema."""
    if not isinstance(instance, dict):
        return []  # reported by its type check
    who = owner(document, path)
    if SELLER in instance and VENDOR in instance:
        return [(path, f"{who} has both {SELLER} and {VENDOR}; keep the one where the "
                       "selling partner signs in")]
    if SELLER not in instance and VENDOR not in instance:
        return [(path, f"{who} needs {SELLER} or {VENDOR}")]
    key = SELLER if SELLER in instance else VENDOR
    url, endpoint_url = instance[key], instance.get(ENDPOINT)
    table = regions.SELLER_CENTRAL_URLS if key == SELLER else regions.VENDOR_CENTRAL_URLS
    consent_region = table.get(url) if isinstance(url, str) else None
    endpoint = regions.endpoint(endpoint_url) if isinstance(endpoint_url, str) else None
    found: list[tuple[Path, str]] = []
    if consent_region is None:
        found.append(((*path, key), consent_url_problem(key, url)))
    if endpoint is None and ENDPOINT in instance:
        found.append(((*path, ENDPOINT), endpoint_problem(endpoint_url, consent_region)))
    if found or endpoint is None or consent_region is None:
        return found  # a missing endpoint is reported by `required`
    right = regions.endpoint_for(consent_region, endpoint.environment).url
    return [((*path, ENDPOINT), f"{ENDPOINT} {endpoint_url} is in region {endpoint.region}, "
                                f"but {key} {url} is in region {consent_region}; "
                                f"did you mean {right}?")]


def value_problem(keyword: str, expected: object, instance: object, path: Path,
                  fallback: str) -> str:
    """A value refused by one schema keyword."""
    name = field(path)
    if keyword == "type":
        kinds = [expected] if isinstance(expected, str) else list(expected)  # type: ignore[call-overload]
        wanted = " or ".join(_EXPECTED.get(k, k) for k in kinds)
        return f"{name} must be {wanted}, not {kind_of(instance)}"
    if keyword == "enum" and name in (SELLER, VENDOR):
        return consent_url_problem(name, instance)
    if keyword == "enum" and name == ENDPOINT:
        return endpoint_problem(instance)
    if keyword == "enum" and len(path) >= 2 and path[-2] == "roles":
        return role_problem(instance)
    if keyword == "uniqueItems" and name == "roles":
        return "roles names a role twice; list each role once"
    if keyword == "const" and name == "version":
        return (f"version {excerpt(instance)} is not supported: this spprov reads version "
                f"{FORMAT_VERSION}")
    if keyword == "pattern":
        return pattern_problem(str(expected), instance, name)
    if keyword == "minimum":
        return f"{name} must be at least {expected}, not {instance}"
    if keyword == "minLength":
        return f"{name} must not be empty"
    if keyword == "maxLength" and isinstance(instance, str):
        return (f"{name} is {len(instance)} characters long; a state file stores at most "
                f"{MAX_TEXT_CHARS}: shorten it")
    if keyword == "not" and path and isinstance(path[-1], str):
        return secret_key(path[-1])
    if keyword == "anyOf" and not path:
        return "the file declares neither apps nor credentials; write at least one of them"
    return f"{name}: {fallback}"


def role_problem(value: object) -> str:
    """A role that is not one of Amazon's SP-API roles, with the one it most likely means."""
    if not isinstance(value, str):
        return f"roles: each role must be a role name such as 'Pricing', not {kind_of(value)}"
    suggestion = roles.suggestion(value)
    if suggestion is not None:
        return f"role {excerpt(value)} is not an SP-API role; did you mean {suggestion!r}?"
    return (f"role {excerpt(value)} is not an SP-API role; the roles are listed in "
            "docs/credentials.md")


def pattern_problem(pattern: str, instance: object, name: str) -> str:
    """A string refused by one of the schema's patterns."""
    if pattern == NAME_PATTERN and name == "app":
        return f"app {excerpt(instance)} is not a valid app name: {_NAME_RULE}"
    if pattern == NAME_PATTERN:
        return f"name {excerpt(instance)} is not allowed: {_NAME_RULE}"
    if pattern == NO_SECRET_VALUE_PATTERN:
        return secret_value(name, str(instance))
    if pattern == STORED_TEXT_PATTERN:
        return (f"{name} {excerpt(instance)} starts with ENC[, which marks an encrypted value "
                "in a state file, so it would not be read back as written: reword it")
    if pattern == REDIRECT_URI_PATTERN:
        return (f"redirect_uri {url(instance)} is not allowed: use an https URL (http only for "
                "loopback 127.0.0.1, localhost or [::1])")
    if pattern == RELAY_URL_PATTERN:
        return (f"relay {url(instance)} is not allowed: use the relay's https base URL, "
                "without query or fragment (http only for loopback 127.0.0.1, localhost or "
                "[::1])")
    if pattern == SQS_QUEUE_URL_PATTERN:
        return (f"sqs_queue_url {url(instance)} is not an SQS queue URL: use "
                "https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE (Amazon's SQS only)")
    return f"{name} {excerpt(instance)} does not match {pattern!r}"


def secret_value(name: str, value: str) -> str:
    """A value that looks like a token or client secret, and where it goes instead."""
    if REFRESH_TOKEN_PREFIX in value:
        what, help_text = "a refresh token", ADVICE_REFRESH
    elif ACCESS_TOKEN_PREFIX in value:
        what, help_text = "an access token", ADVICE_ACCESS
    else:
        what, help_text = "an LWA client secret", ADVICE_APP_CLIENT
    return f"{name} looks like {what}; {help_text}"


def canonical_url(value: str) -> str:
    """https://HOST of a URL written loosely (http, upper case, a path, a trailing slash)."""
    text = value.strip().lower()
    try:
        host = urlsplit(text if "://" in text else f"https://{text}").hostname
    except ValueError:
        return text
    return f"https://{host}" if host else text


def _suggest(value: str, candidates: Sequence[str]) -> str | None:
    canonical = canonical_url(value)
    if canonical in candidates:
        return canonical
    close = difflib.get_close_matches(canonical, candidates, n=1, cutoff=0.85)
    return close[0] if close else None


def consent_url_problem(key: str, value: object) -> str:
    """A Seller/Vendor Central URL that is not in the table."""
    seller = key == SELLER
    kind = regions.AccountKind.SELLER if seller else regions.AccountKind.VENDOR
    label, other_label = ("a Seller Central URL", "a Vendor Central URL") if seller \
        else ("a Vendor Central URL", "a Seller Central URL")
    table = regions.SELLER_CENTRAL_URLS if seller else regions.VENDOR_CENTRAL_URLS
    other = regions.VENDOR_CENTRAL_URLS if seller else regions.SELLER_CENTRAL_URLS
    if not isinstance(value, str):
        return f"{key} must be {label} such as {next(iter(table))!r}, not {kind_of(value)}"
    other_key = VENDOR if seller else SELLER
    if canonical_url(value) in other and canonical_url(value) not in table:
        return f"{key} {url(value)} is {other_label}; write it as {other_key}"
    if canonical_url(value) in table:
        return f"{key} {url(value)} is not {label}; did you mean {canonical_url(value)!r}?"
    wrong_kind = region_hints.wrong_kind_suggestion(value, kind)
    if wrong_kind is not None:
        return f"{key} {url(value)} is a {other_label[2:-4]} address; write it as " \
               f"{other_key} {wrong_kind[1]}"
    by_country = region_hints.country_suggestion(value, kind)
    if by_country is not None:
        return f"{key} {url(value)} is not {label}; did you mean {by_country}?"
    suggestion = _suggest(value, list(table))
    if suggestion is not None:
        return f"{key} {url(value)} is not {label}; did you mean {suggestion!r}?"
    return f"{key} {url(value)} is not {label}; the accepted URLs are listed in docs/credentials.md"


def endpoint_problem(value: object, region: regions.Region | None = None) -> str:
    """An sp_api_endpoint that is not one of the six; ``region`` is the consent URL's, if known."""
    hint = ("use https://sellingpartnerapi-REGION.amazon.com or "
            "https://sandbox.sellingpartnerapi-REGION.amazon.com, REGION na, eu or fe")
    if not isinstance(value, str):
        return f"{ENDPOINT} must be an SP-API endpoint URL, not {kind_of(value)}; {hint}"
    if canonical_url(value) == "https://api.amazon.com":
        return f"{ENDPOINT} {url(value)} is the LWA token endpoint, not an SP-API endpoint; {hint}"
    if region is not None:
        right = region_hints.endpoint_for_region(value, region)
        return f"{ENDPOINT} {url(value)} is not an SP-API endpoint; did you mean {right!r} " \
               f"(region {region}, like the consent URL)?"
    suggestion = _suggest(value, list(regions.ENDPOINTS_BY_URL))
    if suggestion is not None:
        return f"{ENDPOINT} {url(value)} is not an SP-API endpoint; did you mean {suggestion!r}?"
    return f"{ENDPOINT} {url(value)} is not an SP-API endpoint; {hint}"
