"""The command line: global options, the command list, and the one error boundary."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import click

from spprov import __version__
from spprov.cli.annotations import echo_problems
from spprov.cli.context import make_context
from spprov.cli.crashlog import write_crash_log
from spprov.cli.durations import Duration
from spprov.cli.progress import ErasingHandler
from spprov.cli.workspace import Workspace
from spprov.errors import ConfigError, ExitCode, SpprovError
from spprov.escape import log_lines

# name -> module under spprov.cli.commands exposing ``command``; imported only when used,
# so `spprov validate` does not pay for the emulator or httpx.
COMMANDS: dict[str, str] = {
    "init": "init",
    "validate": "validate",
    "render": "render",
    "plan": "plan",
    "apply": "apply",
    "authorize": "authorize",
    "status": "status",
    "token": "token",
    "export": "export",
    "app": "app",
    "verify": "verify",
    "rekey": "rekey",
    "keys": "keys",
    "emulator": "emulator",
    "relay": "relay",
    "invite": "invite",
    "check-secrets": "check_secrets",
    "schema": "schema",
    "explain": "explain",
    "completion": "completion",
    "show": "show",
    "state": "state",
    "report": "report",
}

# Packages that come with an extra of spprov's, and how to install them. spprov is not on
# PyPI yet, so `pip install 'spprov[relay]'` would fail: the advice names the packages the
# extra adds, which install into spprov's environment whichever way spprov came.
_RELAY = "starlette uvicorn` (what spprov's relay extra adds)"
EXTRAS = {"starlette": _RELAY, "uvicorn": _RELAY, "anyio": _RELAY,
          "boto3": "boto3` (what spprov's aws extra adds)"}


class MissingDependencyError(SpprovError):
    """A command's module needs a package that is not installed."""

    def __init__(self, command: str, package: str | None) -> None:
        name = (package or "a package").split(".")[0]
        install = EXTRAS.get(name, f"{name}`")
        super().__init__(f"`spprov {command}` needs the Python package {name!r}, which is not "
                         f"installed: reinstall spprov with its dependencies, or "
                         f"`pip install {install}")


@dataclass(frozen=True)
class Invocation:
    """What main() hands the command line: the environment and this run's command line."""

    environ: Mapping[str, str]
    command: str


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(
            name for name, module in COMMANDS.items()
            if importlib.util.find_spec(f"spprov.cli.commands.{module}") is not None
        )

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        qualified = f"spprov.cli.commands.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                # A dependency of the command is missing: say which, not "No such command".
                raise MissingDependencyError(cmd_name, exc.name) from exc
            return None
        command = getattr(module, "command", None)
        return command if isinstance(command, click.Command) else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", metavar="DIR", help="Work in DIR instead of the current folder.")
@click.option("--config", metavar="PATH",
              help="Credential file or folder [default: credentials.yaml, else credentials/].")
@click.option("--state-dir", metavar="DIR",
              help="Folder of the encrypted state files [default: state/ in the repository].")
