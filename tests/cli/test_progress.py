"""The progress line: on a terminal only, never with -q, erased when done."""

from __future__ import annotations

import io

from spprov.cli.progress import Progress
from tests.fixtures_gitops import US, GitOps
from tests.pty_run import run_with_pty_stdout


def test_progress_redraws_and_erases() -> None:
    stream = io.StringIO()
    progress = Progress(3, "checking tokens", stream)
    progress.advance()
    progress.advance()
    assert stream.getvalue() == "\r[1/3] checking tokens\r[2/3] checking tokens"
    progress.advance()  # the last item erases the line
    assert stream.getvalue().endswith("\r" + " " * 21 + "\r")


def test_counting_erases_the_line_while_reporting() -> None:
    stream = io.StringIO()
    progress = Progress(2, "applying", stream)
    seen = []
    report = progress.counting(lambda item: seen.append((item, stream.getvalue())))
    report("a")
    report("b")
    assert seen == [("a", ""), ("b", "\r[1/2] applying\r" + " " * 14 + "\r")]
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
    assert "\r[1/2] checking tokens" in on_terminal.terminal
    quiet = run_with_pty_stdout(gitops, "-q", "status", "--refresh", stderr_pty=True)
    assert "checking tokens" not in quiet.terminal
    piped = gitops.run("status", "--refresh")
    assert piped.stderr == ""
