"""Bulk checks back off when LWA throttles: counted in requests and slots, never timed."""

from __future__ import annotations

import contextlib
import threading

from spprov.amazon.lwa import ClientCredentials, LwaClient
from spprov.errors import InvalidGrantError
from spprov.reconcile.pacing import AdaptiveLimit, run_paced
from spprov.secret import Secret
from tests.fixtures_emulator import EmulatorHandle


def test_a_burst_of_429s_halves_the_limit_once_and_it_grows_back_one_at_a_time() -> None:
    limit = AdaptiveLimit(16)
    with contextlib.ExitStack() as slots:
        for _ in range(16):
            slots.enter_context(limit.slot())
        assert (limit.in_flight, limit.limit) == (16, 16)
        for _ in range(16):  # every request of that round comes back 429
            limit.throttled(None)
        assert limit.limit == 8  # halved once for the burst, not 2**16 times
        limit.throttled(None)  # a 429 after the round: halve again
        assert limit.limit == 4
    # 16 releases: +1 after every `limit` finished checks (4 -> 5 -> 6 -> 7 after 15).
    assert (limit.in_flight, limit.limit, limit.lowest) == (0, 7, 4)
    for _ in range(200):
        with limit.slot():
            pass
    assert limit.limit == 16  # never above the maximum


def test_retry_after_pauses_new_checks_until_it_has_passed() -> None:
    now = [100.0]
    limit = AdaptiveLimit(4, clock=lambda: now[0])
    limit.throttled(30.0)
    started = threading.Event()

    def start() -> None:
        with limit.slot():
            started.set()

    worker = threading.Thread(target=start)
    worker.start()
    assert not started.wait(timeout=0.5)  # paused: nothing starts before Retry-After passes
    now[0] = 131.0  # the fake clock passes Retry-After; the waiting check re-checks it
    worker.join()
    assert started.is_set() and limit.limit == 2


def test_checks_against_a_throttling_lwa_back_off_and_every_one_is_answered(
        emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    client = ClientCredentials(app.client_id, Secret(app.client_secret))
    emulator.faults(error_status=429, error_rate=1.0, count=6, retry_after=0, latency_ms=20)
    emulator.reset_stats()
    limit = AdaptiveLimit(16)
    # The client's retry waits are skipped: the test counts requests, it does not time them.
    with LwaClient(amazon_url=emulator.url, sleep=lambda _: None) as lwa:
        lwa.on_throttle = limit.throttled
        results = run_paced(list(range(48)), lambda n: lwa.refresh(
            client, Secret(f"Atzr|not-issued-{n}")), limit)
    assert all(isinstance(result, InvalidGrantError) for result in results)
    assert emulator.stats()["token"] == 48 + 6  # each throttled request retried once
    assert limit.throttles == 6
    assert limit.peak <= 16
    assert limit.lowest <= 8  # halved while throttled ...
    assert limit.lowest < limit.limit <= 16  # ... and grown back after


def test_without_throttling_the_limit_stays_at_its_maximum(emulator: EmulatorHandle) -> None:
    app = emulator.register_app()
    client = ClientCredentials(app.client_id, Secret(app.client_secret))
    limit = AdaptiveLimit(16)
    with LwaClient(amazon_url=emulator.url, sleep=lambda _: None) as lwa:
        lwa.on_throttle = limit.throttled
        run_paced(list(range(20)), lambda n: lwa.refresh(
            client, Secret(f"Atzr|not-issued-{n}")), limit)
    assert (limit.throttles, limit.lowest, limit.limit) == (0, 16, 16)
    assert 1 <= limit.peak <= 16
