"""The exceptions spprov raises on purpose.

Everything a user can cause or fix is an ``SpprovError``; the CLI's single error
boundary (``spprov.cli.main``) prints its message as one line and exits 1. Anything else
is a bug and is reported as such.

    SpprovError                     a problem the user can act on (exit 1)
    ├── UsageError                  a wrong combination of options or arguments
    ├── ConfigError                 invalid credential files; carries Problems
    ├── ConfigNotFoundError         no credential file where one was expected
    ├── StateError                  a state file that cannot be used
    │   └── StateLockedError        another spprov run holds the lock
    ├── SopsError                   the sops binary failed; message mapped from its exit code
    ├── AuthorizationError          the OAuth consent could not be completed
    ├── AuthorizationLimitError     consents that would exceed Amazon's authorization limits
    └── AmazonError                 Amazon (or the emulator) answered with an error
        ├── PermanentAmazonError    retrying cannot help
        │   ├── InvalidGrantError   code expired/used, refresh token revoked
        │   ├── InvalidClientError  client id/secret rejected
        │   ├── AccessDeniedError   SP-API answered 403 (e.g. region mismatch)
        │   └── NotEnrolledError    rotation refused: no queue registered in the console
        └── TransientAmazonError    429, 5xx, connection errors: worth retrying
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Every exit code spprov uses; commands return one of these."""

    OK = 0
    ERROR = 1  # a user error, a failed change or a check that could not be made
    CHANGES = 2  # plan --detailed-exitcode: changes pending
    WAITING = 3  # apply converged except what waits for a person
    INTERNAL = 70  # a bug (EX_SOFTWARE)
    INTERRUPTED = 130  # Ctrl-C


@dataclass(frozen=True)
class Location:
    """Where something stands in a file: 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One problem in a credential file, printed as ``FILE:LINE:COL: message``.

    ``code`` is a stable kebab-case name of the kind of problem (``yaml-syntax``,
    ``unknown-key``, ...) for machines: `validate --json`, annotations, Code Quality.
    The codes are listed in docs/credentials.md.
    """

    location: Location
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class SpprovError(Exception):
    """A problem the user can act on; its message is what they read."""


class UsageError(SpprovError):
    """Options or arguments that do not fit together."""


class ConfigError(SpprovError):
    """Credential files that are invalid; each problem names file, line and column."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(
            problems, key=lambda p: (p.location.file, p.location.line, p.location.column)
        )
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigNotFoundError(SpprovError):
    """No credential file where one was expected."""


class StateError(SpprovError):
    """A state file that cannot be read, decrypted or trusted."""


class StateLockedError(StateError):
    """Another spprov run holds the repository's lock."""


class SopsError(SpprovError):
    """The sops binary failed; the message says why and what to do."""

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class AuthorizationError(SpprovError):
    """The OAuth consent could not be completed (denied, wrong state, pin mismatch, ...)."""


class AuthorizationLimitError(SpprovError):
    """A plan whose consents would take an app beyond Amazon's authorization limits."""


class AmazonError(SpprovError):
    """Amazon (or the emulator) answered with an error."""

    def __init__(self, message: str, status: int | None = None, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


class PermanentAmazonError(AmazonError):
    """An answer that retrying cannot change."""


class InvalidGrantError(PermanentAmazonError):
    """The code or refresh token is expired, used, revoked or was never granted."""


class InvalidClientError(PermanentAmazonError):
    """The LWA client id or client secret was rejected."""


class AccessDeniedError(PermanentAmazonError):
    """SP-API refused the access token (for example a token of another region)."""


class NotEnrolledError(PermanentAmazonError):
    """The app has no queue registered for its new client secret (Developer Console)."""


class TransientAmazonError(AmazonError):
    """A 429, a 5xx or a connection error: the same request may succeed later."""
