"""`spprov show PLANFILE` as a value: a saved plan, and whether it is still current.

A current plan (nothing it was computed from changed) is rebuilt exactly as `apply
PLANFILE` would rebuild it, so `show` renders what apply would do; a stale one is shown
from its own document, with what changed since.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from spprov.declaration.templateenv import TemplateVariables
from spprov.errors import SpprovError
from spprov.model import Desired, Plan
from spprov.reconcile.savedplan import (
    RepositoryFiles,
    SavedPlan,
    StalePlanError,
    changes_since,
    fingerprint,
)
from spprov.render.saved import SavedPlanView
from spprov.state.reader import StoredState

Inputs = Callable[[], tuple[Desired, StoredState, Collection[str]]]


def view_saved_plan(saved: SavedPlan, files: RepositoryFiles, variables: TemplateVariables,
                    inputs: Inputs) -> SavedPlanView:
    """Compare the saved plan with today's files; rebuild it when nothing changed.

    ``inputs`` reads the declaration and the readable state (only called when current).
    """
    try:
        changed = changes_since(saved, fingerprint(files, variables))
    except SpprovError as exc:  # the declaration no longer reads: stale by definition
        return _view(saved, (_first_line(exc),), None)
    if changed:
        return _view(saved, tuple(changed), None)
    desired, stored, stored_apps = inputs()
    try:
        plan = saved.replay(files, variables, desired, stored, stored_apps)
    except StalePlanError as exc:
        return _view(saved, (_first_line(exc),), None)
    return _view(saved, (), plan)


def _view(saved: SavedPlan, changed: tuple[str, ...], plan: Plan | None) -> SavedPlanView:
    options = saved.options
    words = [word for name in options.only for word in ("--only", name)]
    words += ["--prune"] * options.prune + ["--refresh"] * options.refresh
    return SavedPlanView(saved.file, saved.generated_at, options.as_json(), tuple(words),
                         options.replan(saved.file), saved.document, changed, plan)


def _first_line(exc: Exception) -> str:
    return str(exc).split("\n", 1)[0]
