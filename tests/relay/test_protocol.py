"""The wire format both sides read: a sealed grant opens only with the repository's key and
comes back exactly; a malformed invitation is one clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pyrage import x25519

from spprov.cli.commands.invite import parse_duration
from spprov.errors import UsageError
from spprov.relay.protocol import (
    Grant,
    GrantError,
    Invitation,
    RelayError,
    open_sealed,
    seal,
    secret_hash,
)
from spprov.secret import Secret

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def _grant() -> Grant:
    return Grant("inv-1", "acme-us", "amzn1.sp.solution.x", "client", "https://r/callback",
                 "na", "https://sellingpartnerapi-na.amazon.com", "A1PARTNER",
                 Secret("Atzr|secret"), NOW, ("ATVPDKIKX0DER",))


def test_a_sealed_grant_opens_with_the_recipients_identity_only() -> None:
    identity = x25519.Identity.generate()
    sealed = seal(_grant(), (str(identity.to_public()),))
    assert "Atzr|" not in sealed and sealed.startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    opened = open_sealed(sealed, (identity,))
    assert opened.refresh_token == Secret("Atzr|secret")
    assert (opened.invitation_id, opened.authorized_at, opened.marketplaces) == \
        ("inv-1", NOW, ("ATVPDKIKX0DER",))
    with pytest.raises(GrantError, match="not sealed for this repository"):
        open_sealed(sealed, (x25519.Identity.generate(),))
    assert "Atzr" not in repr(opened)


def test_invitation_round_trip_and_refusals() -> None:
    recipient = str(x25519.Identity.generate().to_public())
    invitation = Invitation("inv-1", secret_hash("s"), "acme-us", None, "acme", "app", "client",
                            "https://r/callback", False, "https://sellercentral.amazon.com",
                            "https://sellingpartnerapi-na.amazon.com", "na", "seller", None,
                            (recipient,), NOW + timedelta(days=7))
    assert Invitation.from_json(invitation.to_json()) == invitation
    broken = {**invitation.to_json(), "recipients": ["AGE-SECRET-KEY-1XYZ"]}
    with pytest.raises(RelayError, match="is not an age recipient"):
        Invitation.from_json(broken)
    with pytest.raises(RelayError, match="field credential must be a non-empty string"):
        Invitation.from_json({**invitation.to_json(), "credential": 3})


@pytest.mark.parametrize(("text", "seconds"), [("1s", 1), ("30m", 1800), ("12h", 43200),
                                               ("7d", 604800), ("2w", 1209600)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0d", "7", "1y", "-1d", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError, match="not a duration; write e.g. 30m, 12h or 7d"):
        parse_duration(text)
