"""Jinja2 templates (``*.j2``) rendered in a sandbox whose only input is ``env()``."""

from __future__ import annotations

import os
import re
import traceback
from typing import NoReturn

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

MAX_RENDERED_BYTES = 10 * 1024 * 1024
_TEMPLATE_FILENAME = "<template>"
# Templates must not copy secrets into text that `spprov render` prints.
_REFUSED_VARIABLE = re.compile(r"SECRET|TOKEN|PASSWORD|^SPPROV_|^SOPS_", re.IGNORECASE)
_MISSING = object()


class TemplateError(Exception):
    """A template that cannot be rendered; ``line`` is the template's line (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _EnvironmentVariableError(Exception):
    """env() was asked for a variable it cannot give."""


def env(name: object, default: object = _MISSING) -> str:
    """The template function ``env("NAME")`` / ``env("NAME", default)``."""
    if not isinstance(name, str) or not name:
        raise _EnvironmentVariableError("env() takes a variable name as a string, "
                                        "e.g. env('ACME_CLIENT_ID')")
    if _REFUSED_VARIABLE.search(name):
        raise _EnvironmentVariableError(
            f"env({name!r}): variables named like secrets (SECRET, TOKEN, PASSWORD, SPPROV_*, "
            "SOPS_*) cannot be read by templates; secrets never go in credential files")
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is _MISSING:
        raise _EnvironmentVariableError(
            f"env({name!r}): environment variable {name} is not set; set it, or give a "
            f"default: env({name!r}, 'value')")
    return str(default)


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    environment.globals["env"] = env
    return environment


def render_text(source: str) -> str:
    """Render template source; raises TemplateError naming the template line."""
    environment = _environment()
    try:
        template = environment.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.lineno or 1, f"template syntax error: {exc.message}") from None
    try:
        return _bounded(template.generate())
    except TemplateError:
        raise
    except _EnvironmentVariableError as exc:
        _fail(exc, str(exc))
    except SecurityError as exc:
        _fail(exc, f"template error: {str(exc).rstrip('.')} (templates run in a sandbox)")
    except jinja2.TemplateError as exc:
        _fail(exc, f"template error: {exc.message or type(exc).__name__}")
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        if "no loader" in str(exc):
            _fail(exc, "template error: include, import and extends are not available; "
                       "a template is one file")
        _fail(exc, f"template error: {type(exc).__name__}: {exc}")


def _bounded(chunks: object) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:  # type: ignore[attr-defined]
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
