"""Issue 12, attack 8 and the template lower items: a template from a pull request.

The CI job that validates a pull request holds deploy keys and tokens in its environment;
a template must not read them, and must not hang or crash the job. Every case runs the
real CLI on a template file and checks the exit code and the exact FILE:LINE line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures_cli import RunSpprov

CI_SECRETS = {"DEPLOY_KEY": "ssh-ed25519-private-deploy-key-value",
              "CI_JOB_JWT_V2": "eyJhbGciOiJSUzI1NiJ9.ci-job-jwt-value",
              "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE42"}
APP = ("version: 1\napps:\n  acme:\n    application_id: {{ env('%s') }}\n"
       "    client_id: amzn1.application-oa2-client.a\n"
       "    redirect_uri: https://auth.example.com/cb\n")


def _template(repo: Path, text: str) -> None:
    (repo / "credentials").mkdir(exist_ok=True)
    (repo / "credentials" / "all.yaml.j2").write_text(text)


@pytest.mark.parametrize("variable", sorted(CI_SECRETS))
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_a_template_cannot_read_ci_variables(spprov: RunSpprov, tmp_path: Path,
                                             variable: str, command: str) -> None:
    _template(tmp_path, APP % variable)
    result = spprov(command, cwd=tmp_path, env=CI_SECRETS)
    assert result.code == 1
    assert result.stderr == (
        f"credentials/all.yaml.j2:4:1: env('{variable}'): templates read only variables the "
        f"repository owner allowed; name it SPPROV_VAR_{variable}, or allow it with `spprov "
        f"--template-env {variable}` or SPPROV_TEMPLATE_ENV={variable} (not in the "
        "repository)\n")
    assert not any(value in result.output for value in CI_SECRETS.values())


def test_the_owner_allows_variables_outside_the_repository(spprov: RunSpprov,
                                                           tmp_path: Path) -> None:
    value = {"ACME_APP_ID": "amzn1.sp.solution.x", "SPPROV_VAR_APP": "amzn1.sp.solution.y"}
    _template(tmp_path, APP % "ACME_APP_ID")
    by_option = spprov("--template-env", "ACME_APP_ID", "validate", cwd=tmp_path, env=value)
    by_list = spprov("validate", cwd=tmp_path,
                     env={**value, "SPPROV_TEMPLATE_ENV": "OTHER,ACME_APP_ID"})
    assert (by_option.code, by_list.code) == (0, 0), by_option.stderr + by_list.stderr
    _template(tmp_path, APP % "SPPROV_VAR_APP")
    assert spprov("validate", cwd=tmp_path, env=value).code == 0


def test_an_allowed_variable_holding_a_secret_is_still_refused(spprov: RunSpprov,
                                                              tmp_path: Path) -> None:
    _template(tmp_path, APP % "SPPROV_VAR_APP")
    result = spprov("render", "credentials/all.yaml.j2", cwd=tmp_path,
                    env={"SPPROV_VAR_APP": "Atzr|IwEBIA-a-refresh-token"})
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == ("credentials/all.yaml.j2:4:1: env('SPPROV_VAR_APP'): the value "
                             "looks like a secret; secrets never go in credential files\n")


@pytest.mark.parametrize(("body", "line", "message"), [
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% for c in range(100000) %}"
     "{% endfor %}{% endfor %}{% endfor %}", 2,
     "template error: rendering took longer than 2 seconds; a template must describe "
     "credentials, not compute"),
    ("{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}", 2,
     "template error: recursion too deep (a macro that calls itself?)"),
    ("{{ " + "9" * 5000 + " }}", 2, "template syntax error: a number with more than 4300 "
                                   "digits"),
    ("{{ 'x' * 10 ** 9 }}", 2, "template error: text or a list longer than 10485760; a "
                               "template must describe credentials, not compute"),
    ("{{ 7 ** 100000 }}", 2, "template error: a number larger than 4096 bits; a template "
                             "must describe credentials, not compute"),
    ("{{ 'x'.ljust(10 ** 9) }}", 2, "template error: a number argument larger than 10485760; "
                                    "a template must describe credentials, not compute"),
    ("{{ lipsum(100000) }}", 2, "template error: 'lipsum' is undefined"),
])
def test_templates_that_hang_or_blow_up_end_in_one_file_line(
        spprov: RunSpprov, tmp_path: Path, body: str, line: int, message: str) -> None:
    _template(tmp_path, f"version: 1\n{body}\n")
    result = spprov("validate", cwd=tmp_path, timeout=60)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == f"credentials/all.yaml.j2:{line}:1: {message}\n"


def test_a_hostile_variable_name_is_cut_and_escaped(spprov: RunSpprov, tmp_path: Path) -> None:
    _template(tmp_path, "version: 1\n{{ env('\\x1b[2J' ~ 'A' * 1000000) }}\n")
    result = spprov("validate", cwd=tmp_path)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == (
        "credentials/all.yaml.j2:2:1: env('\\x1b[2J" + "A" * 56 + "'...): not a variable "
        "name (letters, digits and '_', at most 100 characters)\n")
