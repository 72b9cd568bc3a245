"""YAML as sops reads it (Go's yaml.v3), so the reader hashes the values sops hashes.

PyYAML implements YAML 1.1: ``yes``/``on`` are booleans, ``1:30`` is an integer, dates are
timestamps. yaml.v3 reads all of these as strings, and sops's MAC covers each value's text
form, so the reader must type plain scalars the way yaml.v3 does or it would refuse files
sops accepts. Quoted scalars are always strings. Duplicate keys are refused (yaml.v3 refuses
them; PyYAML would silently keep the last one). PyYAML's C parser builds the node tree
(``spprov.yamlfile.compose_untyped``) and nothing of PyYAML's typing runs, which keeps
reading fast.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from spprov.yamlfile import compose_untyped

_NAMED: dict[str, object] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# strconv.ParseInt(s, 0, 64) after yaml.v3 drops every "_": sign, then 0x / 0o / 0b / a
# leading 0 (octal) / decimal.
_GO_INT = re.compile(r"[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?\Z")
_INT64 = range(-(2**63), 2**63)


def resolve_plain(text: str) -> object:
    """The value yaml.v3 gives a plain (unquoted) scalar decoded into ``interface{}``."""
    if text in _NAMED:
        return _NAMED[text]
    first = text[0]
    if first == ".":
        return float(text) if _DOT_FLOAT.match(text) else text
    if not (first.isdigit() or first in "+-"):
        return text
    moment = go_time(text)
    if moment is not None:
        return moment
    plain = text.replace("_", "")
    if _GO_INT.match(plain):
        value = int(plain, 0) if not _legacy_octal(plain) else int(plain.replace("0", "0o", 1), 0)
        if value in _INT64:
            return value
        raise ValueError(f"integer {text} does not fit in 64 bits")
    if _GO_FLOAT.match(plain):
        return float(plain)
    return text


# yaml.v3's timestamp layouts: 2006-1-2T15:4:5.999999999Z07:00 (T or t), 2006-1-2 15:4:5.999999999
# (UTC), 2006-1-2. sops keeps such a plain scalar as a time and prints it as RFC 3339.
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d?)-(\d\d?)(?:(?:[Tt](\d\d?):(\d\d?):(\d\d?)(\.\d{1,9})?"
                        r"(Z|[+-]\d\d:\d\d))|(?: (\d\d?):(\d\d?):(\d\d?)(\.\d{1,9})?))?\Z")


def go_time(text: str, rfc3339_only: bool = False) -> str | None:
    """A timestamp as Go's time.MarshalText prints it (RFC 3339, nanoseconds trimmed), or
    None when ``text`` is not one of yaml.v3's layouts (only RFC 3339 if ``rfc3339_only``)."""
    match = _TIMESTAMP.match(text)
    if match is None or (rfc3339_only and match.group(8) is None):
        return None
    year, month, day = (int(g) for g in match.groups()[:3])
    clock = match.groups()[3:7] if match.group(4) is not None else (*match.groups()[8:12],)
    hour, minute, second = (int(g or 0) for g in clock[:3])
    fraction = (clock[3] or "").rstrip("0").rstrip(".")
    zone = match.group(8) or "Z"
    if zone in ("+00:00", "-00:00"):
        zone = "Z"
    try:
        datetime(year, month, day, hour, minute, second)  # ranges, as time.Parse checks them
    except ValueError:
        return None
    if zone != "Z" and (int(zone[1:3]) > 23 or int(zone[4:]) > 59):
        return None
    return (f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
            f"{fraction}{zone}")


def _legacy_octal(plain: str) -> bool:
    digits = plain.lstrip("+-")
    return len(digits) > 1 and digits[0] == "0" and digits[1].isdigit()


MAX_DEPTH = 64
_STR = "tag:yaml.org,2002:str"
# yaml.v3 writes the text "<<" as `!!merge <<` (plain `<<` would be a merge key) and reads
# it back, as a value, as the text "<<".
_MERGE = "tag:yaml.org,2002:merge"
_DEFAULT_TAGS = {"scalar": _STR, "sequence": "tag:yaml.org,2002:seq",
                 "mapping": "tag:yaml.org,2002:map"}


class YamlValueError(ValueError):
    """A document sops would read differently or refuse, or spprov never writes; says where."""

    def __init__(self, message: str, node: Any) -> None:
        super().__init__(f"line {node.start_mark.line + 1}: {message}")


def load_all(text: str) -> list[Any]:
    """Every YAML document in ``text``, typed as sops (yaml.v3) types them.

    Raises PlainYamlError for text that does not parse, YamlValueError for what sops
    refuses (duplicate or non-string keys) or spprov never writes (explicit tags, anchors
    and aliases, nesting deeper than MAX_DEPTH: a hostile file cannot make reading grow).
    """
    return [_Typing().value(node, 0) for node in compose_untyped(text)]


def load_mapping(text: str) -> dict[str, Any]:
    """The one mapping a state file holds, typed as sops types it; ValueError otherwise."""
    documents = load_all(text)
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise ValueError("expected one mapping of fields")
    return documents[0]


class _Typing:
    def __init__(self) -> None:
        self._seen: set[int] = set()

    def value(self, node: Any, depth: int) -> Any:
        if id(node) in self._seen:
            raise YamlValueError("an alias (*name): spprov does not write anchors", node)
        self._seen.add(id(node))
        if node.tag == _MERGE and node.id == "scalar" and node.value == "<<" and depth > 0:
            return "<<"
        if node.tag != _DEFAULT_TAGS[node.id]:
            raise YamlValueError(f"explicit tag {node.tag}", node)
        if depth > MAX_DEPTH:
            raise YamlValueError(f"nesting deeper than {MAX_DEPTH} levels", node)
        if node.id == "scalar":
            return self.scalar(node)
        if node.id == "sequence":
            return [self.value(item, depth + 1) for item in node.value]
        return self.mapping(node, depth)

    def scalar(self, node: Any) -> Any:
        if node.style:  # quoted or block: text (the C parser gives a plain one style "")
            return node.value
        try:
            return resolve_plain(node.value)
        except ValueError as exc:
            raise YamlValueError(str(exc), node) from None

    def mapping(self, node: Any, depth: int) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE or (key_node.value == "<<" and not key_node.style):
                raise YamlValueError("a merge key (<<): spprov does not write one", key_node)
            key = self.value(key_node, depth + 1)
            if not isinstance(key, str):
                raise YamlValueError(f"key {key!r} is not text (sops needs text keys)",
                                     key_node)
            if key in mapping:
                raise YamlValueError(f"key {key!r} appears twice", key_node)
            mapping[key] = self.value(value_node, depth + 1)
        return mapping
