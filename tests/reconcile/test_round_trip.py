"""Declared text survives the whole life of a state file: one YAML dialect end to end.

spprov hands sops the readable fields as JSON and reads them back with sops's own typing
(yaml.v3), so a description such as ``12e3``, ``<<`` or ``yes`` is written, read and
compared as the text it was declared as: create, then plan says "No changes", token and
verify decrypt it, status says ok. The emulator's consent counter proves that no consent
was spent twice.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures_gitops import US, GitOps

# The list: YAML 1.1 and 1.2 disagree on each of these, or YAML syntax starts with it.
TRICKY = ["=", "<<", "12e3", "1e3", "0o17", "0x1F", "1_000", ".inf", "~", "null", "yes", "on",
          "2001-12-14 21:59:43 -5", "2001-12-14", "2001-12-14T21:59:43Z", "!tag", "&anchor",
          "*alias", "%directive", "@at", "`tick", "#hash", "trailing  ", "ünïcødé ✓ 日本",
          "very long " * 400, "1:30", "- dash", "? key", "a: b", "'quoted'", '"double"',
          "line\nbreak", "tab\there", "!!merge <<", "+1", "-.5", "NaN", "off", "y"]


def _declare(gitops: GitOps, descriptions: list[str]) -> list[str]:
    names = [f"shop-{index}" for index in range(len(descriptions))]
    gitops.declare([{"name": name, "description": description, **US}
                    for name, description in zip(names, descriptions, strict=True)])
    return names


def _round_trip(gitops: GitOps, descriptions: list[str]) -> None:
    names = _declare(gitops, descriptions)
    assert gitops.run("validate").code == 0
    earlier = len(gitops.emulator.refresh_tokens(gitops.app.client_id))
    created = gitops.run("apply", "--yes")
    assert created.code == 0, created.output
    grants = gitops.emulator.refresh_tokens(gitops.app.client_id)
    assert len(grants) == earlier + len(names)  # one consent each, none lost and repeated
    plan = gitops.run("plan")
    assert plan.stdout.strip() == (f"No changes. {len(names)} credential"
                                   f"{'s are' if len(names) > 1 else ' is'} up to date."), \
        plan.output
    status = gitops.run("status", "--json")
    assert status.code == 0, status.output
    reported = json.loads(status.stdout)["credentials"]
    assert {entry["name"]: entry["status"] for entry in reported} == dict.fromkeys(names, "ok")
    verified = gitops.run("verify")
    assert verified.code == 0, verified.output
    token = gitops.run("token", names[-1])
    assert token.code == 0, token.output
    assert token.stdout.startswith("Atza|")
    again = gitops.run("apply", "--yes")
    assert again.code == 0 and "No changes" in again.stdout, again.output
    assert gitops.emulator.refresh_tokens(gitops.app.client_id) == grants


def test_tricky_descriptions_round_trip(gitops: GitOps) -> None:
    _round_trip(gitops, TRICKY)


def test_a_description_read_back_as_sops_reads_it(gitops: GitOps) -> None:
    """The file holds what sops wrote (quoted where YAML would re-type it)."""
    _declare(gitops, ["12e3", "<<", "="])
    assert gitops.run("apply", "--yes").code == 0
    text = gitops.state_file("shop-0").read_text()
    assert 'description: "12e3"\n' in text
    assert "description: !!merge <<\n" in gitops.state_file("shop-1").read_text()
    assert "description: =\n" in gitops.state_file("shop-2").read_text()


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=40).filter(lambda text: not text.startswith("ENC["))


@pytest.mark.slow
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_any_declared_text_round_trips(gitops: GitOps, descriptions: list[str]) -> None:
    for path in gitops.repo.glob("state/credentials/*.sops.yaml"):
        path.unlink()
    _round_trip(gitops, descriptions)
