"""Warnings in `plan` and `apply`: renewals due and aging client secrets, once per run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from spprov.health import AppSecretInfo, SecretSource
from spprov.reconcile.advice import advice
from spprov.reconcile.planner import build_plan
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import make_record
from tests.reconcile.test_status import EXPIRES, RENEWAL_DUE, SECOND, SECRET_SET, desired

ENV = {"acme": AppSecretInfo(SecretSource.ENVIRONMENT)}


@pytest.mark.parametrize(("now", "expected"), [
    (RENEWAL_DUE - SECOND, []),
    (RENEWAL_DUE, ["spprov: warning: acme-us: authorization expires 2027-11-28 (in 30 days); "
                   "renew with spprov apply"]),
    (EXPIRES, ["spprov: warning: acme-us: authorization expired 2027-11-28 (today); "
               "renew with spprov apply"]),
])
def test_renewal_warning_boundaries(now: object, expected: list[str]) -> None:
    declared = desired("acme-us")
    plan = build_plan(declared, {"acme-us": make_record()}, now)  # type: ignore[arg-type]
    assert advice(plan, declared, ENV, now) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("age", "expected"), [
    (timedelta(days=90) - SECOND, []),
    (timedelta(days=90), ["spprov: warning: app acme: client secret set 90 days ago; rotate it "
                          "before 2026-06-30 (180-day deadline) with spprov app "
                          "rotate-secret acme"]),
])
def test_secret_warning_boundaries(age: timedelta, expected: list[str]) -> None:
    declared = desired("acme-us")
    now = SECRET_SET + age
    plan = build_plan(declared, {}, now)
    secrets = {"acme": AppSecretInfo(SecretSource.STATE, SECRET_SET)}
    assert advice(plan, declared, secrets, now) == expected


def test_plan_and_apply_warn_once_on_stderr(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}], authorization_lifetime_days=20)
    created = gitops.run("apply", "--yes")
    assert created.code == 0, created.output
    plan = gitops.run("plan")
    warning = "spprov: warning: acme-us: authorization expires "
    assert plan.stderr.count(warning) == 1, plan.stderr
    assert plan.stderr.endswith("(in 20 days); renew with spprov apply\n")
    assert warning not in plan.stdout
    quiet = gitops.run("-q", "plan")
    assert quiet.stderr == ""
    applied = gitops.run("apply", "--yes")
    assert applied.stderr.count(warning) == 1, applied.stderr
    assert "acme-us: renewed" in applied.stdout
