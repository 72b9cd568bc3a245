"""Jinja2 templates (``*.j2``) rendered in a sandbox whose only input is ``env()``.

A template may come from an attacker's pull request, so rendering is bounded: ``env()``
reads only variables the repository owner allowed (``spprov.declaration.templateenv``),
rendering stops after ``MAX_SECONDS`` of work or ``MAX_RENDERED_BYTES`` of text, numbers
and repetitions that would take memory faster than the clock can see are refused before
they are computed, and every failure is a ``TemplateError`` naming the template line.
"""

from __future__ import annotations

import math
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, NoReturn

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from spprov.declaration import templateenv

MAX_RENDERED_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 2.0
# The largest integer a template may compute or pass to a function (bits), and the largest
# string or list a repetition may build: far beyond any credential file, far below harm.
MAX_INT_BITS = 4096
MAX_ITEMS = MAX_RENDERED_BYTES
_MAX_LITERAL_DIGITS = 4300  # Python's own limit on converting text to an integer
_TEMPLATE_FILENAME = "<template>"
_MISSING = object()
_Tracer = Callable[[FrameType, str, Any], Any]


class TemplateError(Exception):
    """A template that cannot be rendered; ``line`` is the template's line (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _EnvironmentVariableError(Exception):
    """env() was asked for a variable it cannot give."""


class _LimitError(Exception):
    """The template asked for more time, memory or size than a credential file needs."""


def _env_function(variables: templateenv.TemplateVariables) -> Callable[..., str]:
    """The template function ``env("NAME")`` / ``env("NAME", default)`` over ``variables``."""
    def env(name: object, default: object = _MISSING) -> str:
        return _env(variables, name, default)
    return env


def _env(variables: templateenv.TemplateVariables, name: object, default: object) -> str:
    if not isinstance(name, str) or not name:
        raise _EnvironmentVariableError("env() takes a variable name as a string, "
                                        "e.g. env('SPPROV_VAR_ACME_CLIENT_ID')")
    try:
        value = variables.read(name)
    except templateenv.VariableRefused as exc:
        raise _EnvironmentVariableError(str(exc)) from None
    if value is not None:
        return value
    if default is _MISSING:
        raise _EnvironmentVariableError(
            f"env({name!r}): environment variable {name} is not set; set it, or give a "
            f"default: env({name!r}, 'value')")
    return str(default)


class _BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, with arithmetic and calls that cannot take unbounded memory."""

    intercepted_binops = frozenset({"*", "**", "<<", "//", "%"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str,
                   left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, __context: jinja2.runtime.Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, int) and abs(value) > MAX_ITEMS:
                raise _LimitError(f"a number argument larger than {MAX_ITEMS}")
        return super().call(__context, __obj, *args, **kwargs)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**" and isinstance(left, int) and isinstance(right, int):
        if right > 0 and abs(left) > 1 and right * math.log2(abs(left)) > MAX_INT_BITS:
            raise _LimitError(f"a number larger than {MAX_INT_BITS} bits")
    elif operator == "<<" and isinstance(right, int) and right > MAX_INT_BITS:
        raise _LimitError(f"a number larger than {MAX_INT_BITS} bits")
    elif operator == "*":
        _check_repetition(left, right)
        _check_repetition(right, left)


def _check_repetition(sequence: Any, count: Any) -> None:
    if not isinstance(count, int):
        return
    if isinstance(sequence, str | list | tuple | bytes) and len(sequence) * count > MAX_ITEMS:
        raise _LimitError(f"text or a list longer than {MAX_ITEMS}")
    if isinstance(sequence, int) and count.bit_length() + sequence.bit_length() > MAX_INT_BITS:
        raise _LimitError(f"a number larger than {MAX_INT_BITS} bits")


def _environment(variables: templateenv.TemplateVariables) -> SandboxedEnvironment:
    environment = _BoundedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    environment.globals.pop("lipsum", None)  # generates text of any size
    environment.globals["env"] = _env_function(variables)
    return environment


def render_text(source: str,
                variables: templateenv.TemplateVariables = templateenv.NO_VARIABLES) -> str:
    """Render template source; raises TemplateError naming the template line.

    ``env()`` reads ``variables`` only (none unless given): never the process environment.
    """
    try:
        template = _environment(variables).from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.lineno or 1, f"template syntax error: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - e.g. a 5000-digit literal: a line, not a crash
        raise _unparsable(source, exc) from None
    try:
        with _deadline(MAX_SECONDS):
            return _bounded(template.generate())
    except TemplateError:
        raise
    except _EnvironmentVariableError as exc:
        _fail(exc, str(exc))
    except _LimitError as exc:
        _fail(exc, f"template error: {exc}; a template must describe credentials, not "
                   "compute")
    except RecursionError as exc:
        _fail(exc, "template error: recursion too deep (a macro that calls itself?)")
    except SecurityError as exc:
        _fail(exc, f"template error: {str(exc).rstrip('.')} (templates run in a sandbox)")
    except jinja2.TemplateError as exc:
        _fail(exc, f"template error: {exc.message or type(exc).__name__}")
    except Exception as exc:  # noqa: BLE001 - every template failure is a FILE:LINE line
        if "no loader" in str(exc):
            _fail(exc, "template error: include, import and extends are not available; "
                       "a template is one file")
        _fail(exc, f"template error: {_reason(exc)}")


def _unparsable(source: str, exc: Exception) -> TemplateError:
    """Jinja2 failed outside its own syntax errors; the usual cause is a huge number."""
    huge = re.search(rf"\d{{{_MAX_LITERAL_DIGITS},}}", source)
    if isinstance(exc, ValueError) and huge is not None:
        line = source.count("\n", 0, huge.start()) + 1
        return TemplateError(line, f"template syntax error: a number with more than "
                                   f"{_MAX_LITERAL_DIGITS} digits")
    return TemplateError(1, f"template syntax error: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _deadline:  # noqa: N801 - used as a context manager, reads like one
    """Raise _LimitError inside the template once ``seconds`` have passed.

    A trace function (this thread only) checks the clock on each call and on each line of
    the compiled template, so a nest of loops stops within the limit; the sandbox's own
    checks bound what one line can do (numbers, repetitions, ``range``).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = 0.0
        self._previous: Any = None

    def __enter__(self) -> None:
        self.end = time.monotonic() + self.seconds
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def _check(self) -> None:
        if time.monotonic() > self.end:
            raise _LimitError(f"rendering took longer than {self.seconds:g} seconds")

    def _on_call(self, frame: FrameType, event: str, arg: Any) -> _Tracer | None:
        self._check()
        return self._on_line if frame.f_code.co_filename == _TEMPLATE_FILENAME else None

    def _on_line(self, frame: FrameType, event: str, arg: Any) -> _Tracer:
        self._check()
        return self._on_line


def _bounded(chunks: Iterator[str]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_RENDERED_BYTES:
            raise TemplateError(1, f"rendered text is larger than {MAX_RENDERED_BYTES} "
                                   "characters")
        parts.append(chunk)
    return "".join(parts)


def _fail(exc: BaseException, message: str) -> NoReturn:
    raise TemplateError(_template_line(exc), message) from None


def _template_line(exc: BaseException) -> int:
    """The template line where ``exc`` was raised (Jinja rewrites tracebacks to show it)."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename == _TEMPLATE_FILENAME and frame.lineno]
    return lines[-1] if lines else 1
