"""Finding the person's age identity where sops looks for it, and making one if there is none.

The identity never leaves this module except as a file written with mode 0600; only its
public recipient (``age1...``) is returned or printed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyrage import passphrase as age_passphrase
from pyrage import x25519

from spprov.const import AGE_IDENTITY_PREFIX
from spprov.errors import SpprovError
from spprov.escape import excerpt


@dataclass(frozen=True)
class FoundIdentity:
    """Where an identity was found and its (first) recipient."""

    source: str
    recipient: str


def default_identity_file(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """sops's default keys.txt: under XDG_CONFIG_HOME, else the platform's config folder."""
    home = Path(environ.get("HOME") or Path.home())
    config = environ.get("XDG_CONFIG_HOME")
    if config:
        base = Path(config)
    elif platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = home / ".config"
    return base / "sops" / "age" / "keys.txt"


def identity_file(environ: Mapping[str, str]) -> Path:
    """The file sops reads: ``SOPS_AGE_KEY_FILE`` if set, else the default keys.txt."""
    explicit = environ.get("SOPS_AGE_KEY_FILE")
    return Path(explicit).expanduser() if explicit else default_identity_file(environ)


def find_identity(environ: Mapping[str, str]) -> FoundIdentity | None:
    """The identity sops would use, in sops's order: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, default."""
    inline = environ.get("SOPS_AGE_KEY")
    if inline:
        return FoundIdentity("SOPS_AGE_KEY", first_recipient(inline, "SOPS_AGE_KEY"))
    path = identity_file(environ)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpprovError(f"cannot read the age identity {path} ({exc.strerror})") from None
    return FoundIdentity(str(path), first_recipient(text, str(path)))


def first_recipient(identities: str, source: str) -> str:
    """The public recipient of the first age identity in ``identities``."""
    for line in identities.splitlines():
        line = line.strip()
        if line.startswith(AGE_IDENTITY_PREFIX):
            try:
                return str(x25519.Identity.from_str(line).to_public())
            except Exception:  # noqa: BLE001 - pyrage's error text could quote the key
                break
    raise SpprovError(f"{source} holds no valid age identity (a line {AGE_IDENTITY_PREFIX}1...); "
                      "fix it, or pass a recipient with --age-recipient")


def check_recipient(recipient: str) -> str:
    """An age recipient as given on the command line, validated."""
    try:
        return str(x25519.Recipient.from_str(recipient.strip()))
    except Exception:  # noqa: BLE001 - pyrage raises its own error types
        raise SpprovError(f"--age-recipient {excerpt(recipient.strip(), 70)}: not an age "
                          "recipient "
                          "(expected age1... as printed by age-keygen -y)") from None


def generate_identity(path: Path, now: datetime | None = None) -> str:
    """Write a new identity to ``path`` (mode 0600, never overwriting); its recipient."""
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    content = f"# created: {created}\n# public key: {recipient}\n{identity}\n"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SpprovError(f"{path} already exists; it was not overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    return recipient


# Identity sources sops reads that the in-process reader does not (commands, SSH keys): when
# one is set, a file none of the reader's identities opens is left to the sops binary.
DELEGATED_SOURCES = ("SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
                     "SOPS_AGE_SSH_PRIVATE_KEY_CMD")


@dataclass(frozen=True)
class Keyring:
    """The X25519 identities sops would load, and sources only the sops binary can read."""

    identities: tuple[x25519.Identity, ...]
    delegated: tuple[str, ...]
    recipients: frozenset[str]

    def __repr__(self) -> str:
        return f"Keyring({len(self.identities)} identities, delegated={self.delegated})"


# Asks a person for the passphrase of an identity file (its path in the question); raises
# SpprovError with one line when nobody can be asked (CI, no terminal).
AskPassphrase = Callable[[Path], str]
# An age file encrypted to a passphrase (age's scrypt recipient), binary or armored: how
# `age -p` and `age-keygen | age -p -a` write a protected keys.txt, which sops opens after
# asking for the passphrase.
_PROTECTED = (b"age-encryption.org/v1\n-> scrypt ", b"-----BEGIN AGE ENCRYPTED FILE-----")


def load_keyring(environ: Mapping[str, str], ask: AskPassphrase | None = None) -> Keyring:
    """Every identity in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and keys.txt (sops reads all three).

    A passphrase-protected file is opened with the passphrase ``ask`` returns; without
    ``ask`` it is one line saying so.
    """
    texts: list[str] = []
    inline = environ.get("SOPS_AGE_KEY")
    if inline:
        texts.append(inline)
    paths = [default_identity_file(environ)]
    if environ.get("SOPS_AGE_KEY_FILE"):
        paths.insert(0, identity_file(environ))
    for path in dict.fromkeys(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue  # sops skips an unreadable source too; "no identity" says what to do
        if data.lstrip().startswith(_PROTECTED):
            texts.append(open_protected(path, data.lstrip(), ask))
            continue
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    identities = tuple(identity for text in texts for identity in _parse_identities(text))
    recipients = frozenset(str(identity.to_public()) for identity in identities)
    delegated = tuple(name for name in DELEGATED_SOURCES if environ.get(name))
    return Keyring(identities, delegated, recipients)


def open_protected(path: Path, data: bytes, ask: AskPassphrase | None) -> str:
    """The identities of a passphrase-protected identity file."""
    if ask is None:
        raise SpprovError(f"the age identity {path} is protected by a passphrase and nobody "
                          "can be asked for it here; run on a terminal, or set SOPS_AGE_KEY "
                          "to an unprotected identity")
    typed = ask(path)
    try:
        opened = age_passphrase.decrypt(data, typed)
    except Exception:  # noqa: BLE001 - pyrage's DecryptError says no more than this
        raise SpprovError(f"the age identity {path}: wrong passphrase (nothing was "
                          "decrypted); run again and type the passphrase it was protected "
                          "with") from None
    try:
        return bytes(opened).decode("utf-8")
    except UnicodeDecodeError:
        raise SpprovError(f"the age identity {path} opened with the passphrase, but holds no "
                          "identities (not a keys.txt)") from None


def _parse_identities(text: str) -> list[x25519.Identity]:
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for word in line.replace(",", " ").split():
            if word.startswith(AGE_IDENTITY_PREFIX):
                try:
                    found.append(x25519.Identity.from_str(word))
                except Exception:  # noqa: BLE001, S112 - a bad line is skipped, as by sops
                    continue
    return found
