"""`spprov app rotate-secret APP` against the emulator, the real sops and moto's SQS server.

The queue is registered the way Amazon documents it: by a person in the Developer
Console (the emulator's notification-preferences control stands in for the console), with
an access policy that lets Amazon's account send to it. No Notifications API call is made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from spprov.amazon.lwa import LwaClient
from spprov.amazon.sqs import Queue
from spprov.model import Notifications
from spprov.reconcile.rotation import Rotator, Trigger
from spprov.secret import Secret
from spprov.state.store import StateStore
from tests.fixtures_aws import DECLARED_QUEUE_URL, QUEUE_ARN, REGION, Sqs
from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import US, GitOps

NOTIFICATIONS = {"sqs_queue_url": DECLARED_QUEUE_URL, "aws_region": REGION}
WEEK = 7 * 24 * 3600
NEW_SECRET = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"


def enroll(gitops: GitOps, new_secret: str | None = QUEUE_ARN,
           expiry: str | None = QUEUE_ARN) -> None:
    """What a person does in the Developer Console's Notification Preferences."""
    gitops.emulator.control("POST", "/notification-preferences", {
        "client_id": gitops.app.client_id, "new_secret_queue_arn": new_secret,
        "secret_expiry_queue_arn": expiry})


@pytest.fixture
def rotation(gitops: GitOps, sqs: Sqs) -> GitOps:
    """One app with a registered queue, its secret stored in state (not the environment)."""
    gitops.emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    sqs.admit_amazon()
    enroll(gitops)
    gitops.declare([{"name": "acme-us", **US}], notifications=NOTIFICATIONS)
    gitops.env.update(sqs.env)
    stored = gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret)
    assert stored.code == 0, stored.output
    del gitops.env["SPPROV_APP_ACME_CLIENT_SECRET"]
    gitops.emulator.reset_stats()  # set-secret tried the secret with LWA
    return gitops


def lwa_accepts(gitops: GitOps, secret: str) -> bool:
    """Whether the emulator's LWA accepts the app's secret (a grantless grant)."""
    response = httpx.post(f"{gitops.emulator.url}/api.amazon.com/auth/o2/token", data={
        "grant_type": "client_credentials", "scope": "sellingpartnerapi::notifications",
        "client_id": gitops.app.client_id, "client_secret": secret}, timeout=10)
    return response.status_code == 200


def stored_secret(gitops: GitOps) -> str:
    found = StateStore(gitops.repo, gitops.repo / "state", os.environ).reader.app_secret("acme")
    assert found is not None
    return found.client_secret.reveal()


def notifications(gitops: GitOps) -> list[dict[str, Any]]:
    return list(gitops.emulator.control("GET", "/notifications")["notifications"])


