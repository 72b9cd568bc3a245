"""What a command works on: the declaration, the state store, Amazon, app secrets."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from spprov.cli.context import Context, non_interactive_env, stdin_is_terminal
from spprov.cli.progress import Progress, echo_err, prompt_err
from spprov.const import NAME, NETWORK_CONCURRENCY, STATE_SUFFIX
from spprov.errors import SpprovError
from spprov.escape import log_line
from spprov.model import Desired, Plan
from spprov.secret import Secret

# Every command gets a Workspace, so it imports its collaborators when they are first used:
# `spprov --version` or `spprov emulator` pays for neither jsonschema nor httpx (~50 ms).
if TYPE_CHECKING:
    from datetime import timedelta

    from spprov.amazon.authorize import Authorizer
    from spprov.amazon.lwa import LwaClient
    from spprov.declaration.templateenv import TemplateVariables
    from spprov.reconcile.collect import Collector
    from spprov.reconcile.invitations import Inviter
    from spprov.relay.client import RelayClient
    from spprov.state.invitations import InvitationRecords
    from spprov.state.revision import Base
    from spprov.state.store import StateStore


def utc_now() -> datetime:
    """The real clock, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def passphrase_asker(environ: Mapping[str, str]) -> Callable[[Path], str]:
    """How a passphrase-protected age identity is opened: asked on the terminal, as sops
    asks; in CI, or without a terminal, one line saying what to do instead."""
    def ask(path: Path) -> str:
        if non_interactive_env(environ):
            raise SpprovError(f"the age identity {path} is protected by a passphrase, and in "
                              "CI (CI=true) nobody can type it: give the job an unprotected "
                              "identity in SOPS_AGE_KEY (a CI secret)")
        if not stdin_is_terminal():
            raise SpprovError(f"the age identity {path} is protected by a passphrase, and "
                              "standard input is not a terminal to ask for it: run on a "
                              "terminal, or set SOPS_AGE_KEY to an unprotected identity")
        return str(click.prompt(f"passphrase of the age identity {path}", hide_input=True,
                                err=True, show_default=False))
    return ask


class Workspace:
    """Lazily opened collaborators of one command run; nothing is read before it is needed."""

    def __init__(self, context: Context, environ: Mapping[str, str],
                 template_env: Iterable[str] = ()) -> None:
        self.context = context
        # The one environment of this run: nothing below the CLI reads os.environ.
        self.environ = environ
        self.template_env = tuple(template_env)  # --template-env NAME, repeatable
        self._secrets: dict[str, Secret] = {}
        self._secrets_lock = threading.Lock()
        self._lwa: LwaClient | None = None
        self._relays: dict[str, RelayClient] = {}
        self._relays_lock = threading.Lock()
        # The revision the trust root comes from (`--base`, spprov.cli.reviewbase); set
        # before the store is first used.
        self.base: Base | None = None

    @cached_property
    def desired(self) -> Desired:
        """The declared credentials (validated)."""
        from spprov.declaration.loader import load_desired

        with no_garbage_collection():
            return load_desired(self.context.config_path(), self.context.display,
                                self.template_variables())

    def template_variables(self) -> TemplateVariables:
        """What ``env()`` in a template may read in this run."""
        from spprov.declaration.templateenv import TemplateVariables

        return TemplateVariables.allowing(self.environ, self.template_env)

    @cached_property
    def store(self) -> StateStore:
        """The repository's encrypted state."""
        from spprov.state.lock import RepositoryLock
        from spprov.state.store import StateStore

        lock = RepositoryLock(self.context.directory.resolve(), self.context.command,
                              on_wait=echo_err)
        return StateStore(self.context.directory, self.context.state_dir, self.environ,
                          lock=lock, lock_timeout=self.context.lock_timeout,
                          ask_passphrase=passphrase_asker(self.environ), base=self.base)

    def lwa(self) -> LwaClient:
        """The one HTTP client of this run (routed by SPPROV_AMAZON_URL)."""
        if self._lwa is None:
            from spprov.amazon.lwa import LwaClient, amazon_url_from_env

            self._lwa = LwaClient(amazon_url=amazon_url_from_env(self.environ),
                                  environ=self.environ)
        return self._lwa

    def authorizer(self, *, can_paste: bool, timeout: float) -> Authorizer:
        """Who runs consents with the person at this terminal (its prompts on stderr);
        ``can_paste`` when a redirected address may be typed in (stdin is a terminal)."""
        from spprov.amazon.authorize import Authorizer
        from spprov.amazon.browser import open_in_browser
        from spprov.amazon.lwa import amazon_url_from_env

        environ = self.environ
        return Authorizer(lwa=self.lwa(), amazon_url=amazon_url_from_env(environ),
                          can_paste=can_paste, announce=echo_err, prompt=prompt_err,
                          timeout=timeout, open_browser=lambda url: open_in_browser(url, environ))

    @cached_property
    def invitations(self) -> InvitationRecords:
        """The repository's invitation records."""
        from spprov.state.invitations import InvitationRecords

        return InvitationRecords(self.store.files.repo_root, self.store.files.state_dir)

    def relay(self, base_url: str) -> RelayClient:
        """The admin client of the relay at ``base_url`` (token from SPPROV_RELAY_TOKEN)."""
        with self._relays_lock:
            if base_url not in self._relays:
                from spprov.relay.client import RelayClient, relay_token

                self._relays[base_url] = RelayClient(base_url, relay_token(self.environ),
                                                     environ=self.environ)
            return self._relays[base_url]

    def collector(self, concurrency: int = NETWORK_CONCURRENCY) -> Collector:
        """What collects the grants sellers gave through a relay."""
        from spprov.reconcile.collect import Collector
        from spprov.state.agekeys import load_keyring

        return Collector(self.desired, self.store, self.invitations, self.relay, self.lwa(),
                         self.client_secret, lambda: load_keyring(self.environ).identities,
                         concurrency)

    def inviter(self, lifetime: timedelta | None = None) -> Inviter:
        """What registers invitations with the apps' relays."""
        from spprov.reconcile.invitations import DEFAULT_LIFETIME, Inviter

        return Inviter(self.desired, self.store, self.invitations, self.relay, utc_now,
                       lifetime or DEFAULT_LIFETIME)

    def client_secret(self, app: str) -> Secret:
        """The app's LWA client secret: environment first, else its state file (cached)."""
        with self._secrets_lock:
            if app not in self._secrets:
                from spprov.state.reader import resolve_client_secret

                self._secrets[app] = resolve_client_secret(app, self.store.reader, self.environ)
            return self._secrets[app]

    def config_shown(self) -> str:
        """The credential file or folder as messages name it."""
        return self.context.display(self.context.config_path())

    def stored_names(self) -> list[str]:
        """The names of the credential state files (from file names; nothing is read).

        Only well-formed names: a file name is the repository's to choose, and these are
        printed in suggestions.
        """
        return well_formed(path.name.removesuffix(STATE_SUFFIX)
                           for path in self.store.files.credential_files())

    def declared_names(self) -> list[str]:
        """The declared names, or none when the declaration does not load (a hint only)."""
        from spprov.errors import SpprovError

        try:
            return list(self.desired.by_name)
        except SpprovError:
            return []

    def close(self) -> None:
        """Release the HTTP clients."""
        if self._lwa is not None:
            self._lwa.close()
        for relay in self._relays.values():
            relay.close()


