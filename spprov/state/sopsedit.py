"""Editing the recipients of ``.sops.yaml`` in place, one recipient per line.

Only the ``age:`` value of the chosen creation rules is rewritten (found by the YAML
parser's positions, so the rest of the file, comments included, stays byte for byte);
full-line comments inside that value are kept above its items. The result is the block
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
from spprov.state.trust import MAX_CONFIG_BYTES, TrustRoot

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
    """``text`` with the ``age:`` value of each rule in ``rules`` replaced by ``edit``'s list."""
    spans = []
    root = TrustRoot.from_text(text)
    for index in sorted(rules):
        key, value = _age_nodes(text, index)
        current = _listed(root.rules[index].get("age"))
        spans.append((key, value, edit(current)))
    for key, value, recipients in reversed(spans):
        start, end = key.start_mark.index, value.end_mark.index
        indent = " " * (key.start_mark.column + 2)
        comments = [line.strip() for line in text[start:end].splitlines()
                    if line.strip().startswith("#")]
        lines = ["age:", *(f"{indent}{c}" for c in comments),
                 *(f"{indent}- {r}" for r in recipients)]
        tail = "\n" if text[end - 1:end] == "\n" else ""
        text = text[:start] + "\n".join(lines) + tail + text[end:]
    return text


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


def _age_nodes(text: str, index: int) -> tuple[Any, Any]:
    """The key and value nodes (with their positions) of rule ``index``'s ``age:``."""
    documents = yamlfile.compose_untyped(text)
    rules = _value_of(documents[0] if documents else None, "creation_rules")
    if rules is None or rules.id != "sequence" or index >= len(rules.value):
        raise StateError(f"{SOPS_CONFIG}: no creation rule {index + 1}")
    rule = rules.value[index]
    if rule.id == "mapping":
        for key, value in rule.value:
            if key.id == "scalar" and key.value == "age":
                return key, value
    raise StateError(f"{SOPS_CONFIG}: creation rule {index + 1} has no `age:` key; add one "
                     "(spprov encrypts state for age recipients)")


def _value_of(node: Any, name: str) -> Any:
    if node is None or node.id != "mapping":
        return None
    for key, value in node.value:
        if key.id == "scalar" and key.value == name:
            return value
    return None
