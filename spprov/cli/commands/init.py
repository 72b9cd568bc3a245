"""`spprov init`: .sops.yaml, an example credentials.yaml, the schema copy for editors,
.gitignore lines, an age identity."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import click

from spprov import __version__
from spprov.cli import context as contexts
from spprov.cli.context import Context
from spprov.cli.workspace import current
from spprov.const import SOPS_CONFIG
from spprov.declaration.schema import packaged_schema
from spprov.errors import UsageError
from spprov.repofiles import NotRegularFileError, check_if_present, read_regular, write_regular
from spprov.state import agekeys

GITIGNORE = ".gitignore"
# What spprov itself may leave in a repository: its lock and, after a crash, temp files;
# and saved plans (`spprov plan --out plan.json`), which are made to be applied, not kept.
GITIGNORE_LINES = (".spprov.lock", ".spprov-tmp-*", "plan.json", "*.plan.json")

# The schema copy that editors read (committed, so every teammate's editor finds it);
# `spprov init` brings it up to date after an upgrade.
SCHEMA_COPY = Path(".spprov") / "credentials.schema.json"
MODELINE = "# yaml-language-server: $schema={}\n"

EXAMPLE_CREDENTIALS = """\
# Declared SP-API credentials (see `spprov validate`, `spprov plan`).
# Secrets never go here: the client secret comes from SPPROV_APP_ACME_CLIENT_SECRET or
# `spprov app set-secret acme`; refresh tokens are written encrypted under state/.
version: 1
apps:
  acme:
    application_id: amzn1.sp.solution.00000000-0000-0000-0000-000000000000
    client_id: amzn1.application-oa2-client.0123456789abcdef
    redirect_uri: https://auth.example.com/spapi/callback
credentials:
  - name: acme-us
    description: Acme US seller account
    seller_central_url: https://sellercentral.amazon.com
    sp_api_endpoint: https://sellingpartnerapi-na.amazon.com
"""


def sops_config(recipient: str, state_dir: str = "state") -> str:
    """The creation rule: state files only, and only their secret values encrypted."""
    folder = re.escape(state_dir)  # Python's escapes are valid in sops's (RE2) syntax
    return (
        "# Written by `spprov init`. Only refresh_token and client_secret are encrypted; the\n"
        "# other fields stay readable for review and are covered by the MAC.\n"
        "creation_rules:\n"
        f"  - path_regex: ^{folder}/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
        "    encrypted_regex: ^(refresh_token|client_secret)$\n"
        f"    age: >-\n      {recipient}\n"
    )


def choose_recipient(given: str | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The recipient to encrypt for, and a line saying where it came from."""
    if given:
        recipient = agekeys.check_recipient(given)
        return recipient, f"using age recipient {recipient} (--age-recipient)"
    found = agekeys.find_identity(environ)
    if found is not None:
        return found.recipient, f"using your age identity in {found.source} ({found.recipient})"
    path = agekeys.identity_file(environ)
    recipient = agekeys.generate_identity(path)
    return recipient, (f"generated an age identity in {path} (mode 0600, recipient "
                       f"{recipient}); back it up: without it the state cannot be decrypted")


def write_sops_config(context: Context, recipient: str, force: bool) -> str:
    """Write .sops.yaml unless it exists (``--force`` replaces it); what was done."""
    path = context.directory / SOPS_CONFIG
    if _present(path, SOPS_CONFIG) and not force:
        return f"kept {SOPS_CONFIG} (it exists; --force replaces it)"
    try:
        state_dir = context.state_dir.relative_to(context.directory).as_posix()
    except ValueError:
        raise UsageError(f"--state-dir {context.state_dir} is outside {context.directory}; "
                         "state must live in the repository") from None
    _write(path, SOPS_CONFIG, sops_config(recipient, state_dir))
    return f"wrote {SOPS_CONFIG}"


def write_example(context: Context) -> str | None:
    """Write an example credentials.yaml when no declaration exists, with the modeline
    that points editors at the schema copy."""
    declaration = context.config_path()
    if os.path.lexists(declaration):
        return None
    schema = Path(os.path.relpath(context.directory / SCHEMA_COPY, declaration.parent))
    declaration.parent.mkdir(parents=True, exist_ok=True)
    _write(declaration, context.display(declaration),
           MODELINE.format(schema.as_posix()) + EXAMPLE_CREDENTIALS)
    return f"wrote {context.display(declaration)} (an example: edit it)"


