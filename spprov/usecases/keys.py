"""Who can read the state: the recipients ``.sops.yaml`` names, which files each opens, and
editing them (`spprov keys list | add | remove`).

``.sops.yaml`` is the trust root: an edit rewrites the ``age:`` value of every creation rule
that covers state (one recipient per line), checks the result, and saves it; the caller
then re-encrypts every state file. Adding keeps each file's data key; removing gives every
file a new one, since the person removed may have kept the old (see docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spprov.const import SOPS_CONFIG
from spprov.errors import StateError
from spprov.state import sopsedit, trust
from spprov.state.store import StateStore

Edit = sopsedit.Edit  # the recipients now -> the recipients wanted


@dataclass(frozen=True)
class KeyListing:
    """The recipients .sops.yaml trusts, what each opens, and the files behind it."""

    total: int  # state files
    trusted: dict[str, int]  # recipient -> how many state files it opens
    strangers: dict[str, int]  # recipients of files that .sops.yaml does not name
    behind: list[tuple[str, list[str]]]  # (file as shown, how it differs)


def key_listing(store: StateStore) -> KeyListing:
    """Each recipient, how many state files it opens, and which files lag behind."""
    files = store.files.credential_files() + store.files.app_files()
    found = [(path, store.trust.file_keys(path), store.trust.rule_for(path)) for path in files]
    trusted = set().union(*(rule.recipients for _, _, rule in found)) if found \
        else set(sample_rule(store).recipients)
    opened = {r: sum(1 for _, keys, _ in found if r in keys.recipients)
              for r in trusted.union(*(keys.recipients for _, keys, _ in found))}
    behind = [(store.files.display(path), trust.key_problems(keys, rule))
              for path, keys, rule in found]
    return KeyListing(len(found), {r: opened[r] for r in sorted(trusted)},
                      {r: opened[r] for r in sorted(set(opened) - trusted)},
                      [(shown, problems) for shown, problems in behind if problems])


def adding(recipient: str) -> tuple[Edit, str]:
    """The edit that adds ``recipient`` where it is missing, and the recipient as checked."""
    checked = trust.check_recipient(recipient.strip(), "RECIPIENT")
    return (lambda now: [*now, checked] if checked not in now else now), checked


def removing(store: StateStore, recipient: str) -> Edit:
    """The edit that removes ``recipient``; refused when it is not there or is the last."""
    target = recipient.strip()
    present = sample_rule(store).recipients
    if target not in present:
        raise StateError(f"{trust.recipient_excerpt(target)} is not a recipient in "
                         f"{SOPS_CONFIG} (`spprov keys list` shows them)")
    if present == {target}:
        raise StateError(f"{target} is the only recipient in {SOPS_CONFIG}: add another "
                         "first, or nobody could decrypt the state")
    return lambda now: [r for r in now if r != target]


def edit_recipients(store: StateStore, edit: Edit) -> bool:
    """Apply ``edit`` to the recipients of every rule that covers state and save
    ``.sops.yaml`` if it changed (hold the store's lock around this and the rekey that
    follows); True when it changed."""
    text = sopsedit.read(store.files.repo_root)
    root = trust.TrustRoot.from_text(text)
    rules = {index for index in (root.rule_index(store.files.display(p))
                                 for p in _samples(store)) if index is not None}
    if not rules:
        raise StateError(f"no creation rule in {SOPS_CONFIG} matches "
                         f"{store.files.display(store.files.path_of('NAME'))}: run "
                         "`spprov init`")
    new_text = sopsedit.edited(text, rules, edit)
    new_root = trust.TrustRoot.from_text(new_text)
    for path in _samples(store):  # every new value must parse and hold only age recipients
        new_root.rule_for(store.files.display(path))
    if new_text == text:
        return False
    sopsedit.save(store.files.repo_root, new_text)
    return True


def sample_rule(store: StateStore) -> trust.TrustedRule:
    """The trusted rule of a credential's state file."""
    return store.trust.rule_for(store.files.path_of("NAME"))


def _samples(store: StateStore) -> list[Path]:
    """Paths of state files, real and future, whose rules the edit must cover."""
    return [store.files.path_of("NAME"), store.files.app_path("NAME"),
            *store.files.credential_files(), *store.files.app_files()]
