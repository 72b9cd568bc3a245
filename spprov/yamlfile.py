"""The one YAML module: the located loader for declarations, plain loading and dumping.

Declarations are parsed with libyaml's composer and their values built here, so every
node's position is kept. State files' readable part only needs plain values: ``load_plain``
(the C safe loader, which is what makes reading 10,000 state files fast) and ``dump``.

Building values from the node tree ourselves (instead of ``yaml.load``) keeps the
position of every key and value for error messages, catches duplicate keys, and lets
us refuse hostile input (alias bombs, recursion, deep nesting, odd tags) before any
work grows with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100
# Aliases may add at most this many nodes beyond MAX_ALIAS_FACTOR times the written ones.
MAX_ALIAS_NODES = 100_000
MAX_ALIAS_FACTOR = 2

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MERGE, _TIMESTAMP, _VALUE = _TAG + "merge", _TAG + "timestamp", _TAG + "value"
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
_CONSTRUCTOR = yaml.SafeLoader("")  # only its scalar constructors are used (0x1f, 1_000, .inf)

_KINDS = {_BOOL: "true/false", _INT: "a number", _FLOAT: "a number", _NULL: "null",
          _TIMESTAMP: "a date"}

Path = Sequence[str | int]


class YamlError(Exception):
    """Text that is not acceptable YAML; ``line``/``column`` are 1-based."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Document:
    """A parsed file: plain values, and the node tree to find where each one was written."""

    value: object
    root: yaml.Node | None

    def position(self, path: Path) -> tuple[int, int]:
        """Line and column of the key (or list item) at ``path``; the nearest existing parent."""
        node = self.root
        mark = node.start_mark if node is not None else None
        for step in path:
            if node is None:
                break
            found = _child(node, step)
            if found is None:
                break
            mark, node = found
        return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def parse(text: str) -> Document:
    """Parse one YAML document into JSON-like values; raises YamlError."""
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc) from None
    except yaml.YAMLError as exc:
        raise YamlError(1, 1, f"not valid YAML: {_one_line(str(exc))}") from None
    if root is None:
        return Document(None, None)
    _check_size(root)
    return Document(_build(root), root)


# What PyYAML says when a line is indented more or less than its neighbours.
_INDENTATION_SIGNS = ("mapping values are not allowed", "did not find expected key",
                      "did not find expected '-' indicator", "expected <block end>")
INDENTATION_HINT = ("; check the indentation of this line and the one above (keys of one "
                    "mapping start in the same column, with spaces)")


def _syntax_error(exc: yaml.MarkedYAMLError) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    if "tab" in problem or (mark is not None and _char_at(mark) == "\t"):
        return YamlError(line, column, "a tab character: YAML indents with spaces only")
    if "maximum nesting depth" in problem:
        return YamlError(line, column, f"nesting deeper than {MAX_DEPTH} levels")
    if "expected a single document" in (exc.context or ""):
        return YamlError(line, column, "more than one YAML document ('---'); "
                                       "write one document per file")
    context = f" {exc.context}" if exc.context and "single document" not in exc.context else ""
    hint = INDENTATION_HINT if any(sign in problem for sign in _INDENTATION_SIGNS) else ""
    return YamlError(line, column, f"YAML syntax error: {problem}{context}{hint}")


def _char_at(mark: yaml.Mark) -> str:
    buffer, index = mark.buffer, mark.index
    return buffer[index] if isinstance(buffer, str) and 0 <= index < len(buffer) else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_size(root: yaml.Node) -> None:
    """Refuse recursive aliases, deep nesting and alias bombs before expanding anything."""
    sizes: dict[int, tuple[int, int]] = {}
    expanded, _height = _measure(root, sizes, set())
    limit = MAX_ALIAS_FACTOR * len(sizes) + MAX_ALIAS_NODES
    if expanded > limit:
        mark = root.start_mark
        raise YamlError(mark.line + 1, mark.column + 1,
                        f"aliases expand to {expanded} values (at most {limit} allowed); "
                        "is this an alias bomb?")


