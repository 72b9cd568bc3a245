"""Which key types the repository's `.sops.yaml` creation rule names for a state file.

The in-process reader opens age stanzas only. A file encrypted for KMS, PGP, Vault or key
groups is handed to the sops binary only when the creation rule that sops would apply to
the file names those key types too: a key service named only in a file's own metadata
(which a pull request can write) is never contacted.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import yaml

from spprov.repofiles import NotRegularFileError, read_regular

# sops's metadata key -> the creation rule key that configures it.
RULE_KEYS = {"kms": "kms", "pgp": "pgp", "gcp_kms": "gcp_kms", "azure_kv": "azure_keyvault",
             "hc_vault": "hc_vault_transit_uri", "key_groups": "key_groups"}
CONFIG_NAME = ".sops.yaml"


def rule_names(config: Path, relative: str, key_types: Collection[str]) -> bool:
    """True when the first creation rule of ``config`` matching ``relative`` (as sops picks
    it) configures every one of ``key_types``; False when it does not or cannot be read."""
    rule = _matching_rule(config, relative)
    if rule is None:
        return False
    return all(rule.get(RULE_KEYS.get(kind, "")) for kind in key_types)


def _matching_rule(config: Path, relative: str) -> dict[str, object] | None:
    try:
        document = yaml.safe_load(read_regular(config, 1024 * 1024).decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, NotRegularFileError):
        return None
    rules = document.get("creation_rules") if isinstance(document, dict) else None
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        pattern = rule.get("path_regex", "")
        try:
            if isinstance(pattern, str) and re.search(pattern, relative):
                return rule
        except re.error:
            return None
    return None
