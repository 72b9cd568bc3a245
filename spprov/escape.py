"""The one place that makes a value from a repository file safe to print.

Every name, description or other readable value may come from an attacker's pull request
(a declaration, a state file's name or fields). Before it reaches a terminal, a CI log or
a Markdown comment it goes through one of these:

- ``printable``: control characters (ESC, CR, BEL, newlines, ...) shown as escapes, so a
  value cannot move the cursor, rewrite a line or start a new one;
- ``log_line``: ``printable``, and a line that would start a workflow command of the
  GitHub runner (``::name::`` or the older ``##[name]``, also read by Azure Pipelines) is
  neutralised;
- ``markdown``: ``printable``, and Markdown/HTML structure (``<``, ``|``, ``*``, ...) escaped
  so a value cannot close ``<summary>`` or a table cell;
- ``excerpt``: a short, escaped, quoted piece of a value for an error message, and nothing
  at all of a value that looks like a secret;
- ``workflow_command``: a GitHub workflow command that spprov itself means to print (an
  ``::error file=...::`` annotation), its properties and message escaped as the runner
  requires, so a value cannot end a property or start a second command.

Whatever reaches ``lines`` (every composed output: plan text and Markdown, status, errors,
log lines) also has each secret-shaped word replaced (``redact``), so a message that forgot
``excerpt`` still cannot echo an age identity or a token, whole or cut.
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
# The runner trims leading white space, then reads "::" (commands) or "##[" (the legacy
# syntax: ##[warning], ##[add-mask], ##[set-output]) as a command.
_WORKFLOW_COMMAND = re.compile(r"^(\s*)(::|##\[)", re.MULTILINE)
# A secret-shaped word: a known prefix, at least 6 letters or digits of a secret (so that
# prose such as "Atzr|..." or "AGE-SECRET-KEY-1..." stays), and the rest of the word.
_SECRET_WORD = re.compile(
    "(?:" + "|".join(re.escape(p) for p in SECRET_PREFIXES)
    + r""")[^\s'"`<>]*?[A-Za-z0-9]{6}[^\s'"`<>]*""", re.IGNORECASE)
SECRET_NOT_SHOWN = "(a value that looks like a secret, not shown)"  # noqa: S105 - a note
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


def redact(text: str) -> str:
    """``text`` with every secret-shaped word (``AGE-SECRET-KEY-1...``, ``Atzr|...``, ...)
    replaced by a note: nothing of it is kept, not even its start."""
    if not _SECRET.search(text):
        return text
    return _SECRET_WORD.sub(SECRET_NOT_SHOWN, text)


def lines(text: str) -> str:
    """Composed output (already escaped values, maybe colours): no secret-shaped word, and
    no line can start a workflow command (``::error::``, ``::add-mask::``, ``##[warning]``);
    a zero-width space breaks the ``::`` or the ``##``."""
    text = redact(text)
    if "::" not in text and "##[" not in text:
        return text
    return _WORKFLOW_COMMAND.sub(_neutralised, text)


def _neutralised(match: re.Match[str]) -> str:
    command = match.group(2)
    return match.group(1) + command[0] + "\u200b" + command[1:]


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
        return SECRET_NOT_SHOWN
    shown = printable(text[:limit])
    more = "..." if len(text) > limit else ""
    return f"'{shown}'{more}" if isinstance(value, str) else f"{shown}{more}"


def url_excerpt(value: object) -> str:
    """``excerpt`` for a URL field (longer, since the mistake is often near the end)."""
    return excerpt(value, URL_EXCERPT_CHARS)


# What the Actions runner unescapes (actions/toolkit, core/src/command.ts): in a command's
# message `%`, CR and LF; in a property value also `:` and `,`, which end a property.
_WORKFLOW_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_WORKFLOW_PROPERTY = {**_WORKFLOW_DATA, ":": "%3A", ",": "%2C"}


def workflow_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF percent-encoded."""
    return "".join(_WORKFLOW_DATA.get(ch, ch) for ch in text)


def workflow_property(text: str) -> str:
    """A workflow command's property value: as ``workflow_data``, and ``:`` and ``,``."""
    return "".join(_WORKFLOW_PROPERTY.get(ch, ch) for ch in text)


def workflow_command(command: str, properties: dict[str, str | int], message: str) -> str:
    """``::command key=value,...::message`` with every value and the message escaped.

    Values are made printable first (control characters shown as escapes), so a message
    is one line in the log and one annotation on the pull request, and secret-shaped
    words are redacted as in every other output.
    """
    shown = ",".join(f"{key}={workflow_property(redact(printable(str(value))))}"
                     for key, value in properties.items())
    return f"::{command} {shown}::{workflow_data(redact(printable(message)))}"