def _measure(node: yaml.Node, sizes: dict[int, tuple[int, int]],
             open_nodes: set[int]) -> tuple[int, int]:
    """(values after alias expansion, nesting height) of ``node``, memoized by identity."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise _error_at(node, "an alias refers to its own anchor (recursive structure)")
    size, height = 1, 0
    if not isinstance(node, yaml.ScalarNode):
        open_nodes.add(key)
        children = node.value if isinstance(node, yaml.SequenceNode) else \
            [child for pair in node.value for child in pair]
        for child in children:
            child_size, child_height = _measure(child, sizes, open_nodes)
            size, height = size + child_size, max(height, child_height + 1)
        open_nodes.discard(key)
        if height > MAX_DEPTH:
            raise _error_at(node, f"nesting deeper than {MAX_DEPTH} levels")
    sizes[key] = (size, height)
    return size, height


def _error_at(node: yaml.Node, message: str) -> YamlError:
    return YamlError(node.start_mark.line + 1, node.start_mark.column + 1, message)


def _build(node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        _check_tag(node, _SEQ)
        return [_build(child) for child in node.value]
    assert isinstance(node, yaml.MappingNode)  # the composer makes nothing else
    _check_tag(node, _MAP)
    return _mapping(node)


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _check_tag(node: yaml.Node, expected: str) -> None:
    if node.tag != expected:
        raise _error_at(node, f"unsupported YAML tag {_short(node.tag)}")


def _mapping(node: yaml.MappingNode) -> dict[str, object]:
    result: dict[str, object] = {}
    seen: dict[str, yaml.Node] = {}
    for key_node, value_node in explicit_pairs(node):
        key = _key(key_node)
        if key in seen:
            first = seen[key].start_mark
            raise _error_at(key_node, f"duplicate key {key!r} (first at line {first.line + 1}, "
                                      f"column {first.column + 1})")
        seen[key] = key_node
        result[key] = _build(value_node)
    for source in merge_sources(node):
        for key_node, value_node in merged_pairs(source):
            key = _key(key_node)
            if key not in result:
                result[key] = _build(value_node)
    return result


def _key(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
        return str(node.value)
    if isinstance(node, yaml.ScalarNode):
        kind = _KINDS.get(node.tag, _short(node.tag))
        return _fail_key(node, f"key {node.value!r} is not a string (YAML reads it as {kind}); "
                               "quote it")
    return _fail_key(node, "a key must be a plain string, not a list or mapping")


def _fail_key(node: yaml.Node, message: str) -> str:
    raise _error_at(node, message)


def explicit_pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """The pairs written in this mapping, without merge keys."""
    return ((k, v) for k, v in node.value if k.tag != _MERGE)


def merge_sources(node: yaml.MappingNode) -> list[yaml.MappingNode]:
    """The mappings merged in with ``<<``, first one first (it wins over later ones)."""
    sources: list[yaml.MappingNode] = []
    for key_node, value_node in node.value:
        if key_node.tag != _MERGE:
            continue
        candidates = value_node.value if isinstance(value_node, yaml.SequenceNode) \
            else [value_node]
        for candidate in candidates:
            if not isinstance(candidate, yaml.MappingNode):
                raise _error_at(candidate, "a merge key '<<' takes a mapping or a list of "
                                           "mappings (e.g. <<: *defaults)")
            sources.append(candidate)
    return sources


def merged_pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Every pair of a mapping including merged ones, earlier pairs winning over later."""
    yield from explicit_pairs(node)
    for source in merge_sources(node):
        yield from merged_pairs(source)


def _scalar(node: yaml.ScalarNode) -> object:
    tag, text = node.tag, node.value
    if tag in (_INT, _FLOAT) and len(text) > MAX_NUMBER_CHARS:
        # Python refuses to convert (or print) integers of more than 4300 digits.
        raise _error_at(node, f"a number written with {len(text)} characters (at most "
                              f"{MAX_NUMBER_CHARS}); quote it if it is text")
    if tag in (_STR, _TIMESTAMP, _VALUE):
        # A date written unquoted stays the text the person wrote.
        return str(text)
    if tag == _INT:
        return int(text) if text.isdigit() else _CONSTRUCTOR.construct_yaml_int(node)
    if tag == _BOOL:
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if tag == _NULL:
        return None
    if tag == _FLOAT:
        return _CONSTRUCTOR.construct_yaml_float(node)
    raise _error_at(node, f"unsupported YAML tag {_short(tag)}")


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    """(where the step is written, the node it leads to) inside ``node``."""
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        if 0 <= step < len(node.value):
            child = node.value[step]
            return child.start_mark, child
        return None
    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key_node, value_node in merged_pairs(node):
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == step:
                return key_node.start_mark, value_node
    return None


_PlainLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PlainYamlError = yaml.YAMLError


class LimitError(yaml.MarkedYAMLError):
    """A document over the loader's limits (aliases, nesting), as a PlainYamlError."""

    def __init__(self, error: YamlError) -> None:
        mark = yaml.Mark("<text>", 0, error.line - 1, error.column - 1, None, 0)
        super().__init__(problem=error.message, problem_mark=mark)


def load_plain(text: str) -> object:
    """Plain values (safe types only) of YAML from the repository (a state file's readable
    part, ``.sops.yaml``), under the declaration loader's limits: an alias bomb or deep
    nesting is refused before anything is expanded; raises PlainYamlError."""
    loader = _PlainLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        try:
            _check_size(root)
        except YamlError as exc:
            raise LimitError(exc) from None
        return loader.construct_document(root)
    finally:
        loader.dispose()


class _Untyped(_PlainLoader):  # type: ignore[misc]
    """Composes nodes and resolves no tag: sops's typing is applied by spprov.state.sopsyaml."""

    def resolve(self, kind: type[yaml.Node], value: object, implicit: object) -> str:
        return _UNTYPED_TAGS[kind]


_UNTYPED_TAGS = {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}


def compose_untyped(text: str) -> list[Any]:
    """The node tree of every document, plain scalars left as text (``node.id`` is scalar,
    sequence or mapping; ``node.style`` is empty for a plain scalar); raises PlainYamlError."""
    return list(yaml.compose_all(text, Loader=_Untyped))  # noqa: S506 - composes only


def dump(data: object, width: float = 10_000) -> str:
    """Block-style YAML in the given key order; a long token stays on one line."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=width)


def plain_error_line(exc: Exception) -> str | None:
    """``line N: problem`` for a YAML syntax error from load_plain, else None."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return f"line {exc.problem_mark.line + 1}: {exc.problem}"
    return None
