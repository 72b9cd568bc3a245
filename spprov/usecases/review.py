"""A review against a base revision (`plan --base`): what a pull request changes in the
trust root and in the declared apps, read from the base through Git.

The trust root the state is checked against is the base's (``StateStore(base=...)``); this
module only says what the pull request would change in it, and in every app field, so
that a reviewer sees it in the plan and ``--detailed-exitcode`` exits 2.
"""

from __future__ import annotations

import fnmatch
import tempfile
from pathlib import Path

from spprov.const import SOPS_CONFIG
from spprov.declaration.loader import load_desired
from spprov.declaration.sources import CONFIG_PATTERNS, MAX_FILE_BYTES
from spprov.declaration.templateenv import TemplateVariables
from spprov.errors import ConfigError, ConfigNotFoundError, SpprovError
from spprov.model import App, Desired, Review, TrustChange
from spprov.reconcile.appchanges import app_changes
from spprov.state import trust
from spprov.state.revision import Base
from spprov.state.store import StateStore

MAX_DECLARATION_FILES = 1000  # a credentials/ folder at the base, read through Git
_TREE_MODE = "040000"


def review(store: StateStore, base: Base, config: Path, desired: Desired,
           variables: TemplateVariables) -> Review:
    """The trust-root and app changes of the working tree against ``base``."""
    changes, problems = trust_review(store)
    apps: dict[str, App] = {}
    try:
        at_base = declaration_at(base, store.files.repo_root, config, variables)
        apps = at_base.apps if at_base is not None else {}
        app_diff = app_changes(apps, desired.apps)
    except (SpprovError, ConfigError) as exc:
        app_diff = ()
        first = exc.problems[0] if isinstance(exc, ConfigError) and exc.problems else exc
        problems.append(f"the declaration at {base.ref} does not load ({first}): app "
                        "fields are not compared")
    return Review(base.ref, base.commit, base.source, changes, app_diff, tuple(problems))


def trust_review(store: StateStore) -> tuple[tuple[TrustChange, ...], list[str]]:
    """What the working tree's .sops.yaml changes in the store's trust root (the base's),
    and what could not be compared."""
    trusted = store.trust.root()  # the base's: a broken one is an error, not a review
    try:
        head = trust.TrustRoot.at(store.files.repo_root)
    except SpprovError as exc:
        return (), [f"the pull request's {SOPS_CONFIG} does not load ({exc}): its "
                    "trust-root changes are not shown"]
    return trust.trust_changes(trusted, head), []


def declaration_at(base: Base, repo_root: Path, config: Path,
                   variables: TemplateVariables) -> Desired | None:
    """The declaration as the base revision has it (None when it has none): its files
    read through Git into a folder of their own and loaded as the working tree's are."""
    try:
        relative = config.resolve().relative_to(repo_root.resolve()).as_posix()
    except ValueError:
        raise SpprovError(f"{config} is outside the repository") from None
    entry = base.entry(relative)
    if entry is None:
        return None
    entries = [entry]
    if entry.mode == _TREE_MODE:
        entries = [e for e in base.entries(relative + "/", recursive=False)
                   if any(fnmatch.fnmatch(Path(e.path).name, p) for p in CONFIG_PATTERNS)]
        if len(entries) > MAX_DECLARATION_FILES:
            raise SpprovError(f"{base.ref}:{relative}: {len(entries)} credential files "
                              f"(at most {MAX_DECLARATION_FILES} are compared)")
    with tempfile.TemporaryDirectory(prefix="spprov-base-") as folder:
        top = Path(folder)
        for found in entries:
            target = top / found.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(base.blob(found, MAX_FILE_BYTES))
        if entry.mode == _TREE_MODE:
            (top / relative).mkdir(parents=True, exist_ok=True)

        def shown(path: Path) -> str:
            try:
                return f"{base.ref}:{path.relative_to(top).as_posix()}"
            except ValueError:
                return str(path)

        try:
            return load_desired(top / relative, shown, variables)
        except ConfigNotFoundError:
            return None
