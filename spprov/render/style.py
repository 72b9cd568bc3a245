"""ANSI colour for terminal renderings, without the CLI toolkit (renderers return strings)."""

from __future__ import annotations

_FOREGROUND = {"black": 30, "red": 31, "green": 32, "yellow": 33, "blue": 34,
               "magenta": 35, "cyan": 36, "white": 37}
_RESET = "\x1b[0m"


def styled(text: str, fg: str | None = None, bold: bool = False) -> str:
    """``text`` in colour ``fg`` and/or bold, byte for byte as click.style writes it."""
    codes = ""
    if fg is not None:
        codes += f"\x1b[{_FOREGROUND[fg]}m"
    if bold:
        codes += "\x1b[1m"
    return f"{codes}{text}{_RESET}"
