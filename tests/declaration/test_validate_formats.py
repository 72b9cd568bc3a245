"""`validate --json`, GitHub workflow annotations and GitLab's Code Quality report: the same
problems as the text lines, for machines."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from spprov.errors import Location, Problem
from spprov.escape import workflow_command
from spprov.render.problems import github_annotations
from tests.declaration.test_validate import BAD_INPUTS, EXPECTED
from tests.fixtures_cli import RunSpprov

DOCS = Path(__file__).parents[2] / "docs" / "credentials.md"
NAMES = sorted({name for name, _ in EXPECTED})


def documented_codes() -> set[str]:
    """The codes listed in docs/credentials.md's table of problem codes."""
    section = DOCS.read_text().split("## Problem codes", 1)[1]
    return set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.MULTILINE))


def test_json_has_every_problem_with_file_line_column_code(spprov: RunSpprov,
                                                             tmp_path: Path) -> None:
    corpus = tmp_path / "bad_inputs"
    shutil.copytree(BAD_INPUTS, corpus)
    result = spprov("validate", "--json", *NAMES, cwd=corpus)
    assert (result.code, result.stderr) == (1, "")
    document = json.loads(result.stdout)
    assert (document["format_version"], document["valid"]) == (1, False)
    problems = document["problems"]
    assert [f"{p['file']}:{p['line']}:{p['column']}: {p['message']}" for p in problems] == [
        line for _, line in EXPECTED]
    assert {p["code"] for p in problems} <= documented_codes()
    # Each kind of mistake has its own code, not one catch-all.
    assert {"yaml-syntax", "unknown-key", "missing-key", "unknown-app", "duplicate-credential",
            "not-utf-8", "unreadable-file", "consent-pairing", "template"} <= {
        p["code"] for p in problems}
    assert all(not path["valid"] for path in document["paths"])


def test_json_of_a_valid_and_a_missing_path(spprov: RunSpprov, tmp_path: Path) -> None:
    shutil.copy(Path(__file__).parents[2] / "examples" / "credentials.yaml", tmp_path)
    result = spprov("validate", "--json", "credentials.yaml", "nope.yaml", cwd=tmp_path)
    assert result.code == 1
    assert json.loads(result.stdout) == {
        "format_version": 1, "valid": False,
        "paths": [{"path": "credentials.yaml", "valid": True, "credentials": 3, "apps": 1},
                  {"path": "nope.yaml", "valid": False, "credentials": 0, "apps": 0}],
        "problems": [{"file": "nope.yaml", "line": None, "column": None, "code": "not-found",
                      "message": "nope.yaml: no such file or folder"}]}
    valid = spprov("validate", "--json", "credentials.yaml", cwd=tmp_path)
    assert valid.code == 0
    assert json.loads(valid.stdout)["problems"] == []


def test_annotations_only_on_a_github_runner(spprov: RunSpprov) -> None:
    name = "unknown_key.yaml"
    (line,) = [text for key, text in EXPECTED if key == name]
    plain = spprov("-C", str(BAD_INPUTS), "validate", name)
    assert plain.stderr == line + "\n"
    runner = spprov("-C", str(BAD_INPUTS), "validate", name, env={"GITHUB_ACTIONS": "true"})
    assert runner.code == 1
    where, message = line.split(": ", 1)
    file, row, column = where.split(":")
    assert runner.stderr.splitlines() == [
        line, f"::error file={file},line={row},col={column},title=spprov (unknown-key)::"
              f"{message}"]


def test_plan_annotates_declaration_problems_too(spprov: RunSpprov, tmp_path: Path) -> None:
    shutil.copy(BAD_INPUTS / "unknown_key.yaml", tmp_path / "credentials.yaml")
    result = spprov("plan", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "::error file=credentials.yaml,line=")


def test_annotation_values_are_escaped_as_the_runner_requires() -> None:
    problem = Problem(Location("a,b:c%.yaml", 3, 7), "100% wrong:\r\nbad, really", "odd")
    (line,) = github_annotations([problem])
    # Properties: %, CR, LF, ':' and ','; the message: %, CR and LF (control characters
    # are first shown as escapes, so the message stays on one line).
    assert line == ("::error file=a%2Cb%3Ac%25.yaml,line=3,col=7,title=spprov (odd)::"
                    "100%25 wrong:\\r\\nbad, really")
    assert "\n" not in line and "\r" not in line
    assert workflow_command("warning", {"title": "x\ny"}, "a\rb") == (
        "::warning title=x\\ny::a\\rb")


def test_a_hostile_message_cannot_start_a_second_command(spprov: RunSpprov,
                                                           tmp_path: Path) -> None:
    (tmp_path / "credentials.yaml").write_text(
        "version: 1\n'\\n::add-mask::x\\n##[error]y': 1\n")
    result = spprov("validate", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.code == 1
    commands = [line for line in result.stderr.splitlines() if line.startswith(("::", "##["))]
    assert commands and all(line.startswith("::error file=credentials.yaml,") for line in
                            commands)


def test_gitlab_code_quality_report(spprov: RunSpprov, tmp_path: Path) -> None:
    corpus = tmp_path / "bad_inputs"
    shutil.copytree(BAD_INPUTS, corpus)
    result = spprov("validate", "--format", "gitlab-codequality", "gl-code-quality.json",
                    *NAMES, cwd=corpus)
    assert result.code == 1
    assert result.stderr.splitlines() == [line for _, line in EXPECTED]  # text as without
    issues = json.loads((corpus / "gl-code-quality.json").read_text())
    assert len(issues) == len(EXPECTED)
    first = issues[0]
    assert set(first) == {"description", "check_name", "fingerprint", "severity", "location"}
    assert [f"{i['location']['path']}:{i['location']['lines']['begin']}:"
            f"{i['location']['positions']['begin']['column']}: {i['description']}"
            for i in issues] == [line for _, line in EXPECTED]
    assert {i["severity"] for i in issues} == {"major"}
    assert all(i["check_name"].startswith("spprov/") for i in issues)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    # A valid declaration writes an empty report (GitLab then shows no finding).
    shutil.copy(Path(__file__).parents[2] / "examples" / "credentials.yaml", tmp_path)
    valid = spprov("validate", "--format", "gitlab-codequality", "cq.json", cwd=tmp_path)
    assert valid.code == 0
    assert json.loads((tmp_path / "cq.json").read_text()) == []


def test_code_quality_report_is_not_written_through_a_link(spprov: RunSpprov,
                                                           tmp_path: Path) -> None:
    shutil.copy(Path(__file__).parents[2] / "examples" / "credentials.yaml", tmp_path)
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "cq.json").symlink_to(target)
    result = spprov("validate", "--format", "gitlab-codequality", "cq.json", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr.startswith("spprov: cq.json: is a symbolic link")
    assert target.read_text() == "keep"
