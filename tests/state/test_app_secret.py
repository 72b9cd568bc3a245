"""`spprov app set-secret APP`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spprov.state.store import StateStore
from tests.declarations import ACME_APP
from tests.fixtures_cli import RunSpprov
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import SopsRecorder

SECRET = "amzn1.oa2-cs.v1.0123456789abcdef"
DECLARATION = ACME_APP + "credentials: []\n"


@pytest.fixture
def base_env(age_env: dict[str, str]) -> dict[str, str]:
    return age_env


def test_set_secret_from_stdin(spprov: RunSpprov, state_repo: Path) -> None:
    result = spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET + "\n")
    assert (result.code, result.stdout, result.stderr) == (
        0, "stored client secret of app acme in state/apps/acme.sops.yaml\n", "")
    text = (state_repo / "state/apps/acme.sops.yaml").read_text()
    assert SECRET not in text
    assert text.startswith("format: 2\napp: acme\nset_at: \"")
    stored = StateStore(state_repo, state_repo / "state", os.environ).reader.app_secret("acme")
    assert stored is not None and stored.client_secret.reveal() == SECRET
    before = (state_repo / "state/apps/acme.sops.yaml").read_bytes()
    again = spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET)
    assert again.stdout == "client secret of app acme unchanged in state/apps/acme.sops.yaml\n"
    assert (state_repo / "state/apps/acme.sops.yaml").read_bytes() == before


@pytest.mark.parametrize(("given", "message"), [
    ("", "spprov: no client secret on stdin: pipe it in, e.g. "
         "`spprov app set-secret APP < secret.txt`\n"),
    ("\n", "spprov: no client secret on stdin: pipe it in, e.g. "
           "`spprov app set-secret APP < secret.txt`\n"),
    ("a\nb\n", "spprov: the client secret on stdin has several lines; give it on one line\n"),
])
def test_bad_stdin(spprov: RunSpprov, state_repo: Path, given: str, message: str) -> None:
    result = spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=given)
    assert (result.code, result.stderr) == (1, message)
    assert not (state_repo / "state").exists()


def test_undeclared_app_is_refused(spprov: RunSpprov, state_repo: Path) -> None:
    (state_repo / "credentials.yaml").write_text(DECLARATION)
    result = spprov("app", "set-secret", "acne", "--no-check", cwd=state_repo, input=SECRET)
    assert (result.code, result.stderr) == (
        1, "spprov: app acne is not declared in credentials.yaml (declared: acme)\n")
    bad = spprov("app", "set-secret", "../x", "--no-check", cwd=state_repo, input=SECRET)
    assert bad.stderr == "spprov: '../x' is not an app name (^[a-z0-9][a-z0-9-]{0,62}$)\n"
    assert spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET).code == 0


def test_env_variable_takes_precedence_note(spprov: RunSpprov, state_repo: Path) -> None:
    result = spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET,
                    env={"SPPROV_APP_ACME_CLIENT_SECRET": "other"})
    assert result.code == 0
    assert result.stderr == ("note: SPPROV_APP_ACME_CLIENT_SECRET is set and takes precedence "
                             "over state/apps/acme.sops.yaml\n")
    assert "other" not in result.stdout


def test_secret_never_in_sops_argv(spprov: RunSpprov, state_repo: Path,
                                   sops_recorder: SopsRecorder) -> None:
    env = {"SPPROV_SOPS": str(sops_recorder.shim)}
    spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET, env=env)
    spprov("app", "set-secret", "acme", "--no-check", cwd=state_repo, input=SECRET + "2", env=env)
    calls = sops_recorder.calls()
    # The second run decrypts in-process to compare, then writes the new secret as a whole
    # new file.
    assert [c[2] if c[0] == "--config" else c[0] for c in calls] == [
        "--version", "encrypt", "--version", "encrypt"]
    assert all(SECRET not in arg for call in calls for arg in call)


# -- the secret is tried with LWA before it is stored ---------------------------------------

def test_a_secret_lwa_accepts_is_stored(gitops: GitOps) -> None:
    gitops.declare([])
    result = gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret)
    assert (result.code, result.stdout) == (
        0, "stored client secret of app acme in state/apps/acme.sops.yaml\n")
    stats = gitops.emulator.stats()
    assert (stats["token"], stats["total"]) == (1, 1)  # one client_credentials grant


def test_a_refused_secret_is_not_stored(gitops: GitOps) -> None:
    gitops.declare([])
    result = gitops.run("app", "set-secret", "acme", input="notasecret\n")
    assert (result.code, result.stdout, result.stderr) == (
        1, "", f"spprov: LWA refused the client secret of app acme (client "
               f"{gitops.app.client_id}): nothing was stored; check that it is the app's "
               "current secret\n")
    assert not (gitops.repo / "state").exists()
    assert "notasecret" not in result.output


@pytest.mark.slow  # spprov retries the refused connection with backoff for about 12 s
def test_an_unreachable_lwa_stores_nothing_unless_no_check(gitops: GitOps) -> None:
    gitops.declare([])
    offline = {"SPPROV_AMAZON_URL": "http://127.0.0.1:9"}
    result = gitops.run("app", "set-secret", "acme", input=SECRET, env=offline)
    assert result.code == 1
    assert result.stderr.startswith("spprov: could not try the client secret of app acme: ")
    assert result.stderr.endswith("; nothing was stored (--no-check stores it untried, e.g. "
                                  "offline)\n")
    assert not (gitops.repo / "state").exists()
    stored = gitops.run("app", "set-secret", "acme", "--no-check", input=SECRET, env=offline)
    assert stored.code == 0 and (gitops.repo / "state/apps/acme.sops.yaml").is_file()


def test_checking_needs_the_declaration(spprov: RunSpprov, state_repo: Path) -> None:
    result = spprov("app", "set-secret", "acme", cwd=state_repo, input=SECRET)
    assert (result.code, result.stderr) == (
        1, "spprov: no credentials.yaml or credentials/ folder in the current folder; run "
           "`spprov init` to create one, or pass --config PATH (the secret is tried with the "
           "client_id declared for app acme; --no-check stores it untried)\n")
    assert not (state_repo / "state").exists()


def test_rejected_secret_advice_names_the_environment_variable(gitops: GitOps) -> None:
    gitops.declare([{"name": "acme-us", **US}])
    assert gitops.run("apply", "--yes").code == 0
    result = gitops.run("token", "acme-us", env={"SPPROV_APP_ACME_CLIENT_SECRET": "wrong"})
    assert result.code == 1
    assert (f"client secret rejected for client {gitops.app.client_id}: it comes from "
            "SPPROV_APP_ACME_CLIENT_SECRET; set it to the app's current secret, or rotate it "
            "with `spprov app rotate-secret acme` and then update "
            "SPPROV_APP_ACME_CLIENT_SECRET") in result.stderr
    stored = gitops.run("app", "set-secret", "acme", input=gitops.app.client_secret)
    assert stored.code == 0
    again = gitops.run("token", "acme-us", env={"SPPROV_APP_ACME_CLIENT_SECRET": None,
                                                "SPPROV_AMAZON_URL": gitops.emulator.url})
    assert again.code == 0
