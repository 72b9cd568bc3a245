"""The progress line: on a terminal only, never with -q, erased when done."""

from __future__ import annotations

import io
import re

from spprov.cli.progress import ERASE, Progress, erase_shown
from tests.fixtures_gitops import US, GitOps
from tests.pty_run import run_with_pty_stdout


def test_progress_redraws_and_erases() -> None:
    stream = io.StringIO()
    progress = Progress(3, "checking tokens", stream)
    progress.advance()
    progress.advance()
    assert stream.getvalue() == f"{ERASE}[1/3] checking tokens{ERASE}[2/3] checking tokens"
    progress.advance()  # the last item erases the line
    assert stream.getvalue().endswith(f"tokens{ERASE}")


def test_counting_erases_the_line_while_reporting() -> None:
    stream = io.StringIO()
    progress = Progress(2, "applying", stream)
    seen = []
    report = progress.counting(lambda item: seen.append((item, stream.getvalue())))
    report("a")
    report("b")
    assert seen == [("a", ""), ("b", f"{ERASE}[1/2] applying{ERASE}")]
    assert progress.done == 2


def test_disabled_progress_writes_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(2, "applying", stream, enabled=False)
    progress.advance()
    progress.finish()
    assert stream.getvalue() == "" and progress.done == 1


def test_status_refresh_shows_progress_only_on_a_terminal(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-ca", **US}])
    assert gitops.run("apply", "--yes").code == 0
    on_terminal = run_with_pty_stdout(gitops, "status", "--refresh", stderr_pty=True)
    assert on_terminal.code == 0, on_terminal.terminal
    assert f"{ERASE}[1/2] checking tokens{ERASE}" in on_terminal.terminal
    quiet = run_with_pty_stdout(gitops, "-q", "status", "--refresh", stderr_pty=True)
    assert "checking tokens" not in quiet.terminal
    piped = gitops.run("status", "--refresh")
    assert piped.stderr == ""


def test_other_output_erases_the_shown_line_first() -> None:
    stream = io.StringIO()
    progress = Progress(3, "checking tokens", stream)
    progress.advance()
    erase_shown()  # what the log handler and echo_err do before printing
    erase_shown()  # nothing shown any more: nothing written
    assert stream.getvalue() == f"{ERASE}[1/3] checking tokens{ERASE}"
    progress.advance()  # the next item draws the line again
    assert stream.getvalue().endswith(f"{ERASE}[2/3] checking tokens")


def test_consent_messages_do_not_land_on_the_progress_line(gitops: GitOps) -> None:
    # Three consents in one apply, stderr on a terminal: after the first outcome the line
    # "[1/3] applying" is shown when the second consent is announced.
    gitops.declare([{"name": "acme-a", **US}, {"name": "acme-b", **US}, {"name": "acme-c", **US}])
    shown = run_with_pty_stdout(gitops, "apply", "--yes", "--concurrency", "1", stderr_pty=True)
    assert shown.code == 0, shown.terminal
    assert "[1/3] applying" in shown.terminal
    # Every drawn line is erased before anything else is written.
    assert re.findall(r"\[\d/3\] applying(?!\r\x1b\[2K)", shown.terminal) == []
    assert "\x1b[2Kacme-b: opening the consent page in your browser:" in shown.terminal
