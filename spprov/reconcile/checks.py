"""`--refresh`: exchange each stored refresh token for an access token, concurrently.

Decrypting a state file takes a fraction of a millisecond in-process
(``spprov.state.sopsreader``) and a check is mostly waiting on the network, so each check
decrypts its file itself; at most ``concurrency`` checks are in flight, fewer while LWA
throttles (``spprov.reconcile.pacing``). `plan --refresh` (here) and `status --refresh`
(`spprov.reconcile.probes`) share that machinery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from spprov.amazon.lwa import ClientCredentials, LwaClient
from spprov.const import NETWORK_CONCURRENCY
from spprov.errors import InvalidGrantError, SpprovError
from spprov.model import Desired, Failure, Record, TokenCheck
from spprov.reconcile.pacing import AdaptiveLimit, run_paced
from spprov.secret import Secret
from spprov.state.reader import StoredSecrets
from spprov.state.store import StateStore

log = logging.getLogger("spprov.reconcile.checks")

R = TypeVar("R")
ClientSecret = Callable[[str], Secret]


def check_tokens(desired: Desired, records: Mapping[str, Record], store: StateStore,
                 lwa: LwaClient, client_secret: ClientSecret,
                 concurrency: int = NETWORK_CONCURRENCY,
                 on_done: Callable[[], None] | None = None) -> dict[str, TokenCheck | Failure]:
    """The health of every stored token that is still declared; revoked ones become repairs.

    A check that could not be made (decryption failed, client secret rejected, Amazon
    unreachable) is a Failure in the result: the plan shows it and exits 1.

    ``on_done`` is called after each check (e.g. a progress counter), from worker threads.
    """
    names = sorted(n for n in records if desired.credential(n) is not None)

    def check(name: str, stored: StoredSecrets) -> TokenCheck:
        revoked = fresh_access_token(name, stored, lwa, client_secret) is None
        return TokenCheck.REVOKED if revoked else TokenCheck.OK

    results = each_decrypted(names, store, lwa, check, AdaptiveLimit(concurrency), on_done)
    checks: dict[str, TokenCheck | Failure] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, SpprovError):
            log.info("%s: token check failed: %s", name, result)
            checks[name] = failed_check(result)
        else:
            checks[name] = result
    return checks


def failed_check(error: SpprovError) -> Failure:
    """A check that could not be made, as plan --refresh, status --refresh and verify say it."""
    failure = Failure.of(error)
    return Failure(failure.kind, f"could not check: {failure.message}")


def each_decrypted(names: Sequence[str], store: StateStore, lwa: LwaClient,
                   work: Callable[[str, StoredSecrets], R], limit: AdaptiveLimit,
                   on_done: Callable[[], None] | None = None) -> list[R | SpprovError]:
    """``work`` on each credential's decrypted state, in order, paced by LWA's 429s."""
    def run(name: str) -> R:
        try:
            return work(name, store.reader.decrypt(name))
        finally:
            if on_done is not None:
                on_done()

    previous, lwa.on_throttle = lwa.on_throttle, limit.throttled
    try:
        return run_paced(list(names), run, limit)
    finally:
        lwa.on_throttle = previous


def fresh_access_token(name: str, stored: StoredSecrets, lwa: LwaClient,
                       client_secret: ClientSecret) -> Secret | None:
    """An access token for the stored refresh token; None when LWA says it is revoked."""
    record = stored.record
    client = ClientCredentials(record.client_id, client_secret(record.app), record.app)
    try:
        return lwa.access_token(client, stored.refresh_token, label=name)
    except InvalidGrantError:
        return None

