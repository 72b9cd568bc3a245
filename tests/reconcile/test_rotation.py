"""`spprov app rotate-secret APP` against the emulator, the real sops and moto's SQS server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from spprov.state.store import StateStore
from tests.fixtures_aws import DECLARED_QUEUE_URL, REGION, Sqs
from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps

NOTIFICATIONS = {"sqs_queue_url": DECLARED_QUEUE_URL, "aws_region": REGION}
WEEK = 7 * 24 * 3600


@pytest.fixture
def rotation(gitops: GitOps, sqs: Sqs) -> GitOps:
    """One app with a notifications queue, its secret stored in state (not the environment)."""
    gitops.emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    gitops.declare([{"name": "acme-us", **US}], notifications=NOTIFICATIONS)
    gitops.env.update(sqs.env)
    stored = gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret)
    assert stored.code == 0, stored.output
    del gitops.env["SPPROV_APP_ACME_CLIENT_SECRET"]
    return gitops


def lwa_accepts(gitops: GitOps, secret: str) -> bool:
    """Whether the emulator's LWA accepts the app's secret (a grantless grant)."""
    response = httpx.post(f"{gitops.emulator.url}/api.amazon.com/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
        "client_id": gitops.app.client_id, "client_secret": secret}, timeout=10)
    return response.status_code == 200


def stored_secret(gitops: GitOps) -> str:
    found = StateStore(gitops.repo, gitops.repo / "state", os.environ).app_secret("acme")
    assert found is not None
    return found.client_secret.reveal()


def notified_secrets(gitops: GitOps) -> list[str]:
    return [n["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
            for n in gitops.emulator.control("GET", "/notifications")["notifications"]]


def test_rotate_secret_end_to_end(rotation: GitOps, sqs: Sqs) -> None:
    old = rotation.app.client_secret
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 0, result.output
    new = stored_secret(rotation)
    assert new != old and notified_secrets(rotation) == [new]
    lines = result.stdout.splitlines()
    assert lines[0] == "stored the new client secret of app acme in state/apps/acme.sops.yaml"
    assert lines[1].startswith("the old client secret stops working at ")
    assert lines[1].endswith(" (in 7 days); until then both secrets work")
    assert f"notifications go to {DECLARED_QUEUE_URL}" in result.stderr
    assert new not in result.output and old not in result.output
    stats = rotation.emulator.stats()
    assert stats["rotation"] == 1 and stats["consent"] == 0
    assert sqs.bodies() == []  # acknowledged only after it was stored
    # Both secrets work for 7 days, then only the new one.
    assert lwa_accepts(rotation, new) and lwa_accepts(rotation, old)
    rotation.emulator.advance_clock(WEEK + 60)
    assert lwa_accepts(rotation, new) and not lwa_accepts(rotation, old)
    # The subscription made on the first run is reused: a second run makes none.
    young = rotation.run("app", "rotate-secret", "acme", "--if-older-than", "150d")
    assert (young.code, young.stdout.split(" is ")[0]) == (0, "client secret of app acme")
    assert young.stdout.endswith("not rotating (--if-older-than 150d)\n")
    assert rotation.emulator.stats()["rotation"] == 1


def test_subscription_is_made_once(rotation: GitOps) -> None:
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    client = rotation.app.client_id
    token = httpx.post(f"{rotation.emulator.url}/api.amazon.com/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
        "client_id": client, "client_secret": stored_secret(rotation)}).json()["access_token"]
    listed = httpx.get(f"{rotation.emulator.url}/sellingpartnerapi-na.amazon.com"
                       "/notifications/v1/destinations",
                       headers={"x-amz-access-token": token}).json()["payload"]
    assert [d["resource"]["sqs"]["arn"] for d in listed] == [
        "arn:aws:sqs:us-east-1:123456789012:spprov-rotation"]
    assert rotation.emulator.stats()["rotation"] == 2
    assert lwa_accepts(rotation, stored_secret(rotation))


def _spprov_process(gitops: GitOps, home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "spprov", *args], cwd=gitops.repo,
                            env=clean_env(home, dict(gitops.env)), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_killed_after_the_rotation_call_rerun_finishes_without_rotating(
        rotation: GitOps, sqs: Sqs, home: Path) -> None:
    # The emulator holds its 204 answer after rotating and sending the notification, so
    # spprov is killed right after Amazon rotated and before it heard back.
    rotation.emulator.control("POST", "/settings", {"hold_rotation_answer": True})
    process = _spprov_process(rotation, home, "app", "rotate-secret", "acme", "--wait", "1")
    try:
        deadline = time.monotonic() + 60
        while rotation.emulator.control("GET", "/rotations")["completed"] == 0:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        rotation.emulator.control("POST", "/settings", {"hold_rotation_answer": False})
        process.kill()
        process.communicate()
    assert stored_secret(rotation) == rotation.app.client_secret  # nothing stored yet
    assert len(sqs.bodies()) == 1
    rerun = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert rerun.code == 0, rerun.output
    assert rerun.stdout.splitlines()[:2] == [
        "app acme: used the notification of an earlier rotation (none requested now)",
        "stored the new client secret of app acme in state/apps/acme.sops.yaml"]
    assert rotation.emulator.stats()["rotation"] == 1
    assert rotation.emulator.control("GET", "/rotations")["completed"] == 1
    assert notified_secrets(rotation) == [stored_secret(rotation)]
    assert lwa_accepts(rotation, stored_secret(rotation))
    assert sqs.bodies() == []


def _rotate_behind_spprovs_back(gitops: GitOps, sqs: Sqs) -> str:
    """Rotate with the emulator's control and put the notification in the queue."""
    secret = str(gitops.emulator.control("POST", "/rotate-secret",
                                         {"client_id": gitops.app.client_id})["client_secret"])
    sqs.send(json.dumps(gitops.emulator.control("GET", "/notifications")["notifications"][-1]))
    return secret