def write_schema_copy(context: Context) -> str | None:
    """Write or refresh .spprov/credentials.schema.json; None when it is current.

    A symbolic link (a repository file may come from anyone) is kept, never written
    through, and the new file replaces the old one in one rename.
    """
    folder, path = context.directory / SCHEMA_COPY.parent, context.directory / SCHEMA_COPY
    if folder.is_symlink() or path.is_symlink():
        return f"kept {SCHEMA_COPY.as_posix()} (a symbolic link: spprov does not write through it)"
    if folder.exists() and not folder.is_dir() or path.exists() and not path.is_file():
        return (f"skipped {SCHEMA_COPY.as_posix()} (something other than a file is in the way; "
                "remove it and run `spprov init` again)")
    text = packaged_schema()
    exists = path.is_file()
    if exists and path.read_text(encoding="utf-8", errors="replace") == text:
        return None
    folder.mkdir(exist_ok=True)
    temporary = folder / f".spprov-tmp-schema-{os.getpid()}"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return (f"{'updated' if exists else 'wrote'} {SCHEMA_COPY.as_posix()} (the JSON Schema of "
            f"spprov {__version__}, for editors)")


def update_gitignore(context: Context) -> str | None:
    """Add the lines spprov needs to .gitignore, keeping what is there."""
    path = context.directory / GITIGNORE
    text = _read(path, GITIGNORE) if _present(path, GITIGNORE) else ""
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in present]
    if not missing:
        return None
    prefix = "" if not text or text.endswith("\n") else "\n"
    _write(path, GITIGNORE, text + prefix + "\n".join(missing) + "\n")
    return f"added {', '.join(missing)} to {GITIGNORE}"


@click.command("init")
@click.option("--force", is_flag=True, help="Replace an existing .sops.yaml.")
@click.option("--age-recipient", metavar="AGE1...",
              help="Encrypt for this recipient; generate and look up no identity.")
@click.pass_context
def command(ctx: click.Context, force: bool, age_recipient: str | None) -> None:
    """Set up a repository: .sops.yaml, an example credentials.yaml, .gitignore lines,
    and .spprov/credentials.schema.json for editors (run again after an upgrade).

    Uses your age identity (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, or sops's default keys.txt)
    and generates one there, mode 0600, if you have none. The identity is never printed.
    """
    # Like `git init`, init sets up the folder it is run in, not a repository above it.
    context = contexts.get(ctx)
    context = context.rooted_at(context.here)
    for path in (context.directory / SOPS_CONFIG, context.config_path(),
                 context.directory / GITIGNORE):
        if not path.is_dir():
            _present(path, context.display(path))
    recipient, source = choose_recipient(age_recipient, current(ctx).environ)
    if not in_git_repository(context.directory):
        context.err(f"warning: {context.directory} is not in a Git repository; spprov keeps "
                    "the state in Git: run `git init` and commit what init writes")
    click.echo(source)
    done = [write_sops_config(context, recipient, force), _recipient_hint(context, recipient),
            write_example(context), write_schema_copy(context), update_gitignore(context)]
    for line in done:
        if line:
            click.echo(line)


def in_git_repository(folder: Path) -> bool:
    """Whether ``folder`` is inside a Git work tree (a .git folder or file at or above)."""
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


def _recipient_hint(context: Context, recipient: str) -> str | None:
    """A teammate joining: their recipient is not in the existing .sops.yaml yet."""
    text = _read(context.directory / SOPS_CONFIG, SOPS_CONFIG)
    if recipient in text:
        return None
    return (f"{SOPS_CONFIG} does not list {recipient}: ask someone who can decrypt the state "
            f"to run `spprov keys add {recipient}`")


# init writes into a repository someone else may have prepared: it neither reads nor
# writes through a link, and refuses a FIFO or device, with one line naming the file.
_MAX_READ_BYTES = 1024 * 1024


def _present(path: Path, name: str) -> bool:
    try:
        return check_if_present(path)
    except NotRegularFileError as exc:
        raise UsageError(f"{exc.message(name)}; nothing was written") from None


def _read(path: Path, name: str) -> str:
    try:
        return read_regular(path, _MAX_READ_BYTES).decode("utf-8", errors="replace")
    except NotRegularFileError as exc:
        raise UsageError(f"{exc.message(name)}; nothing was written") from None


def _write(path: Path, name: str, text: str) -> None:
    try:
        write_regular(path, text.encode("utf-8"))
    except NotRegularFileError as exc:
        raise UsageError(f"{exc.message(name)}; nothing was written") from None
