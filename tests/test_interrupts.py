"""Ctrl-C must reach the main thread: helper threads block SIGINT and SIGTERM."""

from __future__ import annotations

import signal
import threading

from spprov.interrupts import helper_pool, helper_thread


def _blocked_here() -> set[signal.Signals]:
    return set(signal.pthread_sigmask(signal.SIG_BLOCK, []))


def test_a_helper_thread_and_the_threads_it_starts_block_the_main_threads_signals() -> None:
    seen: list[set[signal.Signals]] = []

    def grandchild() -> None:
        seen.append(_blocked_here())

    def child() -> None:
        seen.append(_blocked_here())
        inner = threading.Thread(target=grandchild)  # as socketserver starts its handlers
        inner.start()
        inner.join()

    thread = helper_thread(child)
    thread.start()
    thread.join()
    assert thread.daemon
    assert len(seen) == 2
    for blocked in seen:
        assert {signal.SIGINT, signal.SIGTERM} <= blocked
    assert signal.SIGINT not in _blocked_here()  # the main thread still takes Ctrl-C


def test_pool_workers_block_them_too() -> None:
    with helper_pool(2) as pool:
        masks = list(pool.map(lambda _: _blocked_here(), range(4)))
    assert all(signal.SIGINT in mask and signal.SIGTERM in mask for mask in masks)
