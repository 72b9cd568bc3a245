"""Benchmark repositories: N declared credentials, each with a state file.

Two kinds. *Readable* repositories (for `validate` and `plan` without --refresh) encrypt
ONE real state file with sops and give every other credential its own readable fields
with that file's `refresh_token` ciphertext and `sops:` block copied: the MAC does not
match, so those files could not be decrypted, but plan never decrypts, and writing
10,000 real files one sops process at a time would take minutes. *Decryptable*
repositories (for `plan --refresh`) are real: every file is encrypted by sops (a thread
pool), once, and cached under bench/.cache/ with the age key and the refresh tokens.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pyrage import x25519

from spprov.model import STATE_FORMAT, AppIdentity, AuthorizationMethod, Record
from spprov.regions import Region
from spprov.secret import Secret
from spprov.state import statefile
from spprov.state.store import StateStore

CACHE = Path(__file__).resolve().parent / ".cache"
APPLICATION_ID = "amzn1.sp.solution.00000000-0000-0000-0000-000000000bench"
CLIENT_ID = "amzn1.application-oa2-client.bench0000000000"
CLIENT_SECRET = "amzn1.oa2-cs.v1.bench-client-secret-0000"
US_CONSENT = "https://sellercentral.amazon.com"
US_ENDPOINT = "https://sellingpartnerapi-na.amazon.com"
# Recent enough that nothing is due for renewal for months: the plan is all noops.
AUTHORIZED_AT = datetime(2026, 11, 1, tzinfo=UTC)
SOPS_RULES = ("creation_rules:\n"
              "  - path_regex: ^state/(credentials|apps)/[^/]+\\.sops\\.yaml$\n"
              "    encrypted_regex: ^(refresh_token|client_secret)$\n"
              "    age: {recipient}\n")


def name_of(index: int) -> str:
    """The benchmark's credential names: cred-00000, cred-00001, ..."""
    return f"cred-{index:05d}"


def declaration(count: int, redirect_uri: str = "https://auth.example.com/cb") -> str:
    """credentials.yaml with one app and ``count`` US credentials."""
    document = {
        "version": 1,
        "apps": {"acme": {"application_id": APPLICATION_ID, "client_id": CLIENT_ID,
                          "redirect_uri": redirect_uri, "authorization_lifetime_days": 365}},
        "credentials": [
            {"name": name_of(i), "description": f"Benchmark account {i}",
             "seller_central_url": US_CONSENT, "sp_api_endpoint": US_ENDPOINT}
            for i in range(count)],
    }
    return yaml.safe_dump(document, sort_keys=False)


def record_of(name: str, index: int) -> Record:
    """The stored record that matches ``declaration``'s credential (a noop)."""
    return Record(name=name, app="acme", client_id=CLIENT_ID, region=Region.NA,
                  consent_url=US_CONSENT, sp_api_endpoint=US_ENDPOINT,
                  authorization_method=AuthorizationMethod.WEBSITE, authorization_version=1,
                  authorized_at=AUTHORIZED_AT, description=f"Benchmark account {index}",
                  selling_partner_id="A3FHEXAMPLEYWS",
                  identity=AppIdentity(APPLICATION_ID, "https://auth.example.com/cb", False, 365))


def new_repo(root: Path, count: int, key_file: Path) -> Path:
    """An empty repository: .sops.yaml for ``key_file``'s recipient and the declaration."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    recipient = age_key(key_file)
    (root / ".sops.yaml").write_text(SOPS_RULES.format(recipient=recipient))
    (root / "credentials.yaml").write_text(declaration(count))
    return root


def age_key(key_file: Path) -> str:
    """The recipient of the age identity in ``key_file`` (generated when missing)."""
    if not key_file.exists():
        identity = x25519.Identity.generate()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
        key_file.chmod(0o600)
    line = key_file.read_text().splitlines()[0]
    return line.removeprefix("# public key: ").strip()


def readable_repo(root: Path, count: int, key_file: Path) -> Path:
    """A repository whose state files have real readable fields and a copied sops block."""
    repo = new_repo(root, count, key_file)
    store = StateStore(repo, repo / "state", os.environ)
    store.writer.write(record_of(name_of(0), 0), Secret("Atzr|bench-template-token"))
    template = store.files.path_of(name_of(0)).read_text()
    tail = template[template.index("refresh_token:"):]
    for index in range(1, count):
        name = name_of(index)
        head = statefile.dump(statefile.record_fields(record_of(name, index)))
        store.files.path_of(name).write_text(head + tail)
    return repo


def decryptable_repo(count: int) -> tuple[Path, Path, dict[str, str]]:
    """(repo, key file, refresh token by name): real files, built once and cached."""
    folder = CACHE / f"decryptable-{count}-format-{STATE_FORMAT}"  # a new format: rebuilt
    repo, key_file, tokens_file = folder / "repo", folder / "keys.txt", folder / "tokens.json"
    if tokens_file.exists():
        return repo, key_file, json.loads(tokens_file.read_text())
    new_repo(repo, count, key_file)
    store = StateStore(repo, repo / "state", os.environ)
    tokens = {name_of(i): "Atzr|" + secrets.token_urlsafe(256) for i in range(count)}

    def write(index: int) -> None:
        name = name_of(index)
        store.writer.write(record_of(name, index), Secret(tokens[name]))

    # One lock for the whole batch: the store's lock is shared by the threads of a process.
    with store.writer.lock(), ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(count)))
    tokens_file.write_text(json.dumps(tokens))
    return repo, key_file, tokens
