"""`spprov apply`: show the plan, confirm, carry it out."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import click

from spprov.amazon.authorize import DEFAULT_TIMEOUT_SECONDS, Authorizer
from spprov.cli.context import Context, non_interactive_env, stdin_is_terminal
from spprov.cli.options import concurrency_option, only_option, refresh_option
from spprov.cli.progress import Progress
from spprov.cli.workspace import Workspace, current, plan_for, utc_now, warn_about
from spprov.errors import ExitCode, UsageError
from spprov.model import Outcome, Plan
from spprov.reconcile import savedplan
from spprov.reconcile.apply import Applier, exit_code
from spprov.render.applyreport import apply_json, apply_markdown
from spprov.render.outcomes import interrupted_text, outcome_line, summary_line, waiting_text
from spprov.render.plan import plan_text
from spprov.render.saved import incomplete_refusal


@dataclass(frozen=True)
class ApplyRun:
    """How this apply was asked to run."""

    interactive: bool  # may start authorizations (not --non-interactive, not CI=true)
    terminal: bool  # a person can answer prompts and paste addresses
    yes: bool
    concurrency: int
    timeout: float
    report: str = "text"  # what stdout gets: "text", "json" or "markdown" (the rest: stderr)

    @property
    def to_stderr(self) -> bool:
        """Whether the plan and the progress lines go to stderr (stdout holds a document)."""
        return self.report != "text"


@click.command("apply")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--prune", is_flag=True, help="Delete state files that are no longer declared.")
@click.option("--non-interactive", is_flag=True,
              help="Start no authorization; list what waits for a person (also CI=true).")
@click.option("--authorization-timeout", type=click.FloatRange(1), default=DEFAULT_TIMEOUT_SECONDS,
              show_default=True, metavar="SECONDS", help="How long to wait for each consent.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a versioned JSON report on stdout (invitation links included).")
@click.option("--markdown", is_flag=True,
              help="Print a Markdown report on stdout (invitation links included).")
@only_option
@refresh_option
@concurrency_option
@click.argument("plan_file", required=False, metavar="[PLAN_FILE]")
@click.pass_context
def command(ctx: click.Context, yes: bool, prune: bool, non_interactive: bool,
            authorization_timeout: float, as_json: bool, markdown: bool,
            only: tuple[str, ...], refresh: bool, concurrency: int,
            plan_file: str | None) -> ExitCode:
    """Carry out the plan (or exactly the saved PLAN_FILE): authorize, update, delete."""
    if as_json and markdown:
        raise click.UsageError("choose one of --json and --markdown")
    workspace = current(ctx)
    saved = _saved_plan(workspace.context, plan_file, only, prune, refresh)
    run = ApplyRun(interactive=not (non_interactive or non_interactive_env(workspace.environ)),
                   terminal=stdin_is_terminal(), yes=yes or saved is not None,
                   concurrency=concurrency, timeout=authorization_timeout,
                   report="json" if as_json else "markdown" if markdown else "text")
    # Invalid files must leave no trace, not even a lock file: read them first.
    workspace.desired  # noqa: B018 - loads and validates the declaration
    with workspace.store.writer.lock():
        if saved is not None:
            plan = saved.replay(workspace.context, workspace.template_variables(),
                                workspace.desired, workspace.store.reader.read_all(),
                                workspace.store.files.stored_apps())
            if plan.has_failures():  # a plan made incomplete is not carried out in part
                raise UsageError(incomplete_refusal(saved.file, plan,
                                                    saved.options.replan(saved.file)))
        else:
            plan = plan_for(workspace, utc_now(), only, refresh, prune, concurrency)
        return _apply(workspace, plan, run)


def _apply(workspace: Workspace, plan: Plan, run: ApplyRun) -> ExitCode:
    warn_about(plan, workspace, plan.generated_at)
    click.echo(plan_text(plan, color=workspace.context.color), err=run.to_stderr)
    # A keys section alone is carried out by `spprov rekey`, not by apply.
    if not plan.pending() and not plan.has_failures():
        return _report(plan, None, ExitCode.OK, run)
    if plan.pending():
        # Applying a saved plan is the consent, as with `terraform apply PLANFILE`.
        _confirm(run.yes, run.interactive and run.terminal)
    progress = Progress.on_stderr(len(plan.pending()) + len(plan.orphans()), "applying",
                                  workspace.context.quiet)
    finished: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        finished.append(outcome)
        report_outcome(outcome, err=run.to_stderr)

    authorizer = _authorizer(workspace, run)
    applier = Applier(workspace.desired, workspace.store, workspace.client_secret,
                      authorizer, utc_now, progress.counting(report), run.concurrency,
                      collector=workspace.collector(run.concurrency),
                      inviter=workspace.inviter() if authorizer is None else None)
    try:
        outcomes = applier.apply(plan)
    except KeyboardInterrupt:
        click.echo(interrupted_text(plan, finished), err=True)
        raise
    return _report(plan, outcomes, exit_code(outcomes), run)


def _report(plan: Plan, outcomes: list[Outcome] | None, code: ExitCode,
            run: ApplyRun) -> ExitCode:
    """What waits for a person and the closing line (None: nothing was carried out); with
    --json or --markdown, the whole report as one document on stdout."""
    done = outcomes or []
    if run.report == "json":
        click.echo(apply_json(plan, done, code))
    elif run.report == "markdown":
        click.echo(apply_markdown(done))
    elif waiting := waiting_text(done):
        click.echo(waiting)
    if outcomes is not None:
        click.echo(summary_line(done), err=run.to_stderr)
    return code


def report_outcome(outcome: Outcome, err: bool = False) -> None:
    """Print an outcome's line as soon as it is known."""
    line = outcome_line(outcome)
    if line is not None:
        click.echo(line, err=err)


