"""`make bench`: run every benchmark, print the figures, write docs/benchmarks.md.

``python bench/run.py --quick`` runs small sizes only and writes nothing (a smoke test).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reading, report, scenarios  # noqa: E402 - needs the repository root on sys.path
from bench.measure import machine, sops_counter  # noqa: E402
from spprov.emulator.server import Emulator  # noqa: E402

FULL = {"scale": [100, 1_000, 10_000], "refresh": 1_000, "latencies": [0, 50, 200],
        "apply": 20, "repeats": 3, "reading": [1_000, 10_000]}
QUICK = {"scale": [100], "refresh": 50, "latencies": [0, 50], "apply": 3, "repeats": 1,
         "reading": [50]}


def run_all(sizes: dict[str, Any], work: Path) -> dict[str, Any]:
    """Every scenario against one emulator; the figures as one document."""
    counter = sops_counter(work / "sops")
    results: dict[str, Any] = {"machine": machine()}
    with Emulator("127.0.0.1", 0, auto_approve=True) as emulator:
        scenarios.register_app(emulator)
        results["reading"] = _reading(sizes, emulator, counter)
        results["scale"] = [_timed(f"scale {n}", scenarios.scale, n, work, emulator, counter,
                                   sizes["repeats"]) for n in sizes["scale"]]
        results["refresh"] = _timed("plan --refresh", scenarios.refresh, sizes["refresh"],
                                    sizes["latencies"], work, emulator, counter)
        results["apply"] = _timed("apply", scenarios.apply_new, sizes["apply"], work, emulator,
                                  counter)
    return results


def _reading(sizes: dict[str, Any], emulator: Any, counter: Any) -> dict[str, Any]:
    """Issue 14's figures: verify and plan --refresh at each size, token."""
    counts = sizes["reading"]
    return {
        "verify": [_timed(f"verify {n}", reading.verify, n, emulator, counter) for n in counts],
        "refresh": [_timed(f"plan --refresh {n} at 100 ms", reading.refresh, n, emulator,
                           counter) for n in counts],
        "token": _timed("token", reading.token, emulator, counter, 5, counts[0]),
    }


def _timed(label: str, scenario: Any, *args: Any) -> Any:
    print(f"bench: {label} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = scenario(*args)
    print(f"bench: {label} done in {time.perf_counter() - started:.1f} s", file=sys.stderr,
          flush=True)
    return result


def main(argv: list[str]) -> int:
    """Run, print, and (unless --quick) write docs/benchmarks.md and bench/.cache/last.json."""
    quick = "--quick" in argv
    with tempfile.TemporaryDirectory(prefix="spprov-bench-") as folder:
        results = run_all(QUICK if quick else FULL, Path(folder))
    text = report.figures(results)
    print(text)
    if not quick:
        report.write(ROOT / "docs" / "benchmarks.md", text)
        cache = ROOT / "bench" / ".cache"
        cache.mkdir(exist_ok=True)
        (cache / "last.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
