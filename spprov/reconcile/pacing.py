"""How many checks are in flight: at most N, halved while Amazon throttles, regrown slowly.

The classic additive-increase / multiplicative-decrease rule (as TCP uses): a 429 halves
the limit (once per round of in-flight requests, so one burst of 429s halves it once) and
honours ``Retry-After`` by starting nothing new until it has passed; every ``limit``
checks that finish without throttling raise it by one, up to the configured maximum. A
large repository is therefore fast when LWA keeps up and does not hammer it when not.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from spprov.errors import SpprovError
from spprov.interrupts import helper_pool

T = TypeVar("T")
_PAUSE_RECHECK = 0.25
R = TypeVar("R")


class AdaptiveLimit:
    """A concurrency limit that backs off on throttling; thread-safe."""

    def __init__(self, maximum: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.lowest = self.maximum
        self.in_flight = 0
        self.peak = 0
        self.throttles = 0
        self._clock = clock
        self._resume_at = 0.0
        self._since_change = 0
        self._skip_throttles = 0
        self._condition = threading.Condition()

    def __repr__(self) -> str:
        return f"AdaptiveLimit({self.in_flight}/{self.limit} of {self.maximum})"

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``limit`` slots while the body runs."""
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def throttled(self, retry_after: float | None) -> None:
        """Amazon answered 429: halve the limit once per round, pause for Retry-After."""
        with self._condition:
            self.throttles += 1
            if retry_after:
                self._resume_at = max(self._resume_at, self._clock() + retry_after)
            if self._skip_throttles > 0:
                self._skip_throttles -= 1  # same burst: requests sent before the last halving
                return
            self.limit = max(1, self.limit // 2)
            self.lowest = min(self.lowest, self.limit)
            self._skip_throttles = max(0, self.in_flight - 1)
            self._since_change = 0

    def _acquire(self) -> None:
        with self._condition:
            while True:
                wait = self._resume_at - self._clock()
                if self.in_flight < self.limit and wait <= 0:
                    break
                # While paused, look at the clock again now and then (it is not notified).
                self._condition.wait(timeout=min(wait, _PAUSE_RECHECK) if wait > 0 else None)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)

    def _release(self) -> None:
        with self._condition:
            self.in_flight -= 1
            self._since_change += 1
            if self._since_change >= self.limit and self.limit < self.maximum:
                self.limit += 1
                self._since_change = 0
            self._condition.notify_all()


def run_paced(items: list[T], work: Callable[[T], R],
              limit: AdaptiveLimit) -> list[R | SpprovError]:
    """``work`` over ``items`` within ``limit``; order kept, a user-facing failure a value."""
    def guarded(item: T) -> R | SpprovError:
        with limit.slot():
            try:
                return work(item)
            except SpprovError as exc:
                return exc

    if not items:
        return []
    with helper_pool(min(limit.maximum, len(items))) as pool:
        return list(pool.map(guarded, items))
