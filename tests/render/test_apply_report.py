"""apply --markdown for credentials that wait for a person with no relay, and hostile names."""

from __future__ import annotations

from spprov.model import Action, Outcome, Status
from spprov.render.applyreport import apply_markdown


def test_markdown_report_gives_the_command_and_escapes_what_users_wrote() -> None:
    outcomes = [
        Outcome("acme-eu", Action.UPDATE, Status.DONE, "updated"),
        Outcome("acme-us", Action.CREATE, Status.WAITING, "waits for a person",
                consent_page="https://sellercentral.amazon.com/apps/authorize/consent"),
        Outcome("acme-mx", Action.RENEW, Status.FAILED, "LWA answered 500 three times"),
    ]
    assert apply_markdown(outcomes) == "\n".join([
        "## spprov apply",
        "",
        "### done or failed",
        "",
        "- acme-eu: updated",
        "- acme-mx: renew failed: LWA answered 500 three times",
        "",
        "### waiting for a person (1)",
        "",
        "| credential | action | what to do |",
        "|---|---|---|",
        "| acme-us | create | run `spprov authorize acme-us` (consent page: "
        "https://sellercentral.amazon.com/apps/authorize/consent) |",
        "",
        "Apply finished: 1 done, 1 waiting for a person, 1 failed, 0 orphans kept.",
    ])


def test_a_hostile_message_cannot_break_the_table() -> None:
    outcome = Outcome("acme-us", Action.CREATE, Status.WAITING, "x | <img src=x> | y",
                      invited_through="https://relay.example.com")
    [row] = [line for line in apply_markdown([outcome]).splitlines()
             if line.startswith("| acme-us")]
    assert row == r"| acme-us | create | x \| \<img src=x> \| y |"
