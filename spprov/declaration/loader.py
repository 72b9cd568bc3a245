"""Load the declared credentials: files -> checked -> ``Desired``.

The public API: ``load_desired``, ``find_config_files``, ``render_template``. Every
problem a person can fix is a ``ConfigError`` whose problems read ``FILE:LINE:COL: msg``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spprov import regions
from spprov.declaration.sources import (
    MAX_FILE_BYTES,
    Display,
    SourceFile,
    find_config_files,
    load_source,
    render_template,
)
from spprov.declaration.templateenv import NO_VARIABLES, TemplateVariables
from spprov.declaration.validation import check_document
from spprov.errors import ConfigError, ConfigNotFoundError, Location, Problem
from spprov.escape import excerpt
from spprov.escape import url_excerpt as url
from spprov.model import (
    DEFAULT_AUTHORIZATION_LIFETIME_DAYS,
    DEFAULT_RENEWAL_WINDOW_DAYS,
    RELAY_CALLBACK_PATH,
    App,
    Credential,
    Desired,
    Moved,
    Notifications,
)

__all__ = [
    "MAX_FILE_BYTES", "ConfigError", "ConfigNotFoundError", "find_config_files",
    "load_desired", "load_sources", "render_template",
]


@dataclass
class _Declarations:
    """Apps and credentials gathered from every file, with the problems found so far."""

    apps: dict[str, App] = field(default_factory=dict)
    credentials: list[tuple[dict[str, Any], SourceFile, int]] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def load_desired(path: Path, display: Display = str,
                 variables: TemplateVariables = NO_VARIABLES) -> Desired:
    """Read, check and merge the credential file or folder at ``path``; templates read
    ``variables`` (none unless given)."""
    sources, problems = load_sources(path, display, variables)
    if problems:
        raise ConfigError(problems)
    declarations = _Declarations()
    for source in sources:
        _collect(source, declarations)
    credentials = _credentials(declarations)
    if declarations.problems:
        raise ConfigError(declarations.problems)
    return Desired(apps=dict(sorted(declarations.apps.items())),
                   credentials=tuple(sorted(credentials, key=lambda c: c.name)),
                   moved=tuple(declarations.moved))


def load_sources(path: Path, display: Display = str,
                 variables: TemplateVariables = NO_VARIABLES,
                 ) -> tuple[list[SourceFile], list[Problem]]:
    """Every file at ``path`` parsed and checked against the schema, with their problems."""
    sources: list[SourceFile] = []
    problems: list[Problem] = []
    for file in find_config_files(path, display):
        try:
            source = load_source(file, display, variables)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        sources.append(source)
        problems.extend(source.problem(f.path, f.message, f.code)
                        for f in check_document(source.document.value))
    return sources, problems


def _collect(source: SourceFile, declarations: _Declarations) -> None:
    value = source.document.value
    assert isinstance(value, dict)  # checked by the schema
    for name, app in value.get("apps", {}).items():
        location = source.location(("apps", name))
        first = declarations.apps.get(name)
        if first is not None:
            declarations.problems.append(
                Problem(location, f"app {excerpt(name)} is already declared at {first.location}",
                        "duplicate-app"))
            continue
        declarations.apps[name] = _app(name, app, location)
        callback = relay_callback_problem(app)
        if callback:
            declarations.problems.append(source.problem(("apps", name, "redirect_uri"), callback,
                                                        "relay-callback-mismatch"))
        mismatch = _queue_region_mismatch(app.get("notifications"))
        if mismatch:
            declarations.problems.append(
                source.problem(("apps", name, "notifications", "aws_region"), mismatch,
                               "queue-region-mismatch"))
    for index, credential in enumerate(value.get("credentials", [])):
        declarations.credentials.append((credential, source, index))
    for index, entry in enumerate(value.get("moved", [])):
        _collect_move(entry, source, index, declarations)


def _collect_move(entry: dict[str, Any], source: SourceFile, index: int,
                  declarations: _Declarations) -> None:
    """One `moved` entry: both ends credentials or both apps, distinct, each source once."""
    old, new = entry["from"], entry["to"]
    where = ("moved", index)
    if isinstance(old, dict) != isinstance(new, dict):
        declarations.problems.append(source.problem(
            where, "moved: from and to must both be credential names or both {app: NAME}",
            "invalid-move"))
        return
    is_app = isinstance(old, dict)
    move = Moved(old["app"] if is_app else old, new["app"] if is_app else new, is_app,
                 source.location(where))
    if move.source == move.target:
        declarations.problems.append(source.problem(where, f"moved {move}: from and to are "
                                                           "the same; remove the entry",
                                                       "invalid-move"))
        return
    for other in declarations.moved:
        if other.app == move.app and ({move.source, move.target} & {other.source, other.target}):
            declarations.problems.append(source.problem(
                where, f"moved {move}: overlaps the entry at {other.location} ({other}); "
                       "move each name once, straight to its final name", "invalid-move"))
            return
    declarations.moved.append(move)


def _app(name: str, fields: dict[str, Any], location: Location) -> App:
    return App(
        name=name,
        application_id=fields["application_id"],
        client_id=fields["client_id"],
        redirect_uri=fields["redirect_uri"],
        draft=fields.get("draft", False),
        authorization_lifetime_days=fields.get("authorization_lifetime_days",
                                               DEFAULT_AUTHORIZATION_LIFETIME_DAYS),
        renewal_window_days=fields.get("renewal_window_days", DEFAULT_RENEWAL_WINDOW_DAYS),
        notifications=_notifications(fields.get("notifications")),
        relay=relay_base(fields.get("relay")),
        appstore_listed=fields.get("appstore_listed", False),
        roles=None if fields.get("roles") is None else tuple(fields["roles"]),
        location=location,
    )


def _notifications(fields: dict[str, Any] | None) -> Notifications | None:
    if fields is None:
        return None
    return Notifications(fields["sqs_queue_url"], fields["aws_region"])


def relay_base(relay: str | None) -> str | None:
    """A declared relay URL as links and the callback use it: no trailing slash."""
    return None if relay is None else relay.rstrip("/")


def relay_callback_problem(fields: dict[str, Any]) -> str | None:
    """An app with a relay must send its consents back to the relay's /callback."""
    base = relay_base(fields.get("relay"))
    if base is None or fields["redirect_uri"] == base + RELAY_CALLBACK_PATH:
        return None
    return (f"redirect_uri {url(fields['redirect_uri'])} must be {base}{RELAY_CALLBACK_PATH} "
            f"because the app declares relay {base}: Amazon returns the seller to the relay; "
            f"register {base}{RELAY_CALLBACK_PATH} with the app and declare it here")