@click.option("-v", "--verbose", "verbosity", count=True,
              help="More detail on stderr (repeatable); secrets stay redacted.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
@click.option("--template-env", "template_env", multiple=True, metavar="NAME",
              help="Let env() in *.j2 templates read NAME (repeatable; SPPROV_VAR_* always "
                   "allowed; also SPPROV_TEMPLATE_ENV=NAME1,NAME2).")
@click.option("--lock-timeout", type=Duration(), default="0s", metavar="DURATION",
              help="Wait up to DURATION (such as 30s or 5m) for another spprov run's lock on "
                   "the repository [default: 0s, do not wait].")
@click.version_option(__version__, "--version", prog_name="spprov")
@click.pass_context
def cli(ctx: click.Context, directory: str | None, config: str | None, state_dir: str | None,
        verbosity: int, quiet: bool, no_color: bool, template_env: tuple[str, ...],
        lock_timeout: float) -> None:
    """Amazon Selling Partner API credentials as code."""
    # The environment and command line main() was given; from here on the Workspace
    # holds them.
    invocation = ctx.obj if isinstance(ctx.obj, Invocation) else None
    environ: Mapping[str, str] = (invocation.environ if invocation is not None else
                                  ctx.obj if isinstance(ctx.obj, Mapping) else dict(os.environ))
    command = invocation.command if invocation is not None else "spprov"
    context = make_context(directory, config, state_dir, verbosity, quiet, no_color, environ,
                           lock_timeout, command)
    workspace = Workspace(context, environ, template_env)
    ctx.obj = workspace
    ctx.call_on_close(workspace.close)
    _configure_logging(verbosity, quiet)


def _configure_logging(verbosity: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbosity == 1:
        level = logging.INFO
    elif verbosity >= 2:
        level = logging.DEBUG
    handler = ErasingHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("spprov: %(levelname)s: %(message)s"))
    root = logging.getLogger("spprov")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the CLI and turn every outcome into an exit code (1 for user errors, never 2).

    ``environ`` is the only environment anything below reads (the process's when None), so
    a caller can run spprov in its own process with an environment of its choosing.
    """
    environ = dict(os.environ if environ is None else environ)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="spprov", standalone_mode=False,
                          obj=Invocation(environ, command_line(args)))
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        # Usage errors exit 1, as in Terraform, so that 2 only ever means "changes pending".
        exc.show()
        return ExitCode.ERROR
    except click.exceptions.Abort:
        # click turns Ctrl-C (and EOF at a prompt) into Abort.
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except ConfigError as exc:
        echo_problems(exc.problems, environ)  # plan, apply, ...: annotated as validate's
        return ExitCode.ERROR
    except SpprovError as exc:
        click.echo(_error_text(exc), err=True)
        return ExitCode.ERROR
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as exc:  # noqa: BLE001 - the one boundary for bugs
        logging.getLogger("spprov").debug("internal error", exc_info=True)
        click.echo(_internal_error_text(exc, command_words(args)), err=True)
        return ExitCode.INTERNAL
    return int(result) if isinstance(result, int) else ExitCode.OK


def command_line(args: Sequence[str]) -> str:
    """``spprov apply --yes``: this run's command line, as the lock file records it (spprov
    never takes a secret as an argument; the text is escaped where it is shown)."""
    return " ".join(["spprov", *(shlex.quote(arg) for arg in args)])


def command_words(args: Sequence[str]) -> str:
    """``keys add``: the command and subcommand names in ``args``, without the options and
    arguments (those are the user's data, never written to the crash log)."""
    command: click.Command = cli
    words: list[str] = []
    remaining = list(args)
    while isinstance(command, click.Group):
        valued = {opt for param in command.params if isinstance(param, click.Option)
                  and not (param.is_flag or param.count) for opt in param.opts}
        name, remaining = _first_word(remaining, valued)
        try:
            found = command.get_command(click.Context(command), name) if name else None
        except SpprovError:
            found = None
        if found is None:
            break
        words.append(name)
        command = found
    return " ".join(words) or "(none)"


def _first_word(args: list[str], valued: set[str]) -> tuple[str, list[str]]:
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg in valued:
            index += 1
        elif not arg.startswith("-"):
            return arg, args[index:]
    return "", []


def _internal_error_text(exc: Exception, command: str) -> str:
    """The one line for a bug, naming the log file that keeps its traceback."""
    head = f"spprov: internal error ({type(exc).__name__}); this is a bug"
    try:
        log = write_crash_log(exc, __version__, command)
    except OSError as error:
        return f"{head}: please report it with the output of -vv (no log: {error.strerror})"
    return f"{head}: please report it with the traceback kept in {log}"


def _error_text(exc: SpprovError) -> str:
    # Messages quote file names and values from the repository: escaped, no workflow command.
    text = log_lines(str(exc))
    # Multi-line errors (config problems) are already one problem per line.
    if "\n" in text or text.startswith(("spprov:",)) or _looks_located(text):
        return text
    return f"spprov: {text}"


def _looks_located(text: str) -> bool:
    head = text.split(": ", 1)[0]
    parts = head.rsplit(":", 2)
    return len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit()


if __name__ == "__main__":
    sys.exit(main())
