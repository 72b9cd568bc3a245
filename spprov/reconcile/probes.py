"""`status --refresh`: exchange each stored token and call the sellers API with it.

The sellers call (``GET /sellers/v1/marketplaceParticipations``) on the credential's
stored endpoint proves the token works there; a 403 means the token belongs to another
region. Both requests of a credential run in one worker, paced as for `plan --refresh`
(`spprov.reconcile.checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from spprov.amazon.lwa import LwaClient
from spprov.const import NETWORK_CONCURRENCY
from spprov.errors import AccessDeniedError, SpprovError
from spprov.health import Probe
from spprov.model import Record, TokenCheck
from spprov.reconcile.checks import ClientSecret, each_decrypted, failed_check, fresh_access_token
from spprov.reconcile.pacing import AdaptiveLimit
from spprov.state.reader import StoredSecrets
from spprov.state.store import StateStore


def probe_credentials(names: Iterable[str], records: Mapping[str, Record], store: StateStore,
                      lwa: LwaClient, client_secret: ClientSecret,
                      concurrency: int = NETWORK_CONCURRENCY,
                      on_done: Callable[[], None] | None = None) -> dict[str, Probe]:
    """A Probe per stored credential in ``names``, concurrently (bounded)."""
    selected = sorted(n for n in names if n in records)

    def probe(name: str, stored: StoredSecrets) -> Probe:
        return probe_one(name, stored, lwa, client_secret)

    results = each_decrypted(selected, store, lwa, probe, AdaptiveLimit(concurrency), on_done)
    return {name: result if isinstance(result, Probe)
            else Probe(TokenCheck.ERROR, None, failed_check(result).message)
            for name, result in zip(selected, results, strict=True)}


def probe_one(name: str, stored: StoredSecrets, lwa: LwaClient,
              client_secret: ClientSecret) -> Probe:
    """Refresh one credential's token, then prove it on its stored SP-API endpoint."""
    try:
        access_token = fresh_access_token(name, stored, lwa, client_secret)
    except SpprovError as exc:
        return Probe(TokenCheck.ERROR, None, failed_check(exc).message)
    if access_token is None:
        return Probe(TokenCheck.REVOKED)
    try:
        lwa.marketplace_participations(stored.record.sp_api_endpoint, access_token)
    except AccessDeniedError as exc:
        return Probe(TokenCheck.OK, False, f"region mismatch: {exc}")
    except SpprovError as exc:
        return Probe(TokenCheck.ERROR, None, f"sellers call failed: {exc}")
    return Probe(TokenCheck.OK, True)
