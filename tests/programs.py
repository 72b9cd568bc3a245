"""Programs spprov or a CI recipe starts by name, made cheap to start.

The emulator's ``BROWSER`` runs for every consent and a recipe step runs the ``spprov``
console script, each a real process. Most of a plain ``python -m`` start is the ``site``
module (scanning site-packages and the editable install's finder): these programs start
with ``python -IS`` and this test process's ``sys.path`` instead, and are otherwise what
they stand for (``runpy`` runs the module as ``-m`` would).
"""

from __future__ import annotations

import sys
from pathlib import Path

import spprov

_SOURCE_ROOT = str(Path(spprov.__file__).resolve().parent.parent)

_PROGRAM = """#!{python} -IS
# A test program from tests/programs.py: `python -m {module}`, started without `site`.
import runpy, sys
sys.path[:0] = {paths!r}
runpy.run_module({module!r}, run_name="__main__", alter_sys=True)
"""


def python_program(path: Path, module: str) -> Path:
    """Write an executable at ``path`` that runs as ``python -m MODULE "$@"`` would."""
    paths = [_SOURCE_ROOT, *(entry for entry in sys.path if entry and "site-packages" in entry)]
    path.write_text(_PROGRAM.format(python=sys.executable, module=module, paths=paths),
                    encoding="utf-8")
    path.chmod(0o755)
    return path


def python_script(path: Path, body: str) -> Path:
    """Write an executable at ``path`` that runs the Python ``body`` (with ``sys`` and
    ``os`` imported), started without ``site`` as the programs above are."""
    paths = [_SOURCE_ROOT, *(entry for entry in sys.path if entry and "site-packages" in entry)]
    path.write_text(f"#!{sys.executable} -IS\nimport os, sys\nsys.path[:0] = {paths!r}\n"
                    f"{body}", encoding="utf-8")
    path.chmod(0o755)
    return path
