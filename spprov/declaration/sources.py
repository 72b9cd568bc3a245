"""Finding and reading credential files: limits, encodings, templates, YAML."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spprov.declaration.templateenv import NO_VARIABLES, TemplateVariables
from spprov.errors import ConfigError, ConfigNotFoundError, Location, Problem
from spprov.repofiles import NotRegularFileError, read_regular
from spprov.yamlfile import Document, YamlError, parse

TEMPLATE_SUFFIX = ".j2"

MAX_FILE_BYTES = 10 * 1024 * 1024
CONFIG_PATTERNS = ("*.yaml", "*.yml", "*.yaml.j2", "*.yml.j2")
RENDERED = "(rendered line) "

Display = Callable[[Path], str]


@dataclass(frozen=True)
class SourceFile:
    """One parsed credential file."""

    path: Path
    name: str
    document: Document
    template: bool

    def location(self, path: tuple[str | int, ...]) -> Location:
        """Where the value at ``path`` is written."""
        line, column = self.document.position(path)
        return Location(self.name, line, column)

    def problem(self, path: tuple[str | int, ...], message: str,
                code: str = "invalid") -> Problem:
        """A problem at ``path``, saying so when the line is one of rendered text."""
        return Problem(self.location(path), (RENDERED if self.template else "") + message,
                       code)


def is_template(path: Path) -> bool:
    """Whether a file is rendered with Jinja2 first."""
    return path.name.endswith(TEMPLATE_SUFFIX)


def find_config_files(path: Path, display: Display = str) -> list[Path]:
    """The credential files at ``path``: the file itself, or a folder's YAML and templates.

    Links are not followed: a path or folder entry that is a link, a FIFO or a device is
    returned as it is, and reading it refuses it with one line naming it.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        raise ConfigNotFoundError(_not_found(path, display)) from None
    if not stat.S_ISDIR(mode):
        return [path]
    files = {p for pattern in CONFIG_PATTERNS for p in path.glob(pattern)}
    if not files:
        raise ConfigNotFoundError(
            f"{display(path)}: no credential files (*.yaml, *.yml, *.yaml.j2) in this folder")
    return sorted(files)


def _not_found(path: Path, display: Display) -> str:
    if path.name == "credentials.yaml":
        folder = display(path.parent)
        where = "the current folder" if folder == "." else folder
        return (f"no credentials.yaml or credentials/ folder in {where}; "
                "run `spprov init` to create one, or pass --config PATH")
    return f"{display(path)}: no such file or folder"


def read_text(path: Path, name: str) -> str:
    """A regular file's text within the limits: size, no binary content, UTF-8."""
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except NotRegularFileError as exc:
        raise _file_problem(name, exc.reason) from None
    except OSError as exc:
        raise _file_problem(name, f"cannot read the file: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        size = os.lstat(path).st_size
        raise _file_problem(name, f"the file is larger than 10 MB ({size} bytes); "
                                  "split it into several files in a credentials/ folder")
    if b"\0" in data:
        raise _file_problem(name, "a binary file, not YAML text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([Problem(Location(name, line, column),
                                   f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
                                   "not-utf-8")]) from None


def _file_problem(name: str, message: str) -> ConfigError:
    return ConfigError([Problem(Location(name, 1, 1), message, "unreadable-file")])


def render_template(path: Path, display: Display = str,
                    variables: TemplateVariables = NO_VARIABLES) -> str:
    """A template's rendered text (a plain YAML file's own text); raises ConfigError."""
    name = display(path)
    if not os.path.lexists(path):
        raise ConfigNotFoundError(f"{name}: no such file")
    text = read_text(path, name)
    if not is_template(path):
        return text
    # Jinja2 costs ~25 ms to import: only runs that have a template pay for it.
    from spprov.declaration.templates import TemplateError, render_text

    try:
        return render_text(text, variables)
    except TemplateError as exc:
        raise ConfigError([Problem(Location(name, exc.line, 1), exc.message,
                                   "template")]) from None


def load_source(path: Path, display: Display = str,
                variables: TemplateVariables = NO_VARIABLES) -> SourceFile:
    """Read, render if a template, and parse one file; raises ConfigError."""
    name = display(path)
    text = render_template(path, display, variables)
    template = is_template(path)
    try:
        document = parse(text)
    except YamlError as exc:
        prefix = RENDERED if template else ""
        raise ConfigError([Problem(Location(name, exc.line, exc.column),
                                   prefix + exc.message, "yaml-syntax")]) from None
    return SourceFile(path, name, document, template)
