"""Saved plans: `spprov plan --out FILE` writes one, `spprov apply FILE` carries it out.

A saved plan is a JSON document: the plan (as ``plan_json`` renders it), the options it
was made with, and a fingerprint (sha256 of every declaration file, after rendering for
templates, and of every state file). Like a Terraform plan file it is applied exactly or
not at all: when anything it was computed from changed since, it is stale and refused.
Applying it rebuilds the plan from the same inputs at the moment it was made (the planner
is pure) and checks that the result equals the saved changes. It holds no secret: only
readable facts and hashes of files (state files are hashed encrypted).
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from spprov import __version__
from spprov.const import SOPS_CONFIG, STATE_SUFFIX
from spprov.declaration.sources import find_config_files, is_template, read_text, render_template
from spprov.declaration.templateenv import TemplateVariables
from spprov.errors import SpprovError, UsageError
from spprov.model import Action, Desired, ErrorKind, Failure, Plan, TokenCheck
from spprov.reconcile.planner import REVOKED_REASON, Check, build_plan
from spprov.render.plan import plan_json
from spprov.repofiles import NotRegularFileError, read_regular
from spprov.state.files import MAX_STATE_BYTES
from spprov.state.lock import write_atomically
from spprov.state.reader import StoredState

FORMAT_VERSION = 1
KIND = "spprov saved plan"


class RepositoryFiles(Protocol):
    """Where a repository's declaration and state files are (the CLI's Context is one)."""

    @property
    def directory(self) -> Path: ...

    @property
    def state_dir(self) -> Path: ...

    def config_path(self) -> Path: ...

    def display(self, path: Path) -> str: ...


class StalePlanError(SpprovError):
    """A saved plan whose inputs changed since it was made."""


@dataclass(frozen=True)
class Options:
    """The plan options a saved plan was made with, and is applied with."""

    only: tuple[str, ...] = ()
    prune: bool = False
    refresh: bool = False

    def replan(self, file: str) -> str:
        """The `spprov plan` command that makes this plan again, with the same options."""
        return shlex.join(["spprov", "plan", *_flags(self), "--out", file])

    def as_json(self) -> dict[str, Any]:
        """The options as the document stores them."""
        return {"only": sorted(self.only), "prune": self.prune, "refresh": self.refresh}


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan as read from its file."""

    file: str  # as the user wrote it, for messages
    generated_at: datetime
    options: Options
    fingerprint: dict[str, str]
    document: dict[str, Any]  # the plan_json document

    def replay(self, files: RepositoryFiles, variables: TemplateVariables, desired: Desired,
               stored: StoredState, stored_apps: Collection[str] = ()) -> Plan:
        """The saved plan, rebuilt from today's files; refused when it is stale.

        What ``--refresh`` found is carried over from the document, failed checks
        included: a plan saved incomplete is rebuilt incomplete.
        """
        refuse_if_stale(self, fingerprint(files, variables))
        plan = build_plan(desired, stored.records, self.generated_at,
                          checks=_saved_checks(self.document), only=self.options.only,
                          prune=self.options.prune, unreadable=stored.unreadable,
                          stored_apps=stored_apps)
        if _comparable(json.loads(plan_json(plan))) != _comparable(self.document):
            raise StalePlanError(f"the saved plan {self.file} does not match what this spprov "
                                 f"computes from the same files; run "
                                 f"`{self.options.replan(self.file)}` again")
        return plan


def refuse_wider(saved: SavedPlan, allowed: Options) -> None:
    """Raise UsageError when the saved plan asks for an option this apply was not given.

    A saved plan is a file anyone with access to a CI artifact can edit; what it may ask
    for is bounded by the command a person (or a reviewed workflow) typed: `--prune` to
    delete, `--refresh` to repair, and no credential outside `--only`.
    """
    asked = saved.options
    wider = [flag for flag, wanted, given in (
        ("--prune", asked.prune, allowed.prune),
        ("--refresh", asked.refresh, allowed.refresh)) if wanted and not given]
    if allowed.only and (not asked.only or not set(asked.only) <= set(allowed.only)):
        outside = sorted(set(asked.only) - set(allowed.only)) or ["every credential"]
        wider.append(f"--only {' '.join(outside)}")
    if wider:
        command = shlex.join(["spprov", "apply", *_flags(asked), saved.file])
        raise UsageError(f"the saved plan {saved.file} asks for {', '.join(wider)}, which "
                         "this apply was not given; a saved plan can only do less than the "
                         f"command that applies it: review it, then run `{command}`")


def _flags(options: Options) -> list[str]:
    words = [word for name in options.only for word in ("--only", name)]
    return words + ["--prune"] * options.prune + ["--refresh"] * options.refresh


