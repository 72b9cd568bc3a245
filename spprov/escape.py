"""The one place that makes a value from a repository file safe to print.

Every name, description or other readable value may come from an attacker's pull request
(a declaration, a state file's name or fields). Before it reaches a terminal, a CI log or
a Markdown comment it goes through one of these:

- ``printable``: control characters (ESC, CR, BEL, newlines, ...) shown as escapes, so a
  value cannot move the cursor, rewrite a line or start a new one;
- ``log_line``: ``printable``, and a line that would start a GitHub workflow command
  (``::``) is neutralised;
- ``markdown``: ``printable``, and Markdown/HTML structure (``<``, ``|``, ``*``, ...) escaped
  so a value cannot close ``<summary>`` or a table cell;
- ``excerpt``: a short, escaped, quoted piece of a value for an error message, and nothing
  at all of a value that looks like a secret.
"""

from __future__ import annotations

import html
import re

from spprov.const import SECRET_PREFIXES

EXCERPT_CHARS = 20
# URLs are quoted longer: a shorter excerpt would not show what is wrong with them.
URL_EXCERPT_CHARS = 60
MAX_SHOWN_BITS = 256  # repr() of a huge integer is slow, and fails past 4300 digits
# A value starting with a secret's prefix is never quoted, not even in part.
_SECRET = re.compile("|".join(re.escape(p) for p in SECRET_PREFIXES), re.IGNORECASE)
_WORKFLOW_COMMAND = re.compile(r"^(\s*)::", re.MULTILINE)
# Enough to keep a value inside its table cell or list item and to stop inline HTML.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<|&~])")


def looks_secret(text: str) -> bool:
    """Whether ``text`` holds something shaped like a known secret."""
    return _SECRET.search(text) is not None


def printable(text: str) -> str:
    """The text with every control character escaped (``\\x1b``, ``\\r``, ``\\n``, ...)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}")
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def lines(text: str) -> str:
    """Composed output (already escaped values, maybe colours): no line can start a GitHub
    workflow command (``::error::``, ``::add-mask::``); a zero-width space breaks the ``::``."""
    if "::" not in text:
        return text
    return _WORKFLOW_COMMAND.sub(lambda m: m.group(1) + ":\u200b:", text)


def log_line(text: str) -> str:
    """Text for a terminal or CI log: escaped, and no line can be a workflow command."""
    return lines(printable(text))


def log_lines(text: str) -> str:
    """A multi-line message: each line escaped with ``log_line``, the line breaks kept."""
    return "\n".join(log_line(line) for line in text.split("\n"))


def html_text(text: str) -> str:
    """Text inside an HTML element such as ``<summary>``: one line, HTML-escaped."""
    return html.escape(log_line(text))


def markdown(text: str) -> str:
    """Text for a Markdown cell or an HTML ``<summary>``: escaped, structure neutralised."""
    return log_line(_MARKDOWN_SPECIAL.sub(r"\\\1", printable(text)))


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short quoted excerpt of a value for an error message; secrets are never quoted."""
    if isinstance(value, int) and value.bit_length() > MAX_SHOWN_BITS:
        return f"(a {value.bit_length()}-bit number)"
    text = value if isinstance(value, str) else repr(value)
    if looks_secret(text):
        return "(a value that looks like a secret, not shown)"
    shown = printable(text[:limit])
    more = "..." if len(text) > limit else ""
    return f"'{shown}'{more}" if isinstance(value, str) else f"{shown}{more}"


def url_excerpt(value: object) -> str:
    """``excerpt`` for a URL field (longer, since the mistake is often near the end)."""
    return excerpt(value, URL_EXCERPT_CHARS)
