"""The commands spprov tells a person to run next, spelled in one place."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

_LISTED = 5


def authorize_command(name: str = "NAME") -> str:
    """The command that (re)authorizes one credential."""
    return f"spprov authorize {name}"


def run_authorize(name: str = "NAME") -> str:
    """The advice to authorize a credential, as messages end with it."""
    return f"run `{authorize_command(name)}`"


def unknown_credential(name: str, known: Iterable[str], where: str,
                       next_step: Callable[[str], str]) -> str:
    """A credential name that is not there, the closest known name and what to run with it.

    ``where`` says where names were looked for ("declared in credentials.yaml");
    ``next_step`` spells the step for a suggested name ("run `spprov token acme-us`").
    """
    names = sorted(set(known))
    message = f"no credential named {name!r} is {where}"
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return f"{message}; did you mean {close[0]!r}? {next_step(close[0])}"
    if not names:
        return f"{message}, and there are none; declare it in a credential file first"
    shown = ", ".join(names[:_LISTED]) + (f" and {len(names) - _LISTED} more"
                                          if len(names) > _LISTED else "")
    return f"{message}; the known names are {shown}"


def client_secret_variable(app: str) -> str:
    """``SPPROV_APP_<APP>_CLIENT_SECRET``, APP upper-cased with ``-`` as ``_``."""
    return f"SPPROV_APP_{app.upper().replace('-', '_')}_CLIENT_SECRET"


def rotate_secret_command(app: str = "APP") -> str:
    """The command that rotates an app's client secret at Amazon and stores the new one."""
    return f"spprov app rotate-secret {app}"
