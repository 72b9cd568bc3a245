"""Declaration problems for machines: `validate --json`, GitHub annotations, GitLab Code
Quality. Every value comes from the repository; JSON is escaped by ``json.dumps`` and
annotations by the one escaping path, ``spprov.escape.workflow_command``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from spprov.declaration.checking import PathCheck
from spprov.errors import Problem
from spprov.escape import workflow_command

VALIDATE_FORMAT_VERSION = 1
NOT_FOUND = "not-found"
ANNOTATION_TITLE = "spprov"


def validation_json(checks: Sequence[PathCheck]) -> str:
    """The versioned `validate --json` document (docs/credentials.md)."""
    document = {
        "format_version": VALIDATE_FORMAT_VERSION,
        "valid": all(check.valid for check in checks),
        "paths": [{"path": c.shown, "valid": c.valid, "credentials": c.credentials,
                   "apps": c.apps} for c in checks],
        "problems": [_problem_json(p) for c in checks for p in _located(c)]
        + [{"file": c.shown, "line": None, "column": None, "code": NOT_FOUND,
            "message": c.missing} for c in checks if c.missing is not None],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def github_annotations(problems: Iterable[Problem]) -> list[str]:
    """One ``::error file=F,line=L,col=C,title=...::message`` line per problem."""
    return [workflow_command("error", {"file": p.location.file, "line": p.location.line,
                                       "col": p.location.column,
                                       "title": f"{ANNOTATION_TITLE} ({p.code})"}, p.message)
            for p in problems]


def codequality_json(checks: Sequence[PathCheck]) -> str:
    """GitLab's Code Quality report (a JSON list of issues) of every located problem."""
    issues = [_issue(p) for check in checks for p in _located(check)]
    return json.dumps(issues, indent=2, ensure_ascii=False)


def _located(check: PathCheck) -> tuple[Problem, ...]:
    return check.problems


def _problem_json(problem: Problem) -> dict[str, Any]:
    where = problem.location
    return {"file": where.file, "line": where.line, "column": where.column,
            "code": problem.code, "message": problem.message}


def _issue(problem: Problem) -> dict[str, Any]:
    where = problem.location
    identity = "\0".join((where.file, str(where.line), str(where.column), problem.code,
                          problem.message))
    return {
        "description": problem.message,
        "check_name": f"spprov/{problem.code}",
        "fingerprint": hashlib.sha256(identity.encode("utf-8")).hexdigest(),
        "severity": "major",
        "location": {"path": where.file, "lines": {"begin": where.line},
                     "positions": {"begin": {"line": where.line, "column": where.column}}},
    }
