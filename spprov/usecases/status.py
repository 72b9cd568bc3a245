"""The health of every declared credential and app (`spprov status`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from spprov.health import Health, Probe
from spprov.model import Desired, Record
from spprov.reconcile.advice import secret_info
from spprov.reconcile.assess import assess
from spprov.state.store import StateStore

# Probes the stored tokens of the named credentials (network, decryption).
Prober = Callable[[list[str], Mapping[str, Record]], dict[str, Probe]]


def collect_health(desired: Desired, store: StateStore, environ: Mapping[str, str],
                   now: datetime, probe: Prober | None = None) -> Health:
    """Judge the declaration and the readable state as of ``now``; with ``probe``, every
    declared credential's stored token is tried too."""
    stored = store.reader.read_all()
    records = stored.records
    secrets = {app: secret_info(app, store, environ) for app in desired.apps}
    probes: dict[str, Probe] | None = None
    if probe is not None:
        probes = probe([c.name for c in desired.credentials if c.name in records], records)
    return assess(desired, records, secrets, now, probes, stored.unreadable)
