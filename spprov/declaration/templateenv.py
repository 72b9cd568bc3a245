"""Which environment variables ``env()`` in a template may read (no Jinja2 import here).

A template is a repository file, so it may come from an attacker's pull request that runs
in a CI job holding deploy keys and tokens. ``env()`` therefore reads only what the
repository *owner* allowed, from outside the repository:

- any variable named ``SPPROV_VAR_*``;
- the names given with the global option ``--template-env NAME`` (repeatable);
- the names listed in ``SPPROV_TEMPLATE_ENV`` (comma-separated).

Even then, names of secrets (``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, spprov's own
``SPPROV_*`` other than ``SPPROV_VAR_*``, ``SOPS_*``) and values that look like a secret
are refused: secrets never go in credential files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spprov.escape import excerpt, looks_secret

PREFIX = "SPPROV_VAR_"
LIST_VARIABLE = "SPPROV_TEMPLATE_ENV"
OPTION = "--template-env"
_SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|^SPPROV_(?!VAR_)|^SOPS_", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")


class VariableRefused(Exception):
    """env() may not read this variable; the message says why and how to allow it."""


@dataclass(frozen=True)
class TemplateVariables:
    """The environment ``env()`` reads in one run, and the names ``--template-env`` allowed."""

    environ: Mapping[str, str] = field(default_factory=dict)
    command_line: frozenset[str] = frozenset()

    @classmethod
    def allowing(cls, environ: Mapping[str, str], names: Iterable[str]) -> TemplateVariables:
        """``environ``, with the names given to ``--template-env`` allowed too."""
        return cls(environ, frozenset(name.strip() for name in names if name.strip()))

    def allowed(self) -> frozenset[str]:
        """The names allowed by ``--template-env`` and ``SPPROV_TEMPLATE_ENV``."""
        listed = {name.strip() for name in self.environ.get(LIST_VARIABLE, "").split(",")}
        return frozenset(listed - {""}) | self.command_line

    def read(self, name: str) -> str | None:
        """The variable's value (None when unset), or VariableRefused."""
        return read(name, self.environ, self.allowed())


# No variables at all: what a template reads when its caller passes none.
NO_VARIABLES = TemplateVariables()


def read(name: str, environ: Mapping[str, str], allowed: frozenset[str]) -> str | None:
    """The variable's value (None when unset), or VariableRefused."""
    if not _NAME.fullmatch(name):
        raise VariableRefused(f"env({excerpt(name, 60)}): not a variable name (letters, "
                              "digits and '_', at most 100 characters)")
    if _SECRET_NAME.search(name):
        raise VariableRefused(
            f"env({name!r}): variables named like secrets (SECRET, TOKEN, PASSWORD, SPPROV_*, "
            "SOPS_*) cannot be read by templates; secrets never go in credential files")
    if not name.startswith(PREFIX) and name not in allowed:
        raise VariableRefused(
            f"env({name!r}): templates read only variables the repository owner allowed; "
            f"name it {PREFIX}{name}, or allow it with `spprov {OPTION} {name}` or "
            f"{LIST_VARIABLE}={name} (not in the repository)")
    value = environ.get(name)
    if value is not None and looks_secret(value):
        raise VariableRefused(f"env({name!r}): the value looks like a secret; secrets never "
                              "go in credential files")
    return value
