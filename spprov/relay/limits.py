"""Rate limiting of the public pages: a token bucket per client address."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_TRACKED = 10_000  # addresses remembered at once; the oldest are forgotten first


class RateLimiter:
    """At most ``per_minute`` requests a minute per address, in bursts of ``burst``."""

    def __init__(self, per_minute: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str) -> bool:
        """Take one token for ``address``; False when it has none left."""
        if self._rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, since = self._buckets.pop(address, (self._burst, now))
            tokens = min(self._burst, tokens + (now - since) * self._rate)
            allowed = tokens >= 1
            self._buckets[address] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > MAX_TRACKED:
                del self._buckets[next(iter(self._buckets))]
        return allowed
