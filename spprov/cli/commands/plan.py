"""`spprov plan`: what apply would do, as text, JSON or Markdown."""

from __future__ import annotations

import click

from spprov.cli import context as ctxmod
from spprov.cli.options import (
    base_option,
    concurrency_option,
    only_option,
    parse_time,
    refresh_option,
)
from spprov.cli.reviewbase import use_base
from spprov.cli.workspace import current, plan_for, utc_now, warn_about
from spprov.errors import ExitCode
from spprov.model import Plan
from spprov.reconcile import savedplan
from spprov.render.plan import plan_json, plan_markdown, plan_text
from spprov.render.saved import saved_line


@click.command("plan")
@click.option("--json", "as_json", is_flag=True, help="A versioned JSON document.")
@click.option("--markdown", is_flag=True, help="Markdown for a pull-request comment.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when changes are pending.")
@click.option("--at", "at", metavar="TIME", help="Plan as of this ISO 8601 time (expiries).")
@click.option("--prune", is_flag=True, help="Plan deletions of undeclared state files.")
@click.option("--out", metavar="FILE", help="Also save the plan for `spprov apply FILE`.")
@only_option
@refresh_option
@concurrency_option
@base_option
@click.pass_context
def command(ctx: click.Context, as_json: bool, markdown: bool, detailed_exitcode: bool,
            at: str | None, prune: bool, out: str | None, only: tuple[str, ...],
            refresh: bool, concurrency: int, base: str | None) -> ExitCode:
    """Show what `spprov apply` would change; no network or decryption without --refresh."""
    context = ctxmod.get(ctx)
    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    now = parse_time(at) if at else utc_now()
    if out and at:
        raise click.UsageError("--out saves a plan to apply now; it cannot be made --at TIME")
    # Taken before the files are read: a change in between makes the saved plan stale.
    workspace = current(ctx)
    use_base(workspace, base)  # the trust root from the pull request's base, if any
    prints = savedplan.fingerprint(context, workspace.template_variables()) if out else {}
    plan = plan_for(workspace, now, only, refresh, prune, concurrency)
    warn_about(plan, workspace, now)
    if out:
        _save(context, out, plan, savedplan.Options(only, prune, refresh), prints)
    if as_json:
        click.echo(plan_json(plan))
    elif markdown:
        click.echo(plan_markdown(plan))
    else:
        click.echo(plan_text(plan, color=context.color))
    if plan.has_failures():
        return ExitCode.ERROR  # an incomplete plan is never a success
    return ExitCode.CHANGES if detailed_exitcode and plan.has_changes() else ExitCode.OK


def _save(context: ctxmod.Context, out: str, plan: Plan, options: savedplan.Options,
          prints: dict[str, str]) -> None:
    savedplan.save(context.here / out, plan, options, prints)
    context.err(saved_line(out, plan, options.replan(out)))
