"""Issue 12, lower item: names and values from repository files are escaped when printed.

An orphan's name comes from a state file name (any bytes but '/'), its description from
the file's readable fields; a declaration file's name starts its error lines. Each is
planted by a "pull request" and the real CLI's text, Markdown and error output checked:
no control character reaches the terminal, no line starts a GitHub workflow command, and
the Markdown plan's structure (<summary>, blank lines, tables) holds.
"""

from __future__ import annotations

import re

import yaml

from tests.fixtures_gitops import US, GitOps

HOSTILE = "evil\x1b]0;pwned\x07\r\n\n::error::forged<b>x<i>|cell"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plant_orphan(gitops: GitOps) -> str:
    """Authorize acme-us, then copy its state file under a hostile name (readable fields
    only are read by plan, so the broken MAC does not matter here)."""
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    text = gitops.state_file("acme-us").read_text()
    fields, rest = text.split("\nsops:", 1)
    document = yaml.safe_load(fields)
    document["name"] = HOSTILE
    document["description"] = "</summary>\n\n<script>alert(1)</script>\n::warning::x"
    target = gitops.state_file("acme-us").with_name(f"{HOSTILE}.sops.yaml")
    target.write_text(yaml.safe_dump(document, sort_keys=False) + "sops:" + rest)
    return HOSTILE


def _no_workflow_command(output: str) -> None:
    assert not [line for line in output.splitlines() if line.lstrip().startswith("::")]


def test_an_orphan_with_a_hostile_name_cannot_drive_the_terminal_or_the_log(
        gitops: GitOps) -> None:
    _plant_orphan(gitops)
    for args in (("plan",), ("status",), ("apply", "--yes", "--prune")):
        result = gitops.run(*args)
        assert not CONTROL.search(result.output), (args, result.output)
        _no_workflow_command(result.output)
        assert "evil\\x1b]0;pwned\\x07\\r\\n\\n:" in result.output


def test_an_orphan_cannot_break_out_of_the_markdown_plan(gitops: GitOps) -> None:
    _plant_orphan(gitops)
    result = gitops.run("plan", "--markdown")
    assert result.code == 0, result.stderr
    markdown = result.stdout
    assert not CONTROL.search(markdown)
    _no_workflow_command(markdown)
    # No HTML tag but the format's own; a value's '<' is escaped (\\< or &lt;).
    assert not re.search(r"(?<!\\)<(?!/?(details|summary)>)", markdown)
    [summary] = [line for line in markdown.splitlines() if line.startswith("<details>")]
    assert summary == ("<details><summary>evil\\x1b]0;pwned\\x07\\r\\n\\n::error::"
                       "forged&lt;b&gt;x&lt;i&gt;|cell: delete</summary>")
    [row] = [line for line in markdown.splitlines() if line.startswith("| evil")]
    assert row.count(" | ") == 3  # the name's '|' is escaped, the row keeps its 4 cells
    # Between <details> and </details> the only blank lines are the two the format puts.
    block = markdown.split("<details>", 1)[1].split("</details>", 1)[0]
    assert block.count("\n\n") == 2


def test_a_file_name_cannot_start_a_workflow_command_in_an_error(gitops: GitOps) -> None:
    (gitops.repo / "credentials.yaml").unlink(missing_ok=True)
    (gitops.repo / "::add-mask::x.yaml").write_text("[]\n")
    result = gitops.run("--config", "::add-mask::x.yaml", "validate")
    assert result.code == 1
    _no_workflow_command(result.output)
    assert result.stderr == (":\u200b:add-mask::x.yaml:1:1: the top level is a list; a "
                             "credential file is a mapping that starts with 'version: 1'\n")
