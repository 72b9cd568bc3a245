"""The one place that decides what environment a child process gets.

spprov often runs in a CI job whose environment holds the age identity (``SOPS_AGE_KEY``),
the apps' client secrets (``SPPROV_APP_*_CLIENT_SECRET``) and the job's own tokens. A child
gets what it needs and no more:

- **sops** gets an allow-list: what finds programs, home, locale and temporary files, and
  the variables of the key types the trusted ``.sops.yaml`` rule uses (age by default), so
  PGP, KMS and Vault credentials are not passed unless the rule uses that key type;
- **git** (reading a base revision) gets what finds programs, home and locale, and Git's own
  configuration variables;
- **the browser** (``BROWSER`` or the system's default) gets the environment a desktop
  program needs, minus every variable that is, or names, a secret: it renders a web page
  and has no use for a key or a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from spprov.escape import looks_secret

SOPS_VARIABLES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "XDG_CONFIG_HOME", "SYSTEMROOT", "APPDATA", "USERPROFILE",  # the last three: Windows
    "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_RECIPIENTS",
    "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
})
SOPS_PREFIXES = ("LC_",)
# The variables each SOPS key type reads. Only the key types the trusted .sops.yaml rule
# uses may be passed: a state file's own metadata must never make sops use (and send) a
# CI's cloud or Vault credentials.
KEY_TYPE_VARIABLES: dict[str, tuple[str, ...]] = {
    "age": ("SOPS_AGE_",),
    "pgp": ("GNUPGHOME", "SOPS_GPG_", "GPG_"),
    "kms": ("AWS_",),
    "gcp_kms": ("GOOGLE_", "CLOUDSDK_"),
    "azure_kv": ("AZURE_",),
    "hc_vault": ("VAULT_",),
}

# Names a browser never needs: anything naming a secret, and the families of variables
# that carry cloud, CI and agent credentials.
_SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|JWT|COOKIE|_KEY|KEY_|^KEY$"
    r"|^SOPS_|^SPPROV_APP_|^AWS_|^VAULT_|^AZURE_|^GOOGLE_APPLICATION|^GCP_|^ACTIONS_"
    r"|^CI_JOB_|^SSH_AUTH_SOCK$|^GPG_AGENT|^GNUPGHOME$|^NPM_CONFIG__AUTH|^TWINE_",
    re.IGNORECASE)
# A desktop browser needs these even though they match a pattern above.
_BROWSER_KEEP = frozenset({"XAUTHORITY", "DBUS_SESSION_BUS_ADDRESS"})


def for_sops(environ: Mapping[str, str], key_types: tuple[str, ...] = ("age",)
             ) -> dict[str, str]:
    """The environment of a sops process: the allow-list above and the variables of the
    trusted key types (age only unless the caller knows the rule uses others)."""
    prefixes = SOPS_PREFIXES + tuple(p for kind in key_types
                                     for p in KEY_TYPE_VARIABLES.get(kind, ()))
    return {name: value for name, value in environ.items()
            if name in SOPS_VARIABLES or name.startswith(prefixes)}


GIT_VARIABLES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "XDG_CONFIG_HOME", "SYSTEMROOT", "USERPROFILE",
    # How CI runners mark a checkout as safe (`safe.directory`) without a config file.
    "GIT_CONFIG_COUNT", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM",
})
_GIT_CONFIG_ENTRY = re.compile(r"GIT_CONFIG_(KEY|VALUE)_\d+\Z")


def for_git(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a read-only Git command (reading the base revision): what finds
    programs, home and locale, and Git's own configuration variables; no token, no
    ``GIT_DIR`` of a hook, and never a prompt."""
    kept = {name: value for name, value in environ.items()
            if name in GIT_VARIABLES or name.startswith("LC_")
            or _GIT_CONFIG_ENTRY.match(name)}
    return {**kept, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


def for_browser(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the browser: everything but secrets and what names them."""
    return {name: value for name, value in environ.items()
            if name in _BROWSER_KEEP
            or not (_SECRET_NAME.search(name) or looks_secret(value))}