def fingerprint(files: RepositoryFiles, variables: TemplateVariables) -> dict[str, str]:
    """``{path: sha256}`` of every declaration file, every state file and .sops.yaml (the
    trust root: a plan reviewed for some recipients is not applied for others)."""
    prints = {files.display(path): _sha256(_declaration_bytes(path, files, variables))
              for path in find_config_files(files.config_path(), files.display)}
    trust_root = files.directory / SOPS_CONFIG
    if trust_root.is_file():
        prints[SOPS_CONFIG] = _sha256(trust_root.read_bytes())
    for path in sorted(files.state_dir.rglob(f"*{STATE_SUFFIX}")):
        if not path.name.startswith("."):
            prints[files.display(path)] = _sha256(_state_bytes(path))
    return prints


def save(path: Path, plan: Plan, options: Options, prints: Mapping[str, str]) -> None:
    """Write the saved plan atomically (the fingerprint is taken before the plan is built)."""
    document = {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "spprov_version": __version__,
        "options": options.as_json(),
        "fingerprint": dict(sorted(prints.items())),
        "plan": json.loads(plan_json(plan)),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"))


def load(path: Path, file: str) -> SavedPlan:
    """Read a saved plan; one clear line when it is missing or not one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{file}: no such saved plan; make one with "
                         f"`spprov plan --out {file}`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{file}: not a saved spprov plan ({_first_line(exc)})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise UsageError(f"{file}: not a saved spprov plan (made by `spprov plan --out`)")
    if document.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{file}: saved plan format_version "
                         f"{document.get('format_version')!r} is not {FORMAT_VERSION}; "
                         f"run `spprov plan --out {file}` again with this spprov")
    return _parse(document, file)


def changes_since(saved: SavedPlan, now: Mapping[str, str]) -> list[str]:
    """What changed since the plan was made (``credentials.yaml changed``, ...); empty
    when it is current."""
    return [_what_changed(name, saved.fingerprint.get(name), now.get(name))
            for name in sorted(saved.fingerprint.keys() | now.keys())
            if saved.fingerprint.get(name) != now.get(name)]


def refuse_if_stale(saved: SavedPlan, now: Mapping[str, str]) -> None:
    """Raise StalePlanError naming what changed since the plan was made."""
    changed = changes_since(saved, now)
    if changed:
        raise StalePlanError(f"the saved plan {saved.file} is stale: {', '.join(changed)} "
                             f"since it was made; run `{saved.options.replan(saved.file)}` "
                             "again")


def _what_changed(name: str, before: str | None, after: str | None) -> str:
    if before is None:
        return f"{name} was added"
    if after is None:
        return f"{name} was removed"
    return f"{name} changed"


def _parse(document: dict[str, Any], file: str) -> SavedPlan:
    try:
        options, plan = document["options"], document["plan"]
        prints = {str(k): str(v) for k, v in document["fingerprint"].items()}
        generated_at = datetime.fromisoformat(plan["generated_at"].replace("Z", "+00:00"))
        saved_options = Options(tuple(options["only"]), bool(options["prune"]),
                                bool(options["refresh"]))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UsageError(f"{file}: a damaged saved plan ({type(exc).__name__}: {exc}); "
                         f"run `spprov plan --out {file}` again") from None
    return SavedPlan(file, generated_at, saved_options, prints, plan)


def _saved_checks(document: Mapping[str, Any]) -> dict[str, Check]:
    """What --refresh found when the plan was made, read back from its reasons (revoked)
    and its failures (a check that could not be made; blocked files are found again)."""
    checks: dict[str, Check] = {}
    for change in document.get("changes", []):
        failure = change.get("failure")
        if isinstance(failure, Mapping) and change.get("action") != Action.BLOCKED.value:
            checks[change["name"]] = Failure(_kind(failure.get("kind")),
                                             str(failure.get("message", "")))
        elif REVOKED_REASON in change.get("reasons", ()):
            checks[change["name"]] = TokenCheck.REVOKED
    return checks


def _kind(value: object) -> ErrorKind:
    try:
        return ErrorKind(str(value))
    except ValueError:
        return ErrorKind.PERMANENT


def _comparable(document: Mapping[str, Any]) -> Any:
    """What must be equal for two plans to do the same thing."""
    return [(c["name"], c["action"], c["pending"], c["updates"])
            for c in document.get("changes", []) if c["action"] != Action.NOOP.value]


def _declaration_bytes(path: Path, files: RepositoryFiles,
                       variables: TemplateVariables) -> bytes:
    # A template is hashed as rendered: the environment it reads is part of the plan.
    if is_template(path):
        return render_template(path, files.display, variables).encode("utf-8")
    return read_text(path, files.display(path)).encode("utf-8")


def _state_bytes(path: Path) -> bytes:
    """A state file's bytes; a link or special file is hashed as what it is, never read."""
    try:
        return read_regular(path, MAX_STATE_BYTES)
    except NotRegularFileError as exc:
        return exc.reason.encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
