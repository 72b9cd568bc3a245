"""The command line's global behaviour: version, usage errors, exit codes."""

from __future__ import annotations

from tests.fixtures_cli import RunSpprov


def test_version(spprov: RunSpprov) -> None:
    result = spprov("--version")
    assert result.code == 0
    assert result.stdout.strip() == "spprov, version 0.1.0"


def test_unknown_option_exits_1_not_2(spprov: RunSpprov) -> None:
    result = spprov("--no-such-option")
    assert result.code == 1
    assert "Error: No such option '--no-such-option'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_directory_is_one_clear_line(spprov: RunSpprov, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = spprov("-C", str(tmp_path / "nope"), "validate")
    assert result.code == 1
    assert result.stderr.strip() == f"spprov: -C {tmp_path / 'nope'}: no such directory"


def test_a_missing_dependency_is_named_not_reported_as_no_such_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Uninstalling pyrage from the test venv would break every other test running beside
    # this one, so the import is blocked in this one process instead: `sys.modules[name] =
    # None` makes `import pyrage` raise ModuleNotFoundError(name="pyrage"), as a missing
    # package does.
    import subprocess
    import sys

    from tests.fixtures_cli import clean_env

    code = ("import sys; sys.modules['pyrage'] = None; "
            "from spprov.cli.main import main; main(['init'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, env=clean_env(tmp_path), check=False)
    assert result.returncode == 1
    assert result.stderr == (
        "spprov: `spprov init` needs the Python package 'pyrage', which is not installed: "
        "reinstall spprov with its dependencies, or `pip install pyrage`\n")
    assert not (tmp_path / ".sops.yaml").exists()


def test_an_unknown_command_is_still_no_such_command(spprov: RunSpprov) -> None:
    result = spprov("no-such-command")
    assert result.code == 1
    assert "No such command 'no-such-command'" in result.stderr
