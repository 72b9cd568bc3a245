"""The health a report draws: status without --refresh, as a value (nothing decrypted)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from spprov.health import Health
from spprov.model import Desired
from spprov.reconcile.advice import secret_info
from spprov.reconcile.assess import assess
from spprov.state.store import StateStore


def readable_health(desired: Desired, store: StateStore, environ: Mapping[str, str],
                    now: datetime) -> Health:
    """Every credential's and app's health from the readable fields, as `spprov status`."""
    stored = store.reader.read_all()
    secrets = {app: secret_info(app, store, environ) for app in desired.apps}
    return assess(desired, stored.records, secrets, now, None, stored.unreadable)
