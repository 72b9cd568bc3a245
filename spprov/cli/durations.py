"""Durations on the command line, written as Terraform and Go write them: ``30s``, ``5m``,
``1h30m``, ``2d``; a bare number is seconds."""

from __future__ import annotations

import re
from typing import Any

import click

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float | None:
    """Seconds in ``text`` (``1h30m``, ``45s``, ``90``), or None when it is not a duration."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not text or _PART.sub("", text):
        return None
    return sum(float(number) * _SECONDS[unit] for number, unit in _PART.findall(text))


class Duration(click.ParamType[float]):
    """A click parameter holding seconds, written ``30s``, ``5m``, ``1h``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        seconds = parse_duration(str(value))
        if seconds is None:
            self.fail(f"{value!r} is not a duration: write it like 30s, 5m or 1h", param, ctx)
        return seconds
