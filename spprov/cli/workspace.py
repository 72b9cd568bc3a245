"""What a command works on: the declaration, the state store, Amazon, app secrets."""

from __future__ import annotations

import os
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from spprov.cli.context import Context
from spprov.cli.progress import Progress
from spprov.declaration.loader import load_desired
from spprov.model import Desired, Plan
from spprov.reconcile.planner import build_plan
from spprov.secret import Secret
from spprov.state.store import StateStore, resolve_client_secret

if TYPE_CHECKING:  # httpx costs ~50 ms to import; a plan without --refresh never needs it
    from spprov.amazon.lwa import LwaClient


def utc_now() -> datetime:
    """The real clock, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class Workspace:
    """Lazily opened collaborators of one command run; nothing is read before it is needed."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self._secrets: dict[str, Secret] = {}
        self._secrets_lock = threading.Lock()
        self._lwa: LwaClient | None = None

    @cached_property
    def desired(self) -> Desired:
        """The declared credentials (validated)."""
        return load_desired(self.context.config_path(), self.context.display)

    @cached_property
    def store(self) -> StateStore:
        """The repository's encrypted state."""
        return StateStore(self.context.directory, self.context.state_dir)

    def lwa(self) -> LwaClient:
        """The one HTTP client of this run (routed by SPPROV_AMAZON_URL)."""
        if self._lwa is None:
            from spprov.amazon.lwa import LwaClient

            self._lwa = LwaClient()
        return self._lwa

    def client_secret(self, app: str) -> Secret:
        """The app's LWA client secret: environment first, else its state file (cached)."""
        with self._secrets_lock:
            if app not in self._secrets:
                self._secrets[app] = resolve_client_secret(app, self.store, os.environ)
            return self._secrets[app]

    def close(self) -> None:
        """Release the HTTP client."""
        if self._lwa is not None:
            self._lwa.close()


def plan_for(workspace: Workspace, now: datetime, only: Collection[str] = (),
             refresh: bool = False, prune: bool = False, concurrency: int = 8) -> Plan:
    """The plan for this repository; reads readable state only unless ``refresh``."""
    desired = workspace.desired
    records = workspace.store.records()
    checks = None
    if refresh:
        from spprov.reconcile.checks import check_tokens

        declared = sum(1 for name in records if desired.credential(name) is not None)
        progress = Progress.on_stderr(declared, "checking tokens", workspace.context.quiet)
        checks = check_tokens(desired, records, workspace.store, workspace.lwa(),
                              workspace.client_secret, concurrency, on_done=progress.advance)
        progress.finish()
    return build_plan(desired, records, now, checks=checks, only=only, prune=prune)
