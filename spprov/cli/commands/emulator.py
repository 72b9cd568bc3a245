"""`spprov emulator`: the local Amazon emulator, until SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import click

from spprov.emulator.server import Emulator
from spprov.errors import ExitCode, UsageError


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, type=int,
              help="Port to listen on (0 picks a free one).")
@click.option("--auto-approve", is_flag=True,
              help="Approve consent pages at once instead of showing Approve/Deny.")
@click.option("--sqs-endpoint-url", envvar="SPPROV_SQS_ENDPOINT_URL", metavar="URL",
              help="Send notifications to this SQS endpoint (e.g. moto_server); default: "
                   "keep them for GET /_emulator/notifications only.")
def command(host: str, port: int, auto_approve: bool, sqs_endpoint_url: str | None) -> ExitCode:
    """Run the local Amazon emulator; prints its base URL on the first line of stdout."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        emulator = Emulator(host, port, auto_approve, sqs_endpoint_url).start()
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    try:
        click.echo(emulator.url)
        sys.stdout.flush()
        while not stopping.wait(0.25):
            pass
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return ExitCode.OK
