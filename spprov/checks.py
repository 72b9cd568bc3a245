"""`--refresh`: exchange each stored refresh token for an access token, concurrently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from spprov.errors import InvalidGrantError, SpprovError
from spprov.lwa import ClientCredentials, LwaClient, run_bounded
from spprov.model import Desired, Record, TokenCheck
from spprov.secret import Secret
from spprov.state import StateStore

log = logging.getLogger("spprov.checks")


def check_tokens(desired: Desired, records: Mapping[str, Record], store: StateStore,
                 lwa: LwaClient, client_secret: Callable[[str], Secret],
                 concurrency: int = 8) -> dict[str, TokenCheck]:
    """The health of every stored token that is still declared; revoked ones become repairs."""
    names = sorted(n for n in records if desired.credential(n) is not None)

    def check(name: str) -> TokenCheck:
        record = records[name]
        refresh_token = store.decrypt(name).refresh_token
        client = ClientCredentials(record.client_id, client_secret(record.app), record.app)
        try:
            lwa.access_token(client, refresh_token, label=name)
        except InvalidGrantError:
            return TokenCheck.REVOKED
        return TokenCheck.OK

    results = run_bounded(names, check, concurrency)
    checks: dict[str, TokenCheck] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, SpprovError):
            log.warning("%s: token check failed: %s", name, result)
            checks[name] = TokenCheck.ERROR
        else:
            checks[name] = result
    return checks
