"""The floor for validate/plan: parse credentials.yaml and every state file with PyYAML's C loader.

``python bench/floor.py REPO`` parses; ``python bench/floor.py --startup`` only imports, so
its time is the start-up to subtract.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def parse_all(repo: Path) -> int:
    """Parse every file spprov reads for a plan; the number of documents parsed."""
    paths = [repo / "credentials.yaml", *sorted((repo / "state" / "credentials").iterdir())]
    for path in paths:
        yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # noqa: S506
    return len(paths)


if __name__ == "__main__":
    if sys.argv[1:] != ["--startup"]:
        print(parse_all(Path(sys.argv[1])))
