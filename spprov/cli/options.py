"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from spprov.const import NETWORK_CONCURRENCY
from spprov.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])


def only_option(function: F) -> F:
    """--only NAME, repeatable."""
    return click.option("--only", multiple=True, metavar="NAME",
                        help="Only this credential (repeatable).")(function)


def concurrency_option(function: F) -> F:
    """--concurrency N for token checks and bulk work."""
    return click.option("--concurrency", type=click.IntRange(1, 64), default=NETWORK_CONCURRENCY,
                        show_default=True,
                        help="Requests in flight at most (halved while Amazon throttles)."
                        )(function)


def refresh_option(function: F) -> F:
    """--refresh: check every stored token with LWA."""
    return click.option("--refresh", is_flag=True,
                        help="Exchange every stored refresh token (network, decryption); "
                             "revoked ones are planned as repair.")(function)


def base_option(function: F) -> F:
    """--base REF: read the trust root from this Git revision (a pull request's base)."""
    return click.option("--base", metavar="REF", default=None,
                        help="Read the trust root (.sops.yaml) from this Git revision, not "
                             "the working tree; in a GitHub or GitLab pull/merge request "
                             "job it defaults to the target branch.")(function)


def parse_time(value: str, option: str = "--at") -> datetime:
    """An ISO 8601 date or time; naive values are UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r}: not an ISO 8601 time; "
                         "write e.g. 2027-01-01 or 2027-01-01T12:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