def notified_secrets(gitops: GitOps) -> list[str]:
    return [n["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
            for n in notifications(gitops) if n["notificationType"] == NEW_SECRET]


def app_file(gitops: GitOps) -> bytes:
    return (gitops.repo / "state/apps/acme.sops.yaml").read_bytes()


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
    assert lines[2].startswith("the new client secret expires on ")
    assert lines[2].endswith(" (in 180 days)")
    assert result.stderr == (f"app acme: Amazon rotated the client secret; waiting up to 0 s "
                             f"for the notification in {DECLARED_QUEUE_URL}\n")
    assert new not in result.output and old not in result.output
    stats = rotation.emulator.stats()
    # No destination, no subscription: Amazon offers none for the application notifications.
    assert (stats["rotation"], stats["notifications"], stats["consent"]) == (1, 0, 0)
    assert sqs.bodies() == []  # acknowledged only after it was stored
    # The state file records what the notification said, readable.
    [sent] = notifications(rotation)
    content = sent["payload"]["applicationOAuthClientNewSecret"]
    text = (rotation.repo / "state/apps/acme.sops.yaml").read_text()
    assert f'\nsecret_event_time: "{sent["eventTime"]}"\n' in text
    expires = content["newClientSecretExpiryTime"][:19] + "Z"
    assert f'\nsecret_expires_at: "{expires}"\n' in text
    # Both secrets work for 7 days, then only the new one.
    assert lwa_accepts(rotation, new) and lwa_accepts(rotation, old)
    rotation.emulator.advance_clock(WEEK + 60)
    assert lwa_accepts(rotation, new) and not lwa_accepts(rotation, old)
    young = rotation.run("app", "rotate-secret", "acme", "--if-older-than", "150d")
    assert (young.code, young.stdout.split(" is ")[0]) == (0, "client secret of app acme")
    assert young.stdout.endswith("not rotating (--if-older-than 150d)\n")
    assert rotation.emulator.stats()["rotation"] == 1


def test_not_enrolled_prints_the_console_steps(rotation: GitOps, sqs: Sqs) -> None:
    enroll(rotation, new_secret=None, expiry=None)
    before = app_file(rotation)
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 1
    assert result.stderr == (
        "app acme: Amazon says the app is not enrolled for rotation notifications; only a "
        "person can register the queue (there is no API for it):\n"
        "  1. sign in to the Solution Provider Portal (or Seller Central > Apps and Services "
        "> Develop Apps, or Vendor Central > Integration > API Integration)\n"
        "  2. open the app's Notification Preferences and, in the row \"Application Client "
        f"New Secret\", enter the SQS queue ARN {QUEUE_ARN}\n"
        "  3. save, then run `spprov app rotate-secret acme` again\n")
    assert app_file(rotation) == before and sqs.bodies() == []
    assert lwa_accepts(rotation, rotation.app.client_secret)  # Amazon rotated nothing
    assert rotation.emulator.control("GET", "/rotations")["completed"] == 0
    # Once registered, the same command works.
    enroll(rotation)
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    assert lwa_accepts(rotation, stored_secret(rotation))


@pytest.mark.parametrize(("statements", "missing"), [
    ((), "sqs:SendMessage and sqs:GetQueueAttributes"),
    (({"Effect": "Allow", "Principal": {"AWS": "437568002678"}, "Action": "sqs:SendMessage",
       "Resource": QUEUE_ARN},), "sqs:GetQueueAttributes"),
    (({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
       "Action": "sqs:*", "Resource": "*"},), "sqs:SendMessage and sqs:GetQueueAttributes"),
])
def test_a_policy_without_amazon_says_what_to_add(rotation: GitOps, sqs: Sqs,
                                                   statements: tuple[dict[str, Any], ...],
                                                   missing: str) -> None:
    sqs.set_policy(*statements)
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    statement = json.dumps({"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::437568002678:root"}, "Action": [
        "sqs:SendMessage", "sqs:GetQueueAttributes"], "Resource": QUEUE_ARN})
    assert (result.code, result.stderr) == (1, (
        f"spprov: SQS queue {DECLARED_QUEUE_URL}: its policy does not let Amazon's SP-API "
        f"(AWS account 437568002678) {missing}, so Amazon cannot deliver the new secret: add "
        f"the statement {statement} to the queue's access policy\n"))
    assert rotation.emulator.stats()["total"] == 0  # checked before anything is asked


def test_a_missing_queue_is_one_line(rotation: GitOps, sqs: Sqs) -> None:
    sqs.client.delete_queue(QueueUrl=sqs.queue_url)
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert (result.code, result.stderr) == (1, (
        f"spprov: SQS queue {DECLARED_QUEUE_URL} does not exist: create it (a standard "
        "queue) or correct notifications.sqs_queue_url in the app's declaration\n"))
    assert rotation.emulator.stats()["total"] == 0


def test_sandbox_apps_are_refused(gitops: GitOps, sqs: Sqs) -> None:
    gitops.declare([{"name": "acme-sandbox", "seller_central_url": US["seller_central_url"],
                     "sp_api_endpoint": "https://sandbox.sellingpartnerapi-na.amazon.com"}],
                   notifications=NOTIFICATIONS)
    result = gitops.run("app", "rotate-secret", "acme", "--wait", "0", env=sqs.env)
    assert (result.code, result.stderr) == (1, (
        "spprov: app acme: every credential declared for it uses the SP-API sandbox, and "
        "Amazon's rotateApplicationClientSecret cannot be called for a sandbox application; "
        "rotate the secret of the production app (or declare one of its production "
        "credentials)\n"))
    assert gitops.emulator.stats()["total"] == 0


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


def _rotate_behind_spprovs_back(gitops: GitOps) -> str:
    """Rotate with the emulator's control; Amazon sends the notification to the queue."""
    return str(gitops.emulator.control("POST", "/rotate-secret",
                                       {"client_id": gitops.app.client_id})["client_secret"])


