"""Jinja2 templates: env() is the only input, the sandbox holds, errors name template lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spprov.declaration.loader import ConfigError, load_desired, render_template
from spprov.declaration.templateenv import TemplateVariables
from spprov.declaration.templates import TemplateError, render_text
from tests.fixtures_cli import RunSpprov


def error(source: str) -> tuple[int, str]:
    with pytest.raises(TemplateError) as caught:
        render_text(source, TemplateVariables(os.environ))
    return caught.value.line, caught.value.message


def test_env_reads_variables_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPPROV_TEMPLATE_ENV", "ACME_REGION, ACME_MISSING")
    monkeypatch.setenv("ACME_REGION", "eu")
    monkeypatch.delenv("ACME_MISSING", raising=False)
    source = "{{ env('ACME_REGION') }} {{ env('ACME_MISSING', 'na') }}"
    assert render_text(source, TemplateVariables(os.environ)) == "eu na"


def test_unset_variable_names_it_and_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPPROV_TEMPLATE_ENV", "ACME_MISSING")
    monkeypatch.delenv("ACME_MISSING", raising=False)
    assert error("a\nb: {{ env('ACME_MISSING') }}") == (
        2, "env('ACME_MISSING'): environment variable ACME_MISSING is not set; set it, or give "
           "a default: env('ACME_MISSING', 'value')")


@pytest.mark.parametrize("name", ["SPPROV_APP_ACME_CLIENT_SECRET", "GITHUB_TOKEN", "DB_PASSWORD",
                                  "SOPS_AGE_KEY"])
def test_secret_variables_are_refused(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "amzn1.oa2-cs.v1.secret")
    line, message = error(f"{{{{ env('{name}') }}}}")
    assert line == 1
    assert message.startswith(f"env({name!r}): variables named like secrets")


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ ''.__class__.__mro__ }}",
     (1, "template error: access to attribute '__class__' of 'str' object is unsafe "
         "(templates run in a sandbox)")),
    ("x\n{{ env.__globals__ }}",
     (2, "template error: access to attribute '__globals__' of 'function' object is unsafe "
         "(templates run in a sandbox)")),
    ("a\nb\n{{ region }}", (3, "template error: 'region' is undefined")),
    ("{% for x in y %}", (1, "template syntax error: Unexpected end of template. Jinja was "
                             "looking for the following tags: 'endfor' or 'else'. The innermost "
                             "block that needs to be closed is 'for'.")),
    ("{% include 'other.yaml' %}",
     (1, "template error: include, import and extends are not available; a template is one "
         "file")),
    ("a\n{{ 1 // 0 }}", (2, "template error: ZeroDivisionError: integer division or modulo by "
                            "zero")),
])
def test_template_errors_are_one_line(source: str, expected: tuple[int, str]) -> None:
    assert error(source) == expected


def test_rendered_line_errors_say_so(tmp_path: Path) -> None:
    path = tmp_path / "eu.yaml.j2"
    path.write_text("version: 1\n{# a comment\nover lines #}\nx-a: 1\nbogus: 2\n")
    with pytest.raises(ConfigError) as caught:
        load_desired(path, lambda p: p.name)
    assert [str(p) for p in caught.value.problems] == [
        "eu.yaml.j2:1:1: (rendered line) the file declares neither apps nor credentials; "
        "write at least one of them",
        "eu.yaml.j2:4:1: (rendered line) unknown key 'bogus' at the top level"]


def test_plain_yaml_is_never_rendered(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nx-note: '{{ env(\"HOME\") }}'\n")
    assert render_template(path) == path.read_text()


def test_validate_template_through_cli(spprov: RunSpprov, tmp_path: Path) -> None:
    (tmp_path / "credentials").mkdir()
    (tmp_path / "credentials" / "all.yaml.j2").write_text(
        "version: 1\napps:\n  acme:\n    application_id: {{ env('ACME_APP_ID') }}\n"
        "    client_id: amzn1.application-oa2-client.a\n"
        "    redirect_uri: https://auth.example.com/cb\n")
    ok = spprov("--template-env", "ACME_APP_ID", "validate", cwd=tmp_path,
                env={"ACME_APP_ID": "amzn1.sp.solution.x"})
    assert (ok.code, ok.stdout) == (0, "valid: 0 credentials, 1 app (credentials/)\n")
    bad = spprov("--template-env", "ACME_APP_ID", "validate", cwd=tmp_path)
    assert bad.code == 1
    assert bad.stderr == (
        "credentials/all.yaml.j2:4:1: env('ACME_APP_ID'): environment variable ACME_APP_ID is "
        "not set; set it, or give a default: env('ACME_APP_ID', 'value')\n")
