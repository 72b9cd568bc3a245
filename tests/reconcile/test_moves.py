"""`moved` entries in the pure planner: renames plan `move`, never a consent."""

from __future__ import annotations

from dataclasses import replace

from spprov.health import Severity
from spprov.model import Action, AppMove, Desired, Moved
from spprov.reconcile.assess import assess
from spprov.reconcile.planner import build_plan
from tests.reconcile.test_plan import ACME, EU_PROD, EU_SELLER, NOW, credential, record

ACME_NA = replace(ACME, name="acme-na")
OTHER_CLIENT = replace(ACME, name="acme-na", client_id="amzn1.application-oa2-client.new")


def test_a_renamed_credential_is_a_move() -> None:
    old = credential("acme-old")
    desired = Desired({"acme": ACME}, (credential("acme-us"),),
                      (Moved("acme-old", "acme-us"),))
    plan = build_plan(desired, {"acme-old": record(old)}, NOW)
    (change,) = plan.changes
    assert (change.name, change.action, change.moved_from) == ("acme-us", Action.MOVE,
                                                                "acme-old")
    assert change.reasons == ("moved from acme-old (moved entry)",)
    assert change.stored is not None and change.stored.name == "acme-us"
    assert not change.action.needs_person and plan.has_changes() and plan.notes == ()


def test_a_move_with_a_description_change_is_still_a_move() -> None:
    desired = Desired({"acme": ACME}, (credential("acme-us", description="new"),),
                      (Moved("acme-old", "acme-us"),))
    plan = build_plan(desired, {"acme-old": record(credential("acme-old"))}, NOW)
    (change,) = plan.changes
    assert (change.action, change.updates) == (Action.MOVE, ("description",))
    assert change.reasons == ("moved from acme-old (moved entry)", "description changed")


def test_a_move_that_also_needs_a_consent_keeps_the_stronger_action() -> None:
    moved_to_eu = credential("acme-eu", EU_SELLER, EU_PROD)
    desired = Desired({"acme": ACME}, (moved_to_eu,), (Moved("acme-old", "acme-eu"),))
    plan = build_plan(desired, {"acme-old": record(credential("acme-old"))}, NOW)
    (change,) = plan.changes
    assert (change.action, change.moved_from) == (Action.REAUTHORIZE, "acme-old")


def test_entries_that_match_nothing_are_notes() -> None:
    desired = Desired({"acme-na": ACME_NA}, (credential("acme-us", app="acme-na"),
                                             credential("acme-two", app="acme-na")),
                      (Moved("gone", "acme-us"), Moved("acme-us", "nowhere"),
                       Moved("acme-two", "acme-us"), Moved("ghost", "acme-na", app=True)))
    stored = {"acme-us": record(credential("acme-us", app="acme-na"), ACME_NA),
              "acme-two": record(credential("acme-two", app="acme-na"), ACME_NA)}
    plan = build_plan(desired, stored, NOW)
    assert [c.action for c in plan.changes] == [Action.NOOP, Action.NOOP]
    assert plan.notes == (
        "moved gone -> acme-us: no state file gone (already moved?); nothing to do, the "
        "entry can be removed",
        "moved acme-us -> nowhere: acme-us is still declared; not moved",
        "moved acme-two -> acme-us: acme-two is still declared; not moved",
        "moved app ghost -> app acme-na: nothing is stored under app ghost; nothing to do, "
        "the entry can be removed")
    assert not plan.has_changes()


def test_a_renamed_app_with_the_same_client_id_is_a_move() -> None:
    declared = credential("acme-us", app="acme-na")
    desired = Desired({"acme-na": ACME_NA}, (declared,), (Moved("acme", "acme-na", app=True),))
    stored = {"acme-us": record(credential("acme-us"))}
    plan = build_plan(desired, stored, NOW, stored_apps=["acme"])
    (change,) = plan.changes
    assert (change.action, change.moved_from) == (Action.MOVE, None)
    assert change.reasons == ("app: acme -> acme-na (moved entry, same client_id)",)
    assert plan.app_moves == (AppMove("acme", "acme-na"),)
    without = build_plan(replace(desired, moved=()), stored, NOW, stored_apps=["acme"])
    assert without.changes[0].action is Action.REAUTHORIZE  # as before: no entry, no move


def test_a_renamed_app_with_another_client_id_is_not_a_move() -> None:
    desired = Desired({"acme-na": OTHER_CLIENT}, (credential("acme-us", app="acme-na"),),
                      (Moved("acme", "acme-na", app=True),))
    plan = build_plan(desired, {"acme-us": record(credential("acme-us"))}, NOW,
                      stored_apps=["acme"])
    assert plan.changes[0].action is Action.REAUTHORIZE
    assert plan.app_moves == ()
    assert plan.notes == ("moved app acme -> app acme-na: the client_id differs: the client "
                          "secret file is not moved, and these need a new authorization: "
                          "acme-us",)


def test_an_existing_secret_file_of_the_new_app_is_kept() -> None:
    desired = Desired({"acme-na": ACME_NA}, (), (Moved("acme", "acme-na", app=True),))
    plan = build_plan(desired, {}, NOW, stored_apps=["acme", "acme-na"])
    assert plan.app_moves == ()
    assert plan.notes == ("moved app acme -> app acme-na: a client secret file for app "
                          "acme-na exists already; the one of app acme is kept",)


def test_status_shows_a_pending_move() -> None:
    desired = Desired({"acme": ACME}, (credential("acme-us"),), (Moved("acme-old", "acme-us"),))
    health = assess(desired, {"acme-old": record(credential("acme-old"))}, {}, NOW)
    (row,) = health.credentials
    assert (row.name, row.declared, row.severity) == ("acme-us", True, Severity.WARNING)
    assert [(f.code, f.message) for f in row.findings] == [
        ("move_pending", "renamed by a moved entry (moved from acme-old (moved entry)); run "
                         "spprov apply")]
