"""A passphrase-protected age identity (`age -p` of keys.txt), as sops opens it: asked for
on the terminal; in CI, or without a terminal, one line saying what to do instead."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

from pyrage import passphrase

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps, authorized_repository

authorized = authorized_repository([{"name": "acme-us", **US}])
PASSPHRASE = "correct horse battery staple"


def protect(gitops: GitOps, armored: bool = True) -> Path:
    """keys.txt encrypted with a passphrase (age's scrypt recipient), the plain one gone."""
    plain = Path(gitops.env["SOPS_AGE_KEY_FILE"])
    protected = plain.with_name("keys-protected.age")
    protected.write_bytes(passphrase.encrypt(plain.read_bytes(), PASSPHRASE, armored=armored))
    gitops.env["SOPS_AGE_KEY_FILE"] = str(protected)
    return protected


def on_a_terminal(gitops: GitOps, home: Path, typed: str, *args: str) -> tuple[int, str]:
    """spprov ARGS with a pty as its controlling terminal and stdio; ``typed`` once it asks."""
    main, secondary = os.openpty()

    def controlling_terminal() -> None:
        import fcntl
        import termios

        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    child = subprocess.Popen([sys.executable, "-m", "spprov", *args], cwd=gitops.repo,
                             env=clean_env(home, {**gitops.env, "CI": None, "NO_COLOR": "1"}),
                             stdin=secondary, stdout=secondary, stderr=secondary,
                             preexec_fn=controlling_terminal)  # noqa: PLW1509 - pty setup
    os.close(secondary)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"passphrase of the age identity" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    break
        os.write(main, typed.encode() + b"\n")
        while True:
            ready, _, _ = select.select([main], [], [], 30)
            try:
                chunk = os.read(main, 65536) if ready else b""
            except OSError:
                chunk = b""
            if not chunk:
                break
            seen += chunk
        code = child.wait(timeout=30)
    finally:
        os.close(main)
        child.kill()
    return code, seen.decode().replace("\r\n", "\n")


def test_verify_asks_for_the_passphrase_on_the_terminal(authorized: GitOps, home: Path) -> None:
    protected = protect(authorized)
    code, shown = on_a_terminal(authorized, home, PASSPHRASE, "verify")
    assert code == 0, shown
    assert f"passphrase of the age identity {protected}: " in shown
    assert PASSPHRASE not in shown  # hidden input
    assert "verified 1 state file" in shown


def test_a_wrong_passphrase_is_one_line(authorized: GitOps, home: Path) -> None:
    protected = protect(authorized, armored=False)  # the binary form too
    code, shown = on_a_terminal(authorized, home, "wrong", "verify")
    assert code == 1
    assert shown.endswith(
        f"state/credentials/acme-us.sops.yaml: the age identity {protected}: wrong passphrase "
        "(nothing was decrypted); run again and type the passphrase it was protected with\n"
        "1 of 1 state files failed verification\n")


def test_in_ci_a_protected_identity_is_one_clear_line(authorized: GitOps) -> None:
    protected = protect(authorized)
    result = authorized.run("verify", env={"CI": "true"})
    assert (result.code, result.stderr) == (1, (
        f"state/credentials/acme-us.sops.yaml: the age identity {protected} is protected by a "
        "passphrase, and in CI (CI=true) nobody can type it: give the job an unprotected "
        "identity in SOPS_AGE_KEY (a CI secret)\n"
        "1 of 1 state files failed verification\n"))


def test_without_a_terminal_it_says_so(authorized: GitOps) -> None:
    protected = protect(authorized)
    result = authorized.run("verify", env={"CI": None})
    assert (result.code, result.stderr) == (1, (
        f"state/credentials/acme-us.sops.yaml: the age identity {protected} is protected by a "
        "passphrase, and standard input is not a terminal to ask for it: run on a terminal, "
        "or set SOPS_AGE_KEY to an unprotected identity\n"
        "1 of 1 state files failed verification\n"))
