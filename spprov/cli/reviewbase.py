"""Which base revision a review (`plan`, `verify`, `validate`) takes its trust root from.

``--base REF`` names it. Without it, a pull request's CI job names it through its own
variables, read from this run's environment (never ``os.environ``):

- GitHub Actions, on a ``pull_request`` or ``pull_request_target`` event:
  ``origin/$GITHUB_BASE_REF`` (the checkout must hold it: ``fetch-depth: 0``);
- GitLab CI, in a merge request pipeline: ``origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME``,
  else the commit ``$CI_MERGE_REQUEST_DIFF_BASE_SHA``.

Everywhere else the trust root is the working tree's, as before.
"""

from __future__ import annotations

from collections.abc import Mapping

from spprov.cli.progress import echo_err
from spprov.cli.workspace import Workspace
from spprov.render.review import base_line
from spprov.state.revision import Base, resolve

GITHUB_EVENTS = ("pull_request", "pull_request_target")


def named_base(option: str | None, environ: Mapping[str, str]) -> tuple[str, str | None] | None:
    """(REF, the variable that named it, or None for --base), or None: no base."""
    if option is not None:
        return option, None
    if environ.get("GITHUB_ACTIONS") == "true" and \
            environ.get("GITHUB_EVENT_NAME") in GITHUB_EVENTS and environ.get("GITHUB_BASE_REF"):
        return f"origin/{environ['GITHUB_BASE_REF']}", "GITHUB_BASE_REF"
    if environ.get("GITLAB_CI") == "true":
        if environ.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"):
            return (f"origin/{environ['CI_MERGE_REQUEST_TARGET_BRANCH_NAME']}",
                    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        if environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
            return environ["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "CI_MERGE_REQUEST_DIFF_BASE_SHA"
    return None


def use_base(workspace: Workspace, option: str | None) -> Base | None:
    """Resolve the base (one clear line when it does not resolve), make it the trust root
    of this run's store, and say so on stderr."""
    named = named_base(option, workspace.environ)
    if named is None:
        return None
    base = resolve(workspace.context.directory, named[0], workspace.environ, named[1])
    workspace.base = base
    if not workspace.context.quiet:
        echo_err(base_line(base.ref, base.source))
    return base
