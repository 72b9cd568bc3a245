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
            "from spprov.cli.main import main; sys.exit(main(['init']))")
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


def test_spprov_finds_the_repository_root_from_a_subfolder(gitops) -> None:  # type: ignore[no-untyped-def]
    from tests.fixtures_gitops import US

    gitops.declare([{"name": "acme-us", **US}])
    inside = gitops.repo / "state" / "credentials"
    inside.mkdir(parents=True)
    (inside / "notes.txt").write_text("not a declaration\n")
    at_root = gitops.run("plan")
    below = gitops.run_spprov("plan", cwd=inside, env=gitops.env)
    assert at_root.code == below.code == 0, below.output
    assert below.stdout == at_root.stdout
    assert "+ create acme-us" in below.stdout


def test_a_folder_outside_any_repository_is_one_line(spprov: RunSpprov, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "sub").mkdir()
    result = spprov("plan", cwd=tmp_path / "sub")
    assert result.code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "credentials.yaml" in result.stderr and "Traceback" not in result.stderr


def test_directory_options_that_are_files_are_one_line(spprov: RunSpprov, tmp_path) -> None:  # type: ignore[no-untyped-def]
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    result = spprov("-C", str(afile), "validate")
    assert (result.code, result.stderr) == (1, f"spprov: -C {afile}: not a directory\n")
    (tmp_path / "credentials.yaml").write_text("version: 1\n")
    result = spprov("--state-dir", "afile", "status", cwd=tmp_path)
    assert (result.code, result.stderr) == (
        1, f"spprov: --state-dir afile: {afile} is not a directory; point --state-dir at the "
           "folder of the state files\n")


def test_an_internal_error_keeps_its_traceback_in_the_cache_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # No input is known to crash spprov (each such input would be a bug to fix), so the
    # bug is planted in this one process: the declaration loader raises a RuntimeError
    # while a secret sits in one of its local variables.
    import stat
    import subprocess
    import sys

    from tests.fixtures_cli import clean_env

    code = (
        "import spprov.declaration.loader as loader\n"
        "def broken(*args, **kwargs):\n"
        "    refresh_token = 'Atzr|MUST-NOT-BE-LOGGED'\n"
        "    raise RuntimeError('planted bug ' + str(len(refresh_token)))\n"
        "loader.load_desired = broken\n"
        "from spprov.cli.main import main\n"
        "import sys\n"
        "sys.exit(main(['-C', '.', '--lock-timeout', '1s', 'validate', 'A3SECRETISH']))\n")
    (tmp_path / "credentials.yaml").write_text("version: 1\n")
    env = clean_env(tmp_path, {"XDG_CACHE_HOME": str(tmp_path / "cache")})
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, env=env, check=False)
    log = tmp_path / "cache" / "spprov" / "spprov.log"
    assert result.returncode == 70
    assert result.stderr == ("spprov: internal error (RuntimeError); this is a bug: please "
                             f"report it with the traceback kept in {log}\n")
    text = log.read_text()
    assert "Traceback (most recent call last):" in text
    assert "RuntimeError: planted bug 23" in text
    # The command is named (not the first global option); its arguments are not written.
    assert "\ncommand: spprov validate\n" in text
    assert "A3SECRETISH" not in text
    assert "MUST-NOT-BE-LOGGED" not in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_missing_extra_names_packages_that_install_without_pypi() -> None:
    from spprov.cli.main import MissingDependencyError

    # spprov is not on PyPI: `pip install 'spprov[aws]'` would fail, the packages do not.
    assert str(MissingDependencyError("app", "boto3")) == (
        "`spprov app` needs the Python package 'boto3', which is not installed: reinstall "
        "spprov with its dependencies, or `pip install boto3` (what spprov's aws extra adds)")
    assert str(MissingDependencyError("relay", "uvicorn.server")).endswith(
        "`pip install starlette uvicorn` (what spprov's relay extra adds)")
