"""The fleet report as a person sees it: headless Chromium (scripts off, no network) opens
the page of 10 and of 1,000 credentials and takes a full-page screenshot.

Set SPPROV_TEST_SCREENSHOTS=DIR to keep them (docs/status.md shows the ones in docs/)."""

from __future__ import annotations

import base64
import os
import shutil
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.fleet import sample_health
from spprov.render.report.html import report_html
from tests.chromium import CHROMIUM, Chromium

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="needs Chromium (Debian: apt-get install chromium; .ci/run installs it)")

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.parametrize("credentials", [10, 1_000])
def test_the_page_renders_with_scripts_off(credentials: int, tmp_path: Path) -> None:
    page = tmp_path / "fleet.html"
    page.write_text(report_html(sample_health(credentials, NOW)))
    with Chromium() as browser:
        browser.open(page.as_uri())
        shown = browser.html()
        size = browser.send("Page.getLayoutMetrics")["cssContentSize"]
        data = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})["data"]
    png = base64.b64decode(data)
    width, height = _png_size(png)
    # The page stays one screen wide and about as long at 1,000 as at 10 (the tables show
    # the first 25, the chart sums by week).
    assert 800 <= width <= 1200 and 600 <= height <= 2600, (width, height)
    # Chromium drew the chart: one bar per (week, app) with renewals, adding up to all.
    assert shown.count("<rect") >= 5
    renewals = sum(int(part.split('"', 1)[0]) for part in shown.split('data-renewals="')[1:])
    assert renewals == credentials
    assert shown.count("<tr data-credential=") == min(credentials, 25)
    assert "Expiring first" in shown and "Problems by kind" in shown
    keep = os.environ.get("SPPROV_TEST_SCREENSHOTS")
    if keep:
        target = Path(keep) / f"status-report-{credentials}.png"
        target.write_bytes(png)
        shutil.copystat(page, target)
