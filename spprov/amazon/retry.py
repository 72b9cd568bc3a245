"""Retries with exponential backoff and jitter, bounded in attempts and in total time."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from spprov.errors import TransientAmazonError

log = logging.getLogger("spprov.amazon.lwa")

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most ``attempts`` tries within ``total_seconds``."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 8.0
    total_seconds: float = 60.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The wait after failed attempt ``attempt`` (1-based): exponential, equal jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Amazon's Retry-After when it sent one, else the backoff."""
        if retry_after is not None:
            return max(0.0, retry_after)
        return self.backoff(attempt, rng)


@dataclass(frozen=True)
class Failure:
    """One attempt that failed in a way that may pass on its own."""

    description: str
    status: int | None = None
    retry_after: float | None = None
    # False when Amazon cannot have acted on the request (429, no connection made).
    may_have_been_processed: bool = True


class UnsafeToRetry(Exception):  # noqa: N818 - a signal to the caller, not an error text
    """A non-idempotent request failed after Amazon may have acted on it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.description)
        self.failure = failure


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def with_retries(attempt: Callable[[int], T | Failure], policy: RetryPolicy, *,
                 replay_safe: bool, clock: Callable[[], float],
                 sleep: Callable[[float], None], rng: random.Random) -> T:
    """Call ``attempt(n)`` until it returns a result, retrying Failures within the policy."""
    started = clock()
    number = 0
    while True:
        number += 1
        outcome = attempt(number)
        if not isinstance(outcome, Failure):
            return outcome
        if not replay_safe and outcome.may_have_been_processed:
            raise UnsafeToRetry(outcome)
        wait = policy.delay(number, outcome.retry_after, rng)
        if number >= policy.attempts or clock() - started + wait > policy.total_seconds:
            raise TransientAmazonError(
                f"Amazon did not answer after {number} attempts: last error "
                f"{outcome.description}; try again later", status=outcome.status)
        log.info("%s; retrying in %.1f s (attempt %d of %d)", outcome.description, wait,
                 number + 1, policy.attempts)
        sleep(wait)
