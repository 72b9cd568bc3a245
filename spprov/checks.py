"""`--refresh`: exchange each stored refresh token for an access token, concurrently.

Decrypting a state file is CPU work in a sops process (~20 ms) and a check is mostly
waiting on the network, so they run in two pools: decryptions, two per CPU, run ahead of
the bounded network checks instead of taking turns with them in the same worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from spprov.errors import InvalidGrantError, SpprovError
from spprov.lwa import ClientCredentials, LwaClient, run_bounded
from spprov.model import Desired, Record, TokenCheck
from spprov.secret import Secret
from spprov.state import StateStore, StoredSecrets

log = logging.getLogger("spprov.checks")


def check_tokens(desired: Desired, records: Mapping[str, Record], store: StateStore,
                 lwa: LwaClient, client_secret: Callable[[str], Secret],
                 concurrency: int = 8,
                 on_done: Callable[[], None] | None = None) -> dict[str, TokenCheck]:
    """The health of every stored token that is still declared; revoked ones become repairs.

    ``on_done`` is called after each check (e.g. a progress counter), from worker threads.
    """
    names = sorted(n for n in records if desired.credential(n) is not None)
    with ThreadPoolExecutor(max_workers=decrypt_workers()) as decrypting:
        stored = {name: decrypting.submit(store.decrypt, name) for name in names}

        def counted(name: str) -> TokenCheck:
            try:
                return _check_one(name, records[name], stored[name], lwa, client_secret)
            finally:
                if on_done is not None:
                    on_done()

        results = run_bounded(names, counted, concurrency)
    checks: dict[str, TokenCheck] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, SpprovError):
            log.warning("%s: token check failed: %s", name, result)
            checks[name] = TokenCheck.ERROR
        else:
            checks[name] = result
    return checks


def decrypt_workers() -> int:
    """sops processes at once: two per CPU, so one starting up overlaps one decrypting."""
    return 2 * (os.cpu_count() or 1)


def _check_one(name: str, record: Record, stored: Future[StoredSecrets], lwa: LwaClient,
               client_secret: Callable[[str], Secret]) -> TokenCheck:
    """Wait for this credential's decryption, then exchange its refresh token once."""
    refresh_token = stored.result().refresh_token
    client = ClientCredentials(record.client_id, client_secret(record.app), record.app)
    try:
        lwa.access_token(client, refresh_token, label=name)
    except InvalidGrantError:
        return TokenCheck.REVOKED
    return TokenCheck.OK