def test_a_failed_store_keeps_the_message(rotation: GitOps, sqs: Sqs) -> None:
    new = _rotate_behind_spprovs_back(rotation, sqs)
    before = (rotation.repo / "state/apps/acme.sops.yaml").read_bytes()
    # Without an age identity sops cannot update the file: storing fails.
    failed = rotation.run("app", "rotate-secret", "acme", "--pending-only",
                          env={"SOPS_AGE_KEY_FILE": str(rotation.repo / "missing.txt")})
    assert failed.code == 1
    assert failed.stderr.startswith("spprov: cannot decrypt state/apps/acme.sops.yaml")
    assert (rotation.repo / "state/apps/acme.sops.yaml").read_bytes() == before
    assert len(sqs.bodies()) == 1  # the new secret is not lost
    again = rotation.run("app", "rotate-secret", "acme", "--pending-only")
    assert again.code == 0, again.output
    assert stored_secret(rotation) == new and sqs.bodies() == []
    assert rotation.emulator.stats()["rotation"] == 0


def test_a_refused_secret_is_not_stored(rotation: GitOps, sqs: Sqs) -> None:
    body: dict[str, Any] = {
        "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
        "payloadVersion": "2023-11-30", "eventTime": "2026-12-01T00:00:00Z",
        "payload": {"applicationOAuthClientNewSecret": {
            "clientId": rotation.app.client_id, "newClientSecret": "amzn1.oa2-cs.v1.forged",
            "oldClientSecretExpiryTime": "2026-12-08T00:00:00Z"}}}
    sqs.send(json.dumps(body))
    before = (rotation.repo / "state/apps/acme.sops.yaml").read_bytes()
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert (result.code, result.stderr) == (
        1, "spprov: app acme: LWA refused the new client secret from the "
           "APPLICATION_OAUTH_CLIENT_NEW_SECRET notification (event time "
           "2026-12-01T00:00:00Z); nothing was stored and the message stays in "
           f"{DECLARED_QUEUE_URL}\n")
    assert (rotation.repo / "state/apps/acme.sops.yaml").read_bytes() == before
    assert len(sqs.bodies()) == 1
    assert rotation.emulator.stats()["rotation"] == 0
    assert "forged" not in result.output


def test_other_apps_messages_are_left_alone(rotation: GitOps, sqs: Sqs) -> None:
    sqs.send("not json")
    sqs.send(json.dumps({"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                         "payload": {"applicationOAuthClientNewSecret": {
                             "clientId": "amzn1.application-oa2-client.other",
                             "newClientSecret": "amzn1.oa2-cs.v1.other"}}}))
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 0, result.output
    bodies = sqs.bodies()
    assert "not json" in bodies and len(bodies) == 2
    assert lwa_accepts(rotation, stored_secret(rotation))


def test_pending_only_with_an_empty_queue(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "1")
    assert (result.code, result.stderr) == (
        1, "spprov: no APPLICATION_OAUTH_CLIENT_NEW_SECRET notification for app acme is "
           f"waiting in {DECLARED_QUEUE_URL}\n")
    assert rotation.emulator.stats()["rotation"] == 0


