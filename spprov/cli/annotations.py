"""Declaration problems on stderr: one line each, and in GitHub Actions an annotation each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import click

from spprov.errors import Problem
from spprov.escape import log_line
from spprov.render.problems import github_annotations


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """True on a GitHub Actions runner, which sets GITHUB_ACTIONS=true for every step."""
    return environ.get("GITHUB_ACTIONS", "") == "true"


def echo_problems(problems: Sequence[Problem], environ: Mapping[str, str]) -> None:
    """``FILE:LINE:COL: message`` per problem; on a runner also ``::error file=...::``,
    which the pull request shows on the line of its diff."""
    for problem in problems:
        click.echo(log_line(str(problem)), err=True)
    if in_github_actions(environ):
        for line in github_annotations(problems):
            click.echo(line, err=True)
