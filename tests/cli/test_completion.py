"""`spprov completion SHELL`: the script completes commands in a real bash."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures_cli import RunSpprov, clean_env

VENV_BIN = Path(sys.executable).parent


def test_bash_completes_commands_and_choices(spprov: RunSpprov, home: Path) -> None:
    script = spprov("completion", "bash")
    assert script.code == 0
    env = clean_env(home, {"PATH": f"{VENV_BIN}:{clean_env(home)['PATH']}"})

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c",
             f'{script.stdout}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
             '_spprov_completion spprov; printf "%s\\n" "${COMPREPLY[@]}"'],
            env=env, capture_output=True, text=True, check=True)
        return done.stdout.split()

    assert complete("spprov", "val") == ["validate"]
    assert {"show", "state", "report", "completion"} <= set(complete("spprov", "''"))
    assert complete("spprov", "completion", "f") == ["fish"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_call_spprov_back(spprov: RunSpprov, shell: str) -> None:
    result = spprov("completion", shell)
    assert result.code == 0
    assert f"_SPPROV_COMPLETE={shell}_complete" in result.stdout
    if shell == "zsh" and shutil.which("zsh"):
        subprocess.run(["zsh", "-n"], input=result.stdout, text=True, check=True)


def test_an_unknown_shell_is_a_usage_error(spprov: RunSpprov) -> None:
    result = spprov("completion", "tcsh")
    assert result.code == 1
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr
