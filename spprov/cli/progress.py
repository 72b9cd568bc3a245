"""A one-line progress counter on stderr, for long runs; only on a terminal, never with -q.

While the line is on the screen, anything else printed to the terminal must erase it
first (:func:`erase_shown`), or the text lands after the counter on the same line: the
log handler and :func:`echo_err` do.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import TextIO, TypeVar

import click

T = TypeVar("T")
ERASE = "\r\x1b[2K"  # carriage return, then clear the whole line
_shown: Progress | None = None  # the progress whose line is on the screen now


def erase_shown() -> None:
    """Erase the progress line, if one is shown, before other output (thread-safe)."""
    shown = _shown
    if shown is not None:
        shown.finish()


def echo_err(text: str) -> None:
    """A line on stderr that does not collide with a progress line."""
    erase_shown()
    click.echo(text, err=True)


def prompt_err(text: str) -> str:
    """A question on stderr that does not collide with a progress line."""
    erase_shown()
    return str(click.prompt(text, err=True))


class ErasingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A log handler that erases the progress line before each record."""

    def emit(self, record: logging.LogRecord) -> None:
        erase_shown()
        super().emit(record)


class Progress:
    """``\\r[12/1000] checking tokens``, rewritten in place; silent when not enabled."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None,
                 enabled: bool = True) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        self.done = 0
        self._lock = threading.RLock()  # erase_shown may run inside a report
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
        global _shown
        text = f"[{self.done}/{self.total}] {self.label}"
        self._width = max(self._width, len(text))
        self.stream.write(ERASE + text)
        self.stream.flush()
        _shown = self

    def _erase(self) -> None:
        global _shown
        if self.enabled and self._width:
            self.stream.write(ERASE)
            self.stream.flush()
            self._width = 0
        if _shown is self:
            _shown = None


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # a closed stream
        return False
