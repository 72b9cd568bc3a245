"""Commands that only read secrets start no sops process: the reader is the only read path."""

from __future__ import annotations

import json
import re

from tests.fixtures_gitops import US, GitOps
from tests.fixtures_state import SopsRecorder

READ_ONLY = [("verify",), ("token", "acme"), ("export", "acme", "--format", "json"),
             ("plan", "--refresh"), ("status", "--refresh")]


def test_read_only_commands_run_no_sops_process(gitops: GitOps,
                                                sops_recorder: SopsRecorder) -> None:
    gitops.declare([{"name": "acme", **US}])
    assert gitops.run("apply", "--yes").code == 0
    secret = gitops.app.client_secret
    assert gitops.run("app", "set-secret", "acme", input=secret + "\n").code == 0
    # The app's secret comes from its state file, so that read is exercised too.
    env: dict[str, str | None] = {"SPPROV_SOPS": str(sops_recorder.shim),
                                  "SPPROV_APP_ACME_CLIENT_SECRET": None}
    outputs = {}
    for args in READ_ONLY:
        result = gitops.run(*args, env=env)
        assert result.code == 0, (args, result.output)
        outputs[args[0]] = result.stdout
    assert sops_recorder.calls() == []
    assert outputs["verify"] == "verified 2 state files\n"
    assert re.fullmatch(r"Atza\|\S+\n", outputs["token"])
    exported = json.loads(outputs["export"])
    stored = gitops.emulator.refresh_tokens()[0]["refresh_token"]
    assert secret in json.dumps(exported) and stored in json.dumps(exported)
    # The recorder does record: a write still goes through the sops binary.
    gitops.declare([{"name": "acme", "description": "changed", **US}])
    assert gitops.run("apply", "--yes", env=env).code == 0
    assert [call[0] for call in sops_recorder.calls()] == ["--version", "set"]