def _authorizer(workspace: Workspace, run: ApplyRun) -> Authorizer | None:
    """Who runs consents in this apply; None when no authorization may start."""
    if not run.interactive:
        return None
    return workspace.authorizer(can_paste=run.terminal, timeout=run.timeout)


def _confirm(yes: bool, can_ask: bool) -> None:
    if yes:
        return
    if not can_ask:
        raise UsageError("apply needs --yes when it cannot ask (no terminal, --non-interactive "
                         "or CI=true)")
    if not click.confirm("Carry out this plan?", default=False, err=True):
        click.echo("Apply cancelled.", err=True)
        raise click.exceptions.Exit(ExitCode.ERROR)


def _saved_plan(context: Context, plan_file: str | None, only: tuple[str, ...], prune: bool,
                refresh: bool) -> savedplan.SavedPlan | None:
    """The saved plan to apply, if one was named; it may ask for no option beyond the ones
    given here (`--only`, `--prune`, `--refresh` are its ceiling)."""
    if plan_file is None:
        return None
    path = context.here / plan_file
    if _is_declaration(path):
        raise UsageError(_declaration_given(context, plan_file, path))
    saved = savedplan.load(path, plan_file)
    savedplan.refuse_wider(saved, savedplan.Options(only, prune, refresh))
    return saved


def _is_declaration(path: Path) -> bool:
    """A credential file or folder given where a saved plan (JSON) is expected."""
    if path.is_dir():
        return True
    if not path.name.endswith((".yaml", ".yml", ".yaml.j2", ".yml.j2")) or not path.is_file():
        return False
    with path.open("rb") as stream:  # a saved plan named *.yaml is still JSON: '{'
        return not stream.read(4096).lstrip().startswith(b"{")


def _declaration_given(context: Context, plan_file: str, path: Path) -> str:
    what = "a credential folder" if path.is_dir() else "a credential file"
    if path.resolve() == context.config_path().resolve():
        run = f"run `spprov apply` (it reads {plan_file})"
    else:
        run = f"run `spprov --config {shlex.quote(plan_file)} apply`"
    return (f"{plan_file} is {what}, not a saved plan: {run}; a saved plan is the file "
            "`spprov plan --out FILE` writes")