def test_a_failed_store_keeps_the_message(rotation: GitOps, sqs: Sqs) -> None:
    new = _rotate_behind_spprovs_back(rotation)
    before = app_file(rotation)
    # Without an age identity sops cannot update the file: storing fails.
    failed = rotation.run("app", "rotate-secret", "acme", "--pending-only",
                          env={"SOPS_AGE_KEY_FILE": str(rotation.repo / "missing.txt")})
    assert failed.code == 1
    assert failed.stderr.startswith("spprov: cannot decrypt state/apps/acme.sops.yaml")
    assert app_file(rotation) == before
    assert len(sqs.bodies()) == 1  # the new secret is not lost
    again = rotation.run("app", "rotate-secret", "acme", "--pending-only")
    assert again.code == 0, again.output
    assert stored_secret(rotation) == new and sqs.bodies() == []
    assert rotation.emulator.stats()["rotation"] == 0


def test_a_late_notification_never_replaces_a_newer_secret(rotation: GitOps, sqs: Sqs) -> None:
    # Amazon's clock runs ahead of spprov's here, so spprov sees no rotation in the last
    # minute and does not wait it out (the rate is the next tests' subject).
    rotation.emulator.advance_clock(61)
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    first = notifications(rotation)[-1]
    rotation.emulator.advance_clock(61)  # Amazon's one rotation a minute
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    newest = stored_secret(rotation)
    before = app_file(rotation)
    sqs.send(json.dumps(first))  # SQS delivers the first rotation's message again, late
    late = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "0")
    assert (late.code, late.stderr) == (1, (
        f"app acme: deleted a {NEW_SECRET} notification (event time {first['eventTime']}) "
        f"from {DECLARED_QUEUE_URL}: older than the stored secret\n"
        f"spprov: no new {NEW_SECRET} notification for app acme is waiting in "
        f"{DECLARED_QUEUE_URL}\n"))
    assert stored_secret(rotation) == newest and app_file(rotation) == before
    assert sqs.bodies() == []
    assert lwa_accepts(rotation, newest)


def test_duplicates_are_harmless(rotation: GitOps, sqs: Sqs) -> None:
    new = _rotate_behind_spprovs_back(rotation)
    sqs.send(json.dumps(notifications(rotation)[-1]))  # at least once: here twice
    result = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "0")
    assert result.code == 0, result.output
    assert result.stderr == (
        f"app acme: deleted a {NEW_SECRET} notification (event time "
        f"{notifications(rotation)[-1]['eventTime']}) from {DECLARED_QUEUE_URL}: a duplicate "
        "of the stored secret's notification\n")
    assert stored_secret(rotation) == new and sqs.bodies() == []
    stored = app_file(rotation)
    sqs.send(json.dumps(notifications(rotation)[-1]))  # and once more, after it was stored
    again = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "0")
    assert again.code == 0, again.output
    assert again.stdout.splitlines()[1] == (
        "the new client secret of app acme was already stored in state/apps/acme.sops.yaml")
    assert app_file(rotation) == stored and sqs.bodies() == []
    assert rotation.emulator.stats()["rotation"] == 0


def test_a_stale_message_whose_secret_lwa_refuses_is_deleted_and_reported(
        rotation: GitOps, sqs: Sqs) -> None:
    # Two rotations; the second one's message was consumed elsewhere; a week later the
    # first one's secret is dead, and its message must not block every later run.
    _rotate_behind_spprovs_back(rotation)
    stale = notifications(rotation)[-1]
    rotation.emulator.advance_clock(61)
    _rotate_behind_spprovs_back(rotation)
    for message in sqs.client.receive_message(QueueUrl=sqs.queue_url, MaxNumberOfMessages=10,
                                              VisibilityTimeout=0)["Messages"]:
        if json.loads(message["Body"])["eventTime"] != stale["eventTime"]:
            sqs.client.delete_message(QueueUrl=sqs.queue_url,
                                      ReceiptHandle=message["ReceiptHandle"])
    rotation.emulator.advance_clock(WEEK + 60)
    before = app_file(rotation)
    result = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "0")
    assert (result.code, result.stderr) == (1, (
        f"app acme: deleted a {NEW_SECRET} notification (event time {stale['eventTime']}) "
        f"from {DECLARED_QUEUE_URL}: its secret is refused by LWA (replaced by a later "
        "rotation)\n"
        f"spprov: no new {NEW_SECRET} notification for app acme is waiting in "
        f"{DECLARED_QUEUE_URL}\n"))
    assert app_file(rotation) == before and sqs.bodies() == []
    again = rotation.run("app", "rotate-secret", "acme", "--pending-only", "--wait", "0")
    assert again.stderr == (f"spprov: no new {NEW_SECRET} notification for app acme is "
                            f"waiting in {DECLARED_QUEUE_URL}\n")


