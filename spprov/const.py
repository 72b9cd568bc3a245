"""Facts spprov spells in one place: file names, the shapes of secrets, names, defaults.

Each fact is defined here once and imported where it is used (the model is Black's
``const.py``): a second spelling of any of them is a bug waiting for the first to change.
"""

from __future__ import annotations

import re

# -- files -------------------------------------------------------------------------------
# sops's configuration and spprov's trust root: who may read the state (docs/security.md).
SOPS_CONFIG = ".sops.yaml"
# Every state file ends so (``state/credentials/NAME.sops.yaml``), as sops's convention has it.
STATE_SUFFIX = ".sops.yaml"

# -- secrets -----------------------------------------------------------------------------
# The prefixes of the secrets spprov knows. A value that starts with one is never quoted,
# not even in part, and never belongs in a credential file.
AGE_IDENTITY_PREFIX = "AGE-SECRET-KEY-"  # noqa: S105 - a prefix, not a key
REFRESH_TOKEN_PREFIX = "Atzr|"  # noqa: S105 - the LWA refresh token prefix
ACCESS_TOKEN_PREFIX = "Atza|"  # noqa: S105 - the LWA access token prefix
CLIENT_SECRET_PREFIX = "amzn1.oa2-cs."  # noqa: S105 - the LWA client secret prefix
# Secrets of Amazon (what a credential file must not hold), then every secret spprov knows.
AMAZON_SECRET_PREFIXES = (REFRESH_TOKEN_PREFIX, ACCESS_TOKEN_PREFIX, CLIENT_SECRET_PREFIX)
SECRET_PREFIXES = (AGE_IDENTITY_PREFIX, *AMAZON_SECRET_PREFIXES)

# -- names -------------------------------------------------------------------------------
# A credential's or an app's name: it becomes a file name and part of a variable's name.
NAME_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$"
NAME = re.compile(NAME_PATTERN)
# A selling partner (merchant) ID as Amazon's redirect gives it: upper-case letters, digits.
SELLING_PARTNER_ID = re.compile(r"[A-Z0-9]{2,40}")

# -- defaults ----------------------------------------------------------------------------
# Requests to Amazon in flight at once (`--concurrency`): LWA answers in about 100 ms, so
# waiting, not CPU, is what 16 overlap.
NETWORK_CONCURRENCY = 16
# sops processes (or decrypting workers) at once: each uses a core while it runs.
SOPS_CONCURRENCY = 8
# Amazon's deadline for rotating an app's LWA client secret (status judges, the report draws).
SECRET_DEADLINE_DAYS = 180

# -- Amazon's authorization limits (since 2022-04-25) ---------------------------------------
# A public app not listed in the Appstore holds at most 25 seller OAuth authorizations (a
# listed one: no limit; vendors' authorizations are not limited); any app holds at most 10
# self-authorizations. The plan counts them, apply refuses a consent beyond them and the
# emulator enforces them.
UNLISTED_OAUTH_LIMIT = 25
SELF_AUTHORIZATION_LIMIT = 10
