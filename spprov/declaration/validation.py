"""Check parsed credential files against the schema and say what is wrong in plain words.

Validation runs the compiled schema of ``spprov.declaration.schema`` (never a second copy of its
rules): the document without its credentials once, then each credential against the
credential subschema with one cached validator, which is what makes 10,000
credentials fast. jsonschema's errors are then worded for people, with regions.py.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

# No stubs for jsonschema in the venv; its objects are typed Any here.
from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
    Draft202012Validator,
    ValidationError,
)
from jsonschema.validators import extend  # type: ignore[import-untyped, unused-ignore]

from spprov.declaration import wording
from spprov.declaration.schema import NO_SECRET_VALUE_PATTERN, SCHEMA
from spprov.escape import excerpt

Path = tuple[str | int, ...]
MAX_FINDINGS = 100


@dataclass(frozen=True)
class Finding:
    """One problem at a path inside a parsed file."""

    path: Path
    message: str
    code: str = "invalid-value"


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262, where a final `$` does not match before a
    # trailing newline as Python's does: "acme\n" must not pass as a name.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: object,
             schema: dict[str, Any]) -> Iterator[Any]:
    if isinstance(instance, str) and not _compiled(pattern).search(instance):
        yield ValidationError(f"{excerpt(instance)} does not match {pattern!r}")


_Validator = extend(Draft202012Validator, {"pattern": _pattern})  # type: ignore[no-untyped-call, unused-ignore]


@cache
def document_validator() -> Any:
    """The whole-file validator (used with the credentials list emptied)."""
    return _Validator(SCHEMA)


@cache
def credential_validator() -> Any:
    """The validator of one credential (the schema's credential subschema)."""
    return _Validator(SCHEMA["properties"]["credentials"]["items"])


def check_document(value: object) -> list[Finding]:
    """Every problem of one parsed file, in plain words."""
    if not isinstance(value, dict):
        return [Finding((), wording.top_level_not_mapping(value), "invalid-document")]
    credentials = value.get("credentials")
    shallow = dict(value)
    if isinstance(credentials, list):
        shallow["credentials"] = []
    findings = list(_translate_all(document_validator().iter_errors(shallow), value, ()))
    if isinstance(credentials, list):
        findings.extend(check_credentials(credentials, value))
    return findings


def check_credentials(credentials: list[object], document: object) -> list[Finding]:
    """Problems of each credential; valid ones cost one fast ``is_valid``.

    Past MAX_FINDINGS only the number of further invalid credentials is reported: a
    broken shared anchor would otherwise print (and hold in memory) thousands of lines.
    """
    validator = credential_validator()
    findings: list[Finding] = []
    more = 0
    for index, credential in enumerate(credentials):
        if validator.is_valid(credential):
            continue
        # jsonschema's errors form reference cycles; the CLI pauses the collector while it
        # loads, so free them here (the youngest generation holds just this credential's errors).
        gc.collect(0)
        if len(findings) >= MAX_FINDINGS:
            more += 1
            continue
        errors = validator.iter_errors(credential)
        findings.extend(_translate_all(errors, document, ("credentials", index)))
    if more:
        findings.append(Finding(("credentials",), f"{more} more credentials have problems "
                                f"(only the first {MAX_FINDINGS} problems are shown)",
                                "too-many-problems"))
    return findings


def _translate_all(errors: Iterable[Any], document: object,
                   prefix: Path) -> Iterator[Finding]:
    seen: set[Finding] = set()
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        for finding in _translate(error, document, prefix + tuple(error.absolute_path)):
            if finding not in seen:
                seen.add(finding)
                yield finding


def _translate(error: Any, document: object, path: Path) -> Iterator[Finding]:
    keyword = error.validator
    instance = error.instance
    if keyword == "additionalProperties" and isinstance(instance, dict):
        yield from _unknown_keys(error, document, path)
    elif keyword == "required" and isinstance(instance, dict):
        missing = [key for key in error.validator_value if key not in instance]
        yield from (Finding(path, wording.missing_key(key, document, path), "missing-key")
                    for key in missing)
    elif "propertyNames" in error.schema_path:
        # jsonschema reports a refused key at its mapping, with the key as the instance.
        yield Finding((*path, str(instance)), wording.bad_key(str(instance), path),
                      "invalid-key")
    elif keyword == "anyOf" and path and path[0] == "credentials":
        yield from (Finding(*found, "consent-pairing")
                    for found in wording.consent_pairing(instance, document, path))
    else:
        yield Finding(path, wording.value_problem(str(keyword), error.validator_value, instance,
                                                  path, error.message),
                      _value_code(str(keyword), error.validator_value, path))


def _value_code(keyword: str, expected: object, path: Path) -> str:
    """The problem code of a value one schema keyword refused."""
    if keyword == "not" or (keyword == "pattern" and expected == NO_SECRET_VALUE_PATTERN):
        return "secret"
    if keyword == "const" and path == ("version",):
        return "unsupported-version"
    if keyword == "enum" and len(path) >= 2 and path[-2] == "roles":
        return "unknown-role"
    return "invalid-value"


def _unknown_keys(error: Any, document: object, path: Path) -> Iterator[Finding]:
    schema = error.schema
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for key in error.instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        yield Finding((*path, key), wording.unknown_key(key, sorted(known), document, path),
                      "secret" if wording.is_secret_key(key) else "unknown-key")


def describe(findings: Sequence[Finding]) -> list[str]:
    """The messages alone (for tests and debugging)."""
    return [finding.message for finding in findings]
