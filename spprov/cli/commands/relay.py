"""`spprov relay serve`: the relay sellers' invitation links open, until SIGTERM."""

from __future__ import annotations

from pathlib import Path

import click

from spprov.cli.workspace import current
from spprov.errors import ExitCode


@click.group("relay")
def command() -> None:
    """The relay at an app's https redirect URI, through which invited sellers consent."""


@command.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--public-url", metavar="URL",
              help="The https base URL sellers and Amazon reach (behind a TLS proxy); "
                   "default http://HOST:PORT, allowed on loopback only.")
@click.option("--db", "db", default="spprov-relay.sqlite3", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite database (created when missing).")
@click.pass_context
@click.option("--rate-limit", default=120.0, show_default=True, type=click.FloatRange(0),
              metavar="PER_MINUTE", help="Public page requests per minute per address "
                                         "(0: no limit).")
def serve(ctx: click.Context, host: str, port: int, public_url: str | None, db: Path,
          rate_limit: float) -> ExitCode:
    """Serve the relay; prints its base URL on the first line of stdout.

    The admin API takes the token in SPPROV_RELAY_TOKEN; each app's client secret comes
    from SPPROV_APP_<APP>_CLIENT_SECRET.
    """
    from spprov.relay.server import ServeOptions
    from spprov.relay.server import serve as run

    run(ServeOptions(host, port, public_url, db, rate_limit), current(ctx).environ)
    return ExitCode.OK
