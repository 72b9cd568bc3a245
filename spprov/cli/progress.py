"""A one-line progress counter on stderr, for long runs; only on a terminal, never with -q."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TextIO, TypeVar

T = TypeVar("T")


class Progress:
    """``\\r[12/1000] checking tokens``, rewritten in place; silent when not enabled."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        self.done = 0
        self._lock = threading.Lock()
        self._width = 0

    @classmethod
    def on_stderr(cls, total: int, label: str, quiet: bool) -> Progress:
        """Enabled only when stderr is a terminal and -q was not given."""
        return cls(total, label, sys.stderr, enabled=not quiet and _is_terminal(sys.stderr))

    def advance(self) -> None:
        """Count one finished item (thread-safe) and redraw the line; erase it at the end."""
        with self._lock:
            self._advance()

    def counting(self, report: Callable[[T], None]) -> Callable[[T], None]:
        """``report`` that also counts: the line is erased while ``report`` prints."""
        def counted(item: T) -> None:
            with self._lock:
                self._erase()
                report(item)
                self._advance()
        return counted

    def finish(self) -> None:
        """Erase the line, so what follows starts on a clean one."""
        with self._lock:
            self._erase()

    def _advance(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.done >= self.total:
            self._erase()
            return
        text = f"[{self.done}/{self.total}] {self.label}"
        self._width = max(self._width, len(text))
        self.stream.write("\r" + text)
        self.stream.flush()

    def _erase(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # a closed stream
        return False
