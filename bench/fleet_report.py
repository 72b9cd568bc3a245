"""The fleet report at 10,000 credentials: `spprov report` end to end on a made-up fleet
(no repository: this measures the rendering, the part that grows with the fleet).

    python bench/fleet_report.py [CREDENTIALS]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fleet import sample_health  # noqa: E402 - needs the repository root on sys.path
from spprov.render.report.html import report_html  # noqa: E402
from spprov.render.report.ics import report_ics  # noqa: E402


def measure(credentials: int, repeats: int = 3) -> dict[str, float]:
    """Best-of-``repeats`` seconds for the HTML page and for the calendar."""
    health = sample_health(credentials, datetime(2026, 12, 3, tzinfo=UTC))
    best = {"html": float("inf"), "ics": float("inf")}
    for _ in range(repeats):
        start = time.perf_counter()
        page = report_html(health)
        best["html"] = min(best["html"], time.perf_counter() - start)
        start = time.perf_counter()
        calendar = report_ics(health)
        best["ics"] = min(best["ics"], time.perf_counter() - start)
    best["html_bytes"], best["ics_bytes"] = len(page), len(calendar)
    return best


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    figures = measure(count)
    print(f"{count} credentials: HTML {figures['html']:.3f} s ({figures['html_bytes']:.0f} "
          f"bytes), ICS {figures['ics']:.3f} s ({figures['ics_bytes']:.0f} bytes)")
