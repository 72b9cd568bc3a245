"""The commands spprov tells a person to run next, spelled in one place."""

from __future__ import annotations


def authorize_command(name: str = "NAME") -> str:
    """The command that (re)authorizes one credential."""
    return f"spprov authorize {name}"


def run_authorize(name: str = "NAME") -> str:
    """The advice to authorize a credential, as messages end with it."""
    return f"run `{authorize_command(name)}`"