def _queue_region_mismatch(fields: dict[str, Any] | None) -> str | None:
    """The queue URL names its region (sqs.REGION.amazonaws.com); it must be aws_region."""
    if fields is None:
        return None
    host = fields["sqs_queue_url"].split("/")[2]
    queue_region = host.removeprefix("sqs.").removesuffix(".amazonaws.com")
    if queue_region == fields["aws_region"]:
        return None
    return (f"aws_region {fields['aws_region']!r} is not the region of sqs_queue_url "
            f"({queue_region}); make them the same")


def _credentials(declarations: _Declarations) -> list[Credential]:
    built: dict[str, Credential] = {}
    for fields, source, index in declarations.credentials:
        name = fields["name"]
        location = source.location(("credentials", index))
        first = built.get(name)
        if first is not None:
            declarations.problems.append(
                Problem(location,
                        f"credential {excerpt(name)} is already declared at {first.location}",
                        "duplicate-credential"))
            continue
        app = _app_of(fields, declarations, source, index)
        if app is not None:
            built[name] = _credential(fields, app, location)
    return list(built.values())


def _app_of(fields: dict[str, Any], declarations: _Declarations, source: SourceFile,
            index: int) -> str | None:
    """The credential's app, or None after recording why it has none."""
    name, apps = fields["name"], declarations.apps
    app = fields.get("app")
    if app is None and len(apps) == 1:
        return next(iter(apps))
    if app is None:
        message = (f"credential {excerpt(name)} must name its app (app: ...): {len(apps)} apps are "
                   f"declared ({', '.join(sorted(apps))})" if apps else
                   f"credential {excerpt(name)} names no app and no app is declared; add one under "
                   "'apps'")
        declarations.problems.append(source.problem(("credentials", index), message,
                                                    "unknown-app"))
        return None
    if app not in apps:
        declarations.problems.append(
            source.problem(("credentials", index, "app"), _unknown_app(name, app, apps),
                           "unknown-app"))
        return None
    return str(app)


def _unknown_app(name: str, app: str, apps: dict[str, App]) -> str:
    message = f"credential {excerpt(name)} uses app {excerpt(app)}, which is not declared"
    close = difflib.get_close_matches(app, list(apps), n=1)
    if close:
        return f"{message}; did you mean {excerpt(close[0])}?"
    return f"{message} (declared: {', '.join(sorted(apps)) or 'none'})"


def _credential(fields: dict[str, Any], app: str, location: Location) -> Credential:
    seller_url = fields.get("seller_central_url")
    kind = regions.AccountKind.SELLER if seller_url else regions.AccountKind.VENDOR
    consent_url = seller_url or fields["vendor_central_url"]
    endpoint = regions.ENDPOINTS_BY_URL[fields["sp_api_endpoint"]]
    return Credential(
        name=fields["name"],
        app=app,
        kind=kind,
        consent_url=consent_url,
        sp_api_endpoint=endpoint.url,
        region=endpoint.region,
        environment=endpoint.environment,
        description=fields.get("description"),
        selling_partner_id=fields.get("selling_partner_id"),
        authorization_version=int(fields.get("authorization_version", 1)),
        location=location,
    )
