"""`make demo` (examples/demo.sh): runs end to end; bold headings only on a terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.fixtures_cli import clean_env
from tests.pty_run import drain

DEMO = Path(__file__).parents[2] / "examples" / "demo.sh"
BOLD = "\x1b[1m==> Start the Amazon emulator"
COLOUR = re.compile("\x1b\\[[0-9;]*m")  # SGR: bold, colours, reset


def _env(home: Path, **extra: str | None) -> dict[str, str]:
    env = clean_env(home, extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _piped(home: Path) -> str:
    result = subprocess.run(["bash", str(DEMO)], env=_env(home), capture_output=True,
                            text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _on_terminal(home: Path, no_color: str | None) -> str:
    main, secondary = os.openpty()
    output: list[str] = []
    # Read while the demo runs: a full pty buffer would stop it.
    reader = threading.Thread(target=lambda: output.append(drain(main)))
    reader.start()
    try:
        completed = subprocess.run(["bash", str(DEMO)], env=_env(home, NO_COLOR=no_color),
                                   stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary,
                                   timeout=180, check=False)
    finally:
        os.close(secondary)
        reader.join(30)
    assert completed.returncode == 0, output
    return output[0]


@pytest.mark.slow
def test_demo_is_bold_only_on_a_terminal_without_no_color(tmp_path: Path) -> None:
    # One test, three runs in turn: the demo app's redirect URI has one fixed port.
    piped = _piped(tmp_path)
    assert "\x1b" not in piped
    assert "\n==> Done: the demo repository was at " in piped
    assert BOLD in _on_terminal(tmp_path, None)
    no_color = _on_terminal(tmp_path, "1")
    assert COLOUR.search(no_color) is None  # (spprov's progress line still clears itself)
    assert "\n==> Start the Amazon emulator" in no_color.replace("\r\n", "\n")
