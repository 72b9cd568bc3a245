"""Editing the recipients of ``.sops.yaml`` in place, one recipient per line.

Only the ``age:`` value of the chosen creation rules is rewritten (found by the YAML
parser's positions, so the rest of the file, comments included, stays byte for byte);
comments inside that value are kept above its items. The value may be what ``spprov init``
writes (``age: >-``), comma-separated text, a block or flow list, or the ``age:`` list of
the rule's one key group. The result is the block
list sops reads since 3.9::

    age:
      - age1...
      - age1...
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from spprov import yamlfile
from spprov.const import SOPS_CONFIG
from spprov.errors import StateError
from spprov.repofiles import NotRegularFileError, read_regular_text
from spprov.state.lock import write_atomically
from spprov.state.trust import MAX_CONFIG_BYTES, TrustRoot, key_fields

Edit = Callable[[list[str]], list[str]]


def read(repo_root: Path) -> str:
    """The text of ``.sops.yaml``; one clear line when there is none."""
    try:
        return read_regular_text(repo_root / SOPS_CONFIG, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise StateError(f"no {SOPS_CONFIG} in {repo_root}: run `spprov init`") from None
    except NotRegularFileError as exc:
        raise StateError(exc.message(SOPS_CONFIG)) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"{SOPS_CONFIG}: cannot read ({exc})") from None


def edited(text: str, rules: Collection[int], edit: Edit) -> str:
    """``text`` with the ``age:`` value of each rule in ``rules`` replaced by ``edit``'s list
    (in the rule's one key group when it has ``key_groups``)."""
    spans = []
    root = TrustRoot.from_text(text)
    for index in sorted(rules):
        key, value, flow = _age_nodes(text, index)
        where = f"{SOPS_CONFIG}: creation rule {index + 1}"
        current = _listed(key_fields(root.rules[index], where).get("age"))
        if flow:  # inside `{...}` only a flow list can stand
            spans.append((key, value.end_mark.index, None, edit(current)))
        else:
            spans.append((key, _value_end(text, value), value, edit(current)))
    for key, end, block, recipients in reversed(spans):
        start = key.start_mark.index
        if block is None:
            text = f"{text[:start]}age: [{', '.join(recipients)}]{text[end:]}"
            continue
        indent = " " * (key.start_mark.column + 2)
        comments = [comment for line in text[start:end].splitlines()
                    if (comment := _comment(line))]
        lines = ["age:", *(f"{indent}{c}" for c in comments),
                 *(f"{indent}- {r}" for r in recipients)]
        text = text[:start] + "\n".join(lines) + text[end:]
    return text


def _comment(line: str) -> str:
    """The comment on a line of the ``age:`` value (recipients hold no ``#``), or ''."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return stripped
    return stripped[stripped.index(" #") + 1:] if " #" in stripped else ""


def _value_end(text: str, value: Any) -> int:
    """Where the value's last line ends (before its line break).

    The parser's end mark of a block list, or of a folded value, lies past its last line:
    at the next key, after the comments and indentation before it. Those belong to what
    follows, so the value ends with the last line holding its own text; a comment after it
    on that line goes with it.
    """
    last = value
    while last.id in ("sequence", "mapping") and last.value and not last.flow_style:
        last = last.value[-1][1] if last.id == "mapping" else last.value[-1]
    end: int = last.end_mark.index
    while end > value.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    line_end = text.find("\n", end)
    rest = text[end:] if line_end == -1 else text[end:line_end]
    if not rest.strip() or rest.strip().startswith("#"):
        end = len(text) if line_end == -1 else line_end
    return end


def save(repo_root: Path, text: str) -> None:
    """Replace ``.sops.yaml`` atomically."""
    write_atomically(repo_root / SOPS_CONFIG, text.encode("utf-8"))


def _listed(value: object) -> list[str]:
    """The recipients as written; commas and any whitespace separate them, so a newline
    typed into a one-line `age: >-` value is repaired by the edit."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [part for item in items for part in str(item).replace(",", " ").split()]


def _age_nodes(text: str, index: int) -> tuple[Any, Any, bool]:
    """The key and value nodes (with their positions) of rule ``index``'s ``age:`` (in its
    key group when it has ``key_groups``: a list of one mapping, as ``key_fields`` checked),
    and whether they stand in a flow mapping (``{age: ...}``)."""
    documents = yamlfile.compose_untyped(text)
    rules = _value_of(documents[0] if documents else None, "creation_rules")
    if rules is None or rules.id != "sequence" or index >= len(rules.value):
        raise StateError(f"{SOPS_CONFIG}: no creation rule {index + 1}")
    holder = rule = rules.value[index]
    groups = _value_of(rule, "key_groups")
    if groups is not None and groups.id == "sequence" and groups.value:
        holder = groups.value[0]
    if holder.id == "mapping":
        for key, value in holder.value:
            if key.id == "scalar" and key.value == "age":
                return key, value, bool(holder.flow_style)
    where = "its key group" if holder is not rule else "it"
    raise StateError(f"{SOPS_CONFIG}: creation rule {index + 1} has no `age:` key; add one "
                     f"to {where} (spprov encrypts state for age recipients)")


def _value_of(node: Any, name: str) -> Any:
    if node is None or node.id != "mapping":
        return None
    for key, value in node.value:
        if key.id == "scalar" and key.value == name:
            return value
    return None