def test_a_forged_message_is_deleted_and_the_rotation_goes_on(rotation: GitOps,
                                                               sqs: Sqs) -> None:
    sqs.send(json.dumps({
        "notificationVersion": "1.0", "notificationType": NEW_SECRET,
        "payloadVersion": "2023-11-30", "eventTime": "2099-12-01T00:00:00.000Z",
        "payload": {"applicationOAuthClientNewSecret": {
            "clientId": rotation.app.client_id, "newClientSecret": "amzn1.oa2-cs.v1.forged",
            "newClientSecretExpiryTime": "2100-05-30T00:00:00.000Z",
            "oldClientSecretExpiryTime": "2099-12-08T00:00:00.000Z"}}}))
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 0, result.output
    assert result.stderr.startswith(
        f"app acme: deleted a {NEW_SECRET} notification (event time 2099-12-01T00:00:00.000Z) "
        f"from {DECLARED_QUEUE_URL}: its secret is refused by LWA (replaced by a later "
        "rotation)\n")
    assert lwa_accepts(rotation, stored_secret(rotation)) and sqs.bodies() == []
    assert rotation.emulator.stats()["rotation"] == 1
    assert "forged" not in result.output


def test_on_expiry_notice_rotates_only_when_amazon_announced_the_expiry(
        rotation: GitOps, sqs: Sqs) -> None:
    quiet = rotation.run("app", "rotate-secret", "acme", "--on-expiry-notice", "--wait", "0")
    assert (quiet.code, quiet.stdout) == (0, (
        "app acme: no APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notice waiting in "
        f"{DECLARED_QUEUE_URL}; not rotating (--on-expiry-notice)\n"))
    assert rotation.emulator.stats()["rotation"] == 0
    rotation.emulator.control("POST", "/secret-expiry-notice",
                              {"client_id": rotation.app.client_id})
    notice = json.loads(sqs.bodies()[0])
    assert notice["notificationType"] == "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
    assert notice["payload"]["applicationOAuthClientSecretExpiry"][
        "clientSecretExpiryReason"] == "PERIODIC_ROTATION"
    rotated = rotation.run("app", "rotate-secret", "acme", "--on-expiry-notice", "--wait", "0")
    assert rotated.code == 0, rotated.output
    assert rotated.stdout.startswith("stored the new client secret of app acme")
    assert rotation.emulator.stats()["rotation"] == 1
    assert sqs.bodies() == []  # the notice went with the secret it announced
    assert lwa_accepts(rotation, stored_secret(rotation))
    # A notice about the secret just replaced, delivered late, rotates nothing.
    sqs.send(json.dumps(notice))
    late = rotation.run("app", "rotate-secret", "acme", "--on-expiry-notice", "--wait", "0")
    assert late.code == 0, late.output
    assert late.stdout.endswith("not rotating (--on-expiry-notice)\n")
    assert "deleted a APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY notice" in late.stderr
    assert rotation.emulator.stats()["rotation"] == 1 and sqs.bodies() == []


def test_expiry_notice_not_enrolled_names_both_rows(rotation: GitOps, sqs: Sqs) -> None:
    enroll(rotation, new_secret=None)
    rotation.emulator.control("POST", "/secret-expiry-notice",
                              {"client_id": rotation.app.client_id})
    result = rotation.run("app", "rotate-secret", "acme", "--on-expiry-notice", "--wait", "0")
    assert result.code == 1
    assert ('in the row "Application Client New Secret" and "Application Client Secret '
            f'Expiry", enter the SQS queue ARN {QUEUE_ARN}\n') in result.stderr
    assert len(sqs.bodies()) == 1  # the notice stays for the run after the registration


def test_amazons_rate_limit_is_one_line(rotation: GitOps, sqs: Sqs) -> None:
    _rotate_behind_spprovs_back(rotation)  # a rotation a moment ago, e.g. from the console
    sqs.client.purge_queue(QueueUrl=sqs.queue_url)
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert (result.code, result.stderr) == (1, (
        "spprov: Amazon refused the client secret rotation: it allows one a minute (usage "
        "plan 0.0167 requests/s, burst 1); wait a minute and run again (a notification of "
        "the earlier rotation is collected first)\n"))
    assert rotation.emulator.stats()["rotation"] == 1  # asked once, not retried


