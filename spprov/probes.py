"""`status --refresh`: exchange each stored token and call the sellers API with it.

The sellers call (``GET /sellers/v1/marketplaceParticipations``) on the credential's
stored endpoint proves the token works there; a 403 means the token belongs to another
region. Both requests of a credential run in one worker; the access token from the
first is reused by the second (the LWA client caches it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from spprov.errors import AccessDeniedError, InvalidGrantError, SpprovError
from spprov.health import Probe
from spprov.lwa import ClientCredentials, LwaClient, run_bounded
from spprov.model import Record, TokenCheck
from spprov.secret import Secret
from spprov.state import StateStore


def probe_credentials(names: Iterable[str], records: Mapping[str, Record], store: StateStore,
                      lwa: LwaClient, client_secret: Callable[[str], Secret],
                      concurrency: int = 8,
                      on_done: Callable[[], None] | None = None) -> dict[str, Probe]:
    """A Probe per stored credential in ``names``, concurrently (bounded)."""
    selected = sorted(n for n in names if n in records)

    def probe(name: str) -> Probe:
        try:
            return probe_one(name, store, lwa, client_secret)
        finally:
            if on_done is not None:
                on_done()

    results = run_bounded(selected, probe, concurrency)
    return {name: result if isinstance(result, Probe)
            else Probe(TokenCheck.ERROR, None, str(result))
            for name, result in zip(selected, results, strict=True)}


def probe_one(name: str, store: StateStore, lwa: LwaClient,
              client_secret: Callable[[str], Secret]) -> Probe:
    """Refresh one credential's token, then prove it on its stored SP-API endpoint."""
    stored = store.decrypt(name)
    record = stored.record
    client = ClientCredentials(record.client_id, client_secret(record.app), record.app)
    try:
        access_token = lwa.access_token(client, stored.refresh_token, label=name)
    except InvalidGrantError:
        return Probe(TokenCheck.REVOKED)
    except SpprovError as exc:
        return Probe(TokenCheck.ERROR, None, str(exc))
    try:
        lwa.marketplace_participations(record.sp_api_endpoint, access_token)
    except AccessDeniedError as exc:
        return Probe(TokenCheck.OK, False, f"region mismatch: {exc}")
    except SpprovError as exc:
        return Probe(TokenCheck.ERROR, None, f"sellers call failed: {exc}")
    return Probe(TokenCheck.OK, True)
