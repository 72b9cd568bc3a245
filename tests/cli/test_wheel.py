"""The release: the wheel `make dist` builds installs into a clean venv and works from there.

The wheel is built from a copy of the checkout without network (no build isolation: the
build backend comes from the dev extra). It is installed with ``--no-index --no-deps`` into
a venv that sees nothing of this checkout; its dependencies (PyYAML, httpx, ...) come from
the project's .venv through a .pth line, because PyPI is not something a test may need.
That line adds the folder only: the .venv's own .pth files (the editable install of this
checkout) are not processed, and the test checks that spprov is imported from the wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from spprov.declaration.schema import schema_json
from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("spprov", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "CHANGELOG.md",
           "schemas")


def run(*args: str | Path, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=300)


def build_wheel(source: Path, out: Path) -> Path:
    """Build the wheel from a copy of the checkout in ``source`` (nothing written to it)."""
    source.mkdir(exist_ok=True)
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, source / name)
    built = run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out,
                source)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "SetuptoolsDeprecationWarning" not in built.stdout + built.stderr
    (found,) = out.glob("spprov-*-py3-none-any.whl")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv with only the wheel installed."""
    venv = tmp_path_factory.mktemp("venv")
    assert run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    done = run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
               "--no-index", "--no-deps", wheel)
    assert done.returncode == 0, done.stderr
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib.stdout.strip()) / "project-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_wheel_carries_the_schema_and_the_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read("spprov/data/credentials.schema.json").decode() == schema_json()
        metadata = archive.read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA").decode()
    assert "spprov/py.typed" in names
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert not [name for name in names if name.startswith("tests/")]


def test_version_is_the_wheels_version(wheel: Path, installed: Path, home: Path) -> None:
    version = wheel.name.split("-")[1]
    result = run(installed / "spprov", "--version", cwd=home, env=clean_env(home))
    assert (result.returncode, result.stdout) == (0, f"spprov, version {version}\n")
    # Not from the checkout (python -c puts its working folder first on sys.path: not here).
    origin = run(installed / "python", "-c", "import spprov; print(spprov.__file__)", cwd=home)
    assert origin.stdout.startswith(str(installed.parent)), origin.stdout


def test_init_and_validate_run_from_the_installed_wheel(installed: Path, home: Path,
                                                        tmp_path: Path) -> None:
    env = clean_env(home, {"PATH": f"{installed}:{clean_env(home)['PATH']}"})
    init = run("spprov", "init", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / ".spprov" / "credentials.schema.json").read_text() == schema_json()
    validate = run("spprov", "validate", cwd=tmp_path, env=env)
    assert (validate.returncode, validate.stdout) == (
        0, "valid: 1 credential, 1 app (credentials.yaml)\n")
    schema = run("spprov", "schema", cwd=tmp_path, env=env)
    assert schema.stdout == schema_json()


def test_apply_and_token_from_the_installed_wheel_against_the_emulator(
        installed: Path, gitops: GitOps, home: Path) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    env = clean_env(home, {**gitops.env, "PATH": f"{installed}:{clean_env(home)['PATH']}"})
    applied = run(installed / "spprov", "apply", "--yes", cwd=gitops.repo, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "sops:" in gitops.state_file("acme-us").read_text()
    token = run(installed / "spprov", "token", "acme-us", cwd=gitops.repo, env=env)
    assert (token.returncode, token.stdout[:5]) == (0, "Atza|")
    assert gitops.emulator.stats()["token"] >= 2  # the consent's code, then the refresh
