"""`spprov apply`: show the plan, confirm, carry it out."""

from __future__ import annotations

import click

from spprov.amazon.authorize import DEFAULT_TIMEOUT_SECONDS, Authorizer
from spprov.amazon.lwa import amazon_url_from_env
from spprov.cli import context as ctxmod
from spprov.cli.commands.options import concurrency_option, only_option, refresh_option
from spprov.cli.context import Context, non_interactive_env, stdin_is_terminal
from spprov.cli.progress import Progress
from spprov.cli.workspace import Workspace, plan_for, utc_now
from spprov.errors import UsageError
from spprov.reconcile import savedplan
from spprov.reconcile.advice import warn_about
from spprov.reconcile.apply import Applier, exit_code
from spprov.render.outcomes import report_outcome, summary_line, waiting_text
from spprov.render.plan import plan_text


@click.command("apply")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete state files that are no longer declared.")
@click.option("--non-interactive", is_flag=True,
              help="Start no authorization; list what waits for a person (also CI=true).")
@click.option("--authorization-timeout", type=click.FloatRange(1), default=DEFAULT_TIMEOUT_SECONDS,
              show_default=True, metavar="SECONDS", help="How long to wait for each consent.")
@only_option
@refresh_option
@concurrency_option
@click.argument("plan_file", required=False, metavar="[PLAN_FILE]")
@click.pass_context
def command(ctx: click.Context, yes: bool, prune: bool, non_interactive: bool,
            authorization_timeout: float, only: tuple[str, ...], refresh: bool,
            concurrency: int, plan_file: str | None) -> None:
    """Carry out the plan (or exactly the saved PLAN_FILE): authorize, update, delete."""
    context = ctxmod.get(ctx)
    saved = _saved_plan(context, plan_file, only, prune, refresh)
    interactive = not (non_interactive or non_interactive_env())
    terminal = stdin_is_terminal()
    workspace = Workspace(context)
    try:
        # Invalid files must leave no trace, not even a lock file: read them first.
        workspace.desired  # noqa: B018 - loads and validates the declaration
        with workspace.store.lock():
            code = _apply(context, workspace, interactive, terminal, yes, prune, only,
                          refresh, concurrency, authorization_timeout, saved=saved)
    finally:
        workspace.close()
    ctx.exit(code)


def _apply(context: Context, workspace: Workspace, interactive: bool, terminal: bool,
           yes: bool, prune: bool, only: tuple[str, ...], refresh: bool, concurrency: int,
           timeout: float, saved: savedplan.SavedPlan | None = None) -> int:
    if saved is not None:
        plan = saved.replay(workspace)
    else:
        plan = plan_for(workspace, utc_now(), only, refresh, prune, concurrency)
    warn_about(plan, workspace, plan.generated_at)
    click.echo(plan_text(plan, color=context.color))
    if not plan.has_changes():
        return 0
    # Applying a saved plan is the consent, as with `terraform apply PLANFILE`.
    _confirm(yes or saved is not None, interactive and terminal)
    authorizer = None
    if interactive:
        authorizer = Authorizer(
            lwa=workspace.lwa(), amazon_url=amazon_url_from_env(), can_paste=terminal,
            announce=lambda text: click.echo(text, err=True),
            prompt=lambda text: str(click.prompt(text, err=True)), timeout=timeout)
    progress = Progress.on_stderr(len(plan.pending()) + len(plan.orphans()), "applying",
                                  context.quiet)
    applier = Applier(workspace.desired, workspace.store, workspace.client_secret, authorizer,
                      utc_now, progress.counting(report_outcome), concurrency)
    outcomes = applier.apply(plan)
    waiting = waiting_text(outcomes)
    if waiting:
        click.echo(waiting)
    click.echo(summary_line(outcomes))
    return exit_code(outcomes)


def _confirm(yes: bool, can_ask: bool) -> None:
    if yes:
        return
    if not can_ask:
        raise UsageError("apply needs --yes when it cannot ask (no terminal, --non-interactive "
                         "or CI=true)")
    if not click.confirm("Carry out this plan?", default=False, err=True):
        raise click.exceptions.Exit(1)


def _saved_plan(context: Context, plan_file: str | None, only: tuple[str, ...], prune: bool,
                refresh: bool) -> savedplan.SavedPlan | None:
    """The saved plan to apply, if one was named; it carries its own options."""
    if plan_file is None:
        return None
    given = [name for name, value in (("--only", only), ("--prune", prune),
                                      ("--refresh", refresh)) if value]
    if given:
        raise UsageError(f"{given[0]} cannot be combined with a saved plan: it was made with "
                         "its own options (make a new one with `spprov plan --out FILE`)")
    return savedplan.load(context.directory / plan_file, plan_file)
