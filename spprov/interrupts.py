"""Ctrl-C is the main thread's: every thread spprov starts blocks SIGINT and SIGTERM.

Python runs signal handlers in the main thread only, while POSIX lets the kernel hand a
process's signal to any thread that does not block it. Should a helper thread (the
loopback listener's, a pool worker) take SIGINT, the main thread learns of it only when
its current wait ends (up to 30 s while a consent counts down). With the signals blocked
everywhere else, they interrupt the main thread's wait itself.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_MAIN_THREAD_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def leave_signals_to_the_main_thread() -> None:
    """Block SIGINT and SIGTERM in the calling thread."""
    if hasattr(signal, "pthread_sigmask"):  # not on Windows, where this problem is absent
        signal.pthread_sigmask(signal.SIG_BLOCK, _MAIN_THREAD_SIGNALS)


def helper_thread(target: Callable[..., Any], *args: Any) -> threading.Thread:
    """A daemon thread running ``target(*args)`` with the main thread's signals blocked
    (threads it starts inherit that)."""

    def run() -> None:
        leave_signals_to_the_main_thread()
        target(*args)

    return threading.Thread(target=run, daemon=True)


def helper_pool(workers: int) -> ThreadPoolExecutor:
    """A thread pool whose workers block the main thread's signals."""
    return ThreadPoolExecutor(max_workers=workers, initializer=leave_signals_to_the_main_thread)