def test_the_rotator_waits_out_the_rate_after_its_own_rotation(
        rotation: GitOps, sqs: Sqs, monkeypatch: pytest.MonkeyPatch) -> None:
    # In process: the library function, with its sleep moving the emulator's clock, so the
    # minute passes for Amazon without the test waiting for it.
    assert rotation.run("app", "rotate-secret", "acme", "--wait", "0").code == 0
    for name, value in sqs.env.items():  # boto3 reads its credentials from the environment
        monkeypatch.setenv(name, value)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        rotation.emulator.advance_clock(seconds)

    store = StateStore(rotation.repo, rotation.repo / "state", os.environ)
    app = _declared_app(rotation)
    said: list[str] = []
    environ = sqs.env
    with LwaClient(amazon_url=rotation.emulator.url) as lwa:
        rotator = Rotator(app, "https://sellingpartnerapi-na.amazon.com", lwa,
                          Queue(Notifications(DECLARED_QUEUE_URL, REGION), environ), store,
                          lambda: Secret(stored_secret(rotation)),
                          lambda: datetime.now(UTC), said.append, 0, Trigger.ALWAYS, sleep)
        result = rotator.run()
    assert result.rotated_now and result.stored
    assert len(waits) == 1 and 50 < waits[0] <= 60
    assert said[0].startswith("app acme: the last rotation was ")
    assert said[0].endswith(" s ago; Amazon allows one a minute: waiting "
                            f"{waits[0]:.0f} s")
    assert rotation.emulator.stats()["rotation"] == 2
    assert lwa_accepts(rotation, stored_secret(rotation))


def _declared_app(gitops: GitOps) -> Any:
    from spprov.declaration.loader import load_desired

    return load_desired(gitops.repo / "credentials.yaml").apps["acme"]


def test_other_apps_messages_are_left_alone(rotation: GitOps, sqs: Sqs) -> None:
    sqs.send("not json")
    sqs.send(json.dumps({"notificationType": NEW_SECRET,
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
        1, f"spprov: no new {NEW_SECRET} notification for app acme is "
           f"waiting in {DECLARED_QUEUE_URL}\n")
    assert rotation.emulator.stats()["rotation"] == 0


def test_pending_only_and_on_expiry_notice_exclude_each_other(rotation: GitOps) -> None:
    result = rotation.run("app", "rotate-secret", "acme", "--pending-only",
                          "--on-expiry-notice")
    assert (result.code, result.stderr) == (
        1, "spprov: --pending-only and --on-expiry-notice exclude each other\n")


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
    # A process of its own: boto3's chain (config files, instance roles) reads only the
    # process's environment, so the test process's could otherwise lend it credentials.
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0",
                          env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                               "AWS_CONFIG_FILE": "/nonexistent",
                               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                               "AWS_EC2_METADATA_DISABLED": "true"}, process=True)
    assert result.code == 1
    assert result.stderr == (
        f"spprov: cannot read the attributes of SQS queue {DECLARED_QUEUE_URL}: no AWS "
        "credentials found; set them the usual AWS way (AWS_PROFILE, AWS_ACCESS_KEY_ID/"
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
        1, "spprov: this command needs boto3 to read the SQS queue: install it into spprov's "
           "environment (`pip install boto3`, which is all spprov's aws extra adds)\n")
    assert rotation.emulator.stats()["rotation"] == 0


def test_killed_after_storing_the_rerun_only_deletes_the_message(rotation: GitOps,
                                                                 sqs: Sqs) -> None:
    new = _rotate_behind_spprovs_back(rotation)
    # As if a run stored the secret and was killed before it deleted the message.
    assert rotation.run("app", "set-secret", "acme", input=new).code == 0
    stored = app_file(rotation)
    result = rotation.run("app", "rotate-secret", "acme", "--wait", "0")
    assert result.code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "app acme: used the notification of an earlier rotation (none requested now)",
        "the new client secret of app acme was already stored in state/apps/acme.sops.yaml"]
    assert app_file(rotation) == stored
    assert sqs.bodies() == [] and rotation.emulator.stats()["rotation"] == 0
