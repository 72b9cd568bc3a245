"""`spprov completion bash|zsh|fish`: the shell completion script, for the shell's rc file."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
# click's completion protocol: the script calls spprov back with this variable set.
COMPLETE_VARIABLE = "_SPPROV_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def command(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash: eval "$(spprov completion bash)"        in ~/.bashrc
    zsh:  eval "$(spprov completion zsh)"         in ~/.zshrc
    fish: spprov completion fish > ~/.config/fish/completions/spprov.fish
    """
    completion = get_completion_class(shell)
    assert completion is not None  # every choice is one of click's shells
    root = ctx.find_root().command
    click.echo(completion(root, {}, "spprov", COMPLETE_VARIABLE).source())