def test_secret_from_the_environment_is_noted(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0",
                          env={"SPPROV_APP_ACME_CLIENT_SECRET": rotation.app.client_secret})
    assert result.code == 0, result.output
    assert ("note: SPPROV_APP_ACME_CLIENT_SECRET is set and takes precedence over "
            "state/apps/acme.sops.yaml: update it (e.g. the CI secret) before the old secret "
            "stops working\n") in result.stderr
    age = rotation.run("app", "rotate-secret", "acme", "--if-older-than", "1d",
                       env={"SPPROV_APP_ACME_CLIENT_SECRET": "x"})
    assert (age.code, age.stderr) == (
        1, "spprov: --if-older-than: the age of app acme's client secret is unknown: it "
           "comes from SPPROV_APP_ACME_CLIENT_SECRET; unset it to judge the stored secret\n")


def test_old_enough_rotates(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme", "--if-older-than", "0d", "--wait", "0")
    assert result.code == 0, result.output
    assert rotation.emulator.stats()["rotation"] == 1


@pytest.mark.parametrize(("args", "message"), [
    (("--if-older-than", "150"), "--if-older-than 150: expected a number of days like 150d"),
    (("--if-older-than", "150d"), None),
])
def test_bad_threshold(rotation: GitOps, args: tuple[str, ...], message: str | None) -> None:
    result = rotation.run("app", "rotate-secret", "acme", *args)
    if message is None:
        assert result.code == 0
    else:
        assert (result.code, result.stderr) == (1, f"spprov: {message}\n")


def test_app_without_notifications(gitops: GitOps, sqs: Sqs) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    result = gitops.run("app", "rotate-secret", "acme", env=sqs.env)
    assert (result.code, result.stderr) == (
        1, "spprov: app acme declares no notifications queue: add `notifications: "
           "{sqs_queue_url: ..., aws_region: ...}` under apps.acme in credentials.yaml (see "
           "docs/lifecycle.md)\n")
    assert gitops.run("app", "rotate-secret", "acne", env=sqs.env).stderr == (
        "spprov: app acne is not declared in credentials.yaml (declared: acme)\n")


def test_plain_http_endpoint_elsewhere_is_refused(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme",
                          env={"SPPROV_SQS_ENDPOINT_URL": "http://sqs.example.com"})
    assert (result.code, result.stderr) == (
        1, "spprov: SPPROV_SQS_ENDPOINT_URL: refusing plain http to sqs.example.com (allowed "
           "to loopback addresses only)\n")


def test_no_aws_credentials(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0",
                          env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                               "AWS_CONFIG_FILE": "/nonexistent",
                               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                               "AWS_EC2_METADATA_DISABLED": "true"})
    assert result.code == 1
    assert result.stderr == (
        f"spprov: cannot receive from SQS queue {DECLARED_QUEUE_URL}: no AWS credentials "
        "found; set them the usual AWS way (AWS_PROFILE, AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY, an instance or CI role)\n")
    assert rotation.emulator.stats()["rotation"] == 0


def test_missing_boto3_names_the_extra(rotation: GitOps, home: Path) -> None:
    # boto3 cannot be uninstalled for one test (the other tests need it), so this run
    # blocks its import the way Python does for a missing package: sys.modules[...] = None.
    program = ("import sys; sys.modules['boto3'] = None; from spprov.cli.main import main; "
               "sys.argv = ['spprov', 'app', 'rotate-secret', 'acme']; sys.exit(main())")
    done = subprocess.run([sys.executable, "-c", program], cwd=rotation.repo,
                          env=clean_env(home, dict(rotation.env)), capture_output=True,
                          text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (
        1, "spprov: this command needs boto3 to read the SQS queue: pip install "
           "'spprov[aws]'\n")
    assert rotation.emulator.stats()["rotation"] == 0


def test_killed_after_storing_the_rerun_only_deletes_the_message(rotation: GitOps,
                                                                 sqs: Sqs) -> None:
    new = _rotate_behind_spprovs_back(rotation, sqs)
    # As if a run stored the secret and was killed before it deleted the message.
    assert rotation.run("app", "set-secret", "acme", input=new).code == 0
    stored = (rotation.repo / "state/apps/acme.sops.yaml").read_bytes()
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "app acme: used the notification of an earlier rotation (none requested now)",
        "the new client secret of app acme was already stored in state/apps/acme.sops.yaml"]
    assert (rotation.repo / "state/apps/acme.sops.yaml").read_bytes() == stored
    assert sqs.bodies() == [] and rotation.emulator.stats()["rotation"] == 0