@contextmanager
def no_garbage_collection() -> Iterator[None]:
    """Pause the cyclic collector: parsing makes many objects and few cycles, and the
    collector's repeated passes over them would otherwise cost as much as the parse.
    (A decision for the process, so the CLI takes it, not the loader.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan_for(workspace: Workspace, now: datetime, only: Collection[str] = (),
             refresh: bool = False, prune: bool = False,
             concurrency: int = NETWORK_CONCURRENCY) -> Plan:
    """The plan for this repository; reads readable state only unless ``refresh``."""
    from spprov.reconcile.planner import build_plan

    desired = workspace.desired
    stored = workspace.store.reader.read_all()
    records = stored.records
    _check_only(workspace, only, {*desired.by_name, *records, *stored.unreadable})
    checks = None
    if refresh:
        from spprov.reconcile.checks import check_tokens

        declared = sum(1 for name in records if desired.credential(name) is not None)
        progress = Progress.on_stderr(declared, "checking tokens", workspace.context.quiet)
        checks = check_tokens(desired, records, workspace.store, workspace.lwa(),
                              workspace.client_secret, concurrency, on_done=progress.advance)
        progress.finish()
    keys = workspace.store.reader.key_changes()
    plan = build_plan(desired, records, now, checks=checks, only=only, prune=prune,
                      unreadable=stored.unreadable, keys=keys,
                      stored_apps=workspace.store.files.stored_apps())
    if workspace.base is not None:
        from dataclasses import replace

        from spprov.usecases.review import review

        plan = replace(plan, review=review(workspace.store, workspace.base,
                                           workspace.context.config_path(), desired,
                                           workspace.template_variables()))
    return with_invitations(workspace, plan, now)


def with_invitations(workspace: Workspace, plan: Plan, now: datetime) -> Plan:
    """The plan with a note per invited credential (and whether its grant is ready)."""
    from dataclasses import replace

    from spprov.reconcile.invitations import invitation_notes

    if not any(app.relay for app in workspace.desired.apps.values()):
        return plan
    records = workspace.invitations.all()
    ready: list[str] = []
    if records and workspace.environ.get("SPPROV_RELAY_TOKEN"):
        from spprov.errors import SpprovError

        try:
            ready = list(workspace.collector().ready(list(plan.needs_person())))
        except SpprovError as exc:
            echo_err(log_line(f"warning: cannot ask the relay for ready grants: {exc}"))
    notes = invitation_notes(plan, workspace.desired, records, ready, now)
    return replace(plan, notes=plan.notes + notes) if notes else plan


def well_formed(names: Iterable[str]) -> list[str]:
    """The names fit to print in a suggestion (file names are the repository's to choose)."""
    return [name for name in names if NAME.fullmatch(name)]


def _check_only(workspace: Workspace, only: Collection[str], known: set[str]) -> None:
    from spprov.errors import UsageError
    from spprov.hints import unknown_credential

    for name in sorted(set(only) - known):
        where = (f"declared in {workspace.config_shown()} or stored in "
                 f"{workspace.context.display(workspace.context.state_dir)}")
        raise UsageError(f"--only {name}: " + unknown_credential(
            name, well_formed(known), where, lambda close: f"use --only {close}"))


def current(ctx: click.Context) -> Workspace:
    """The one Workspace of this invocation, built by the top-level group."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Workspace)
    return obj


def warn_about(plan: Plan, workspace: Workspace, now: datetime) -> None:
    """Print the advice for this run on stderr (silenced by -q, like every diagnostic)."""
    from spprov.reconcile.advice import advice, secret_info

    if workspace.context.quiet:
        return
    desired = workspace.desired
    apps = sorted({c.desired.app for c in plan.changes if c.desired is not None})
    secrets = {app: secret_info(app, workspace.store, workspace.environ) for app in apps}
    for line in advice(plan, desired, secrets, now):
        click.echo(log_line(line), err=True)
