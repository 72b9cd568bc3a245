"""`main(argv, environ)`: the environment a caller passes is the only one spprov reads, and
one run leaves nothing behind for the next in the same process."""

from __future__ import annotations

from pathlib import Path

import pytest

from spprov.cli.main import main

TEMPLATE = ("version: 1\napps:\n  acme:\n    application_id: {{ env('ACME_APP_ID') }}\n"
            "    client_id: amzn1.application-oa2-client.a\n"
            "    redirect_uri: https://auth.example.com/cb\n")


@pytest.fixture
def templated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "credentials").mkdir()
    (tmp_path / "credentials" / "all.yaml.j2").write_text(TEMPLATE)
    # The process has the variable allowed and set: a run given its own environment must
    # not see either.
    monkeypatch.setenv("SPPROV_TEMPLATE_ENV", "ACME_APP_ID")
    monkeypatch.setenv("ACME_APP_ID", "amzn1.sp.solution.from-the-process")
    return tmp_path


def test_templates_read_the_environment_main_is_given(
        templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = {"SPPROV_TEMPLATE_ENV": "ACME_APP_ID", "ACME_APP_ID": "amzn1.sp.solution.given"}
    assert main(["-C", str(templated), "validate"], environ=given) == 0
    assert capsys.readouterr().out == "valid: 0 credentials, 1 app (credentials/)\n"
    assert main(["-C", str(templated), "render", "credentials/all.yaml.j2"],
                environ=given) == 0
    assert "application_id: amzn1.sp.solution.given\n" in capsys.readouterr().out

    assert main(["-C", str(templated), "validate"], environ={}) == 1
    assert capsys.readouterr().err == (
        "credentials/all.yaml.j2:4:1: env('ACME_APP_ID'): templates read only variables the "
        "repository owner allowed; name it SPPROV_VAR_ACME_APP_ID, or allow it with "
        "`spprov --template-env ACME_APP_ID` or SPPROV_TEMPLATE_ENV=ACME_APP_ID (not in the "
        "repository)\n")


def test_template_env_allows_for_one_run_only(
        templated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"ACME_APP_ID": "amzn1.sp.solution.given"}
    assert main(["-C", str(templated), "--template-env", "ACME_APP_ID", "validate"],
                environ=environ) == 0
    # The allowance was this run's, not the process's.
    assert main(["-C", str(templated), "validate"], environ=environ) == 1
    assert "templates read only variables the repository owner allowed" in \
        capsys.readouterr().err


def test_exit_codes_are_returned_not_raised(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"], environ={}) == 0
    assert capsys.readouterr().out.startswith("spprov, version ")
    assert main(["-C", str(tmp_path / "missing"), "validate"], environ={}) == 1
    assert capsys.readouterr().err == f"spprov: -C {tmp_path / 'missing'}: no such directory\n"
    assert main(["no-such-command"], environ={}) == 1
