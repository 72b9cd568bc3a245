"""`spprov explain CODE`: what an error on Amazon's consent page means and what to do."""

from __future__ import annotations

import click

from spprov.amazon.consenterrors import CONSENT_ERRORS, explain
from spprov.errors import UsageError


@click.command("explain")
@click.argument("error", nargs=-1, required=True)
def command(error: tuple[str, ...]) -> None:
    """Explain an error Amazon's consent page showed, e.g. MD5101 or "OAuth limit reached".

    Known: MD1000, MD5101, MD5110, MD9010 and "OAuth limit reached" (Amazon's
    Authorization Errors page and its authorization limits).
    """
    text = " ".join(error)
    shown = explain(text)
    if shown is None:
        known = ", ".join(f'"{e.code}"' if " " in e.code else e.code for e in CONSENT_ERRORS)
        raise UsageError(f"{text[:40]!r} is not an error code of Amazon's consent page "
                         f"(known: {known})")
    click.echo(shown)
