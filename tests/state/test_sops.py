"""spprov.state.sops with the real sops binary: argv, version check, exit codes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from spprov.errors import SopsError, StateError
from spprov.secret import Secret
from spprov.state.sops import SopsRunner, explain, parse_version
from spprov.state.store import StateStore
from tests.fixtures_state import TOKEN, SopsRecorder, make_record

REL = "state/credentials/acme-us.sops.yaml"


def identity_recipient(repo: Path) -> str:
    """The one age recipient the test repository's .sops.yaml names."""
    return (repo / ".sops.yaml").read_text().split("age: >-\n")[1].strip()


def runner(repo: Path, **environ: str) -> SopsRunner:
    """A runner of its own, with ``environ`` added to the process's environment."""
    store = StateStore(repo, repo / "state", os.environ)
    return SopsRunner(repo, {**os.environ, **environ}, store.trust)


def test_no_secret_in_any_sops_argv(state_repo: Path, sops_recorder: SopsRecorder,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPPROV_SOPS", str(sops_recorder.shim))
    store = StateStore(state_repo, state_repo / "state", os.environ)
    store.writer.write(make_record(), Secret(TOKEN))
    store.writer.write(make_record(description="changed"), Secret("Atzr|second-token"))
    store.reader.decrypt("acme-us")
    store.writer.set_app_secret("acme", Secret("amzn1.oa2-cs.v1.client-secret"),
                         make_record().authorized_at)
    store.writer.write(make_record(description="third"), None)
    calls = sops_recorder.calls()
    # A new secret is always a whole new file (new data key); metadata alone is `sops set`;
    # reading runs no sops process.
    assert [call[2] if call[0] == "--config" else call[0] for call in calls] == [
        "--version", "encrypt", "encrypt", "encrypt", "set"]
    recipient = identity_recipient(state_repo)
    assert calls[1] == ["--config", os.devnull, "encrypt", "--filename-override", REL,
                        "--input-type", "json", "--output-type", "yaml", "--encrypted-regex",
                        "^(refresh_token|client_secret)$", "--age", recipient]
    assert calls[4][:3] == ["set", "--idempotent", "--value-stdin"]
    assert calls[4][4] == '["description"]'
    joined = "\n".join("\t".join(call) for call in calls)
    for secret in (TOKEN, "Atzr|second-token", "client-secret", "Atzr"):
        assert secret not in joined


def test_path_regex_matches_the_paths_spprov_passes(state_repo: Path) -> None:
    store = StateStore(state_repo, state_repo / "state", os.environ)
    recipient = identity_recipient(state_repo)
    for path in (state_repo / REL, Path(REL), state_repo / "state/apps/acme.sops.yaml",
                 state_repo / "state/credentials/.spprov-tmp-x1-acme-us.sops.yaml"):
        rule = store.trust.rule_for(path if path.is_absolute() else state_repo / path)
        assert rule.recipients == {recipient}
        assert runner(state_repo).encrypt(path, Secret('{"refresh_token": "x"}')).startswith(
            b"refresh_token: ENC[")
    with pytest.raises(StateError, match=re.escape(
            "no creation rule in .sops.yaml matches state/other/x.sops.yaml: run `spprov init`")):
        store.trust.rule_for(state_repo / "state/other/x.sops.yaml")


def test_missing_binary(state_repo: Path) -> None:
    sops = runner(state_repo, SPPROV_SOPS="/nonexistent/sops")
    with pytest.raises(SopsError, match=re.escape(
            "cannot run sops at /nonexistent/sops (No such file or directory); reinstall "
            "spprov or point SPPROV_SOPS at a sops binary")):
        sops.encrypt(state_repo / REL, Secret("refresh_token: x\n"))


def test_old_sops_is_refused(state_repo: Path, tmp_path: Path) -> None:
    old = tmp_path / "old-sops"
    old.write_text("#!/bin/sh\necho 'sops 3.8.1'\n")
    old.chmod(0o755)
    with pytest.raises(SopsError, match=re.escape(
            f"sops at {old} is 3.8.1; spprov needs sops >= 3.10.0")):
        runner(state_repo, SPPROV_SOPS=str(old)).encrypt(state_repo / REL, Secret("a: b\n"))


def test_stderr_never_carries_what_was_sent(state_repo: Path, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    # A fake sops that echoes its stdin to stderr and fails: the real one does not echo,
    # so only a stand-in can prove that spprov would not pass such an echo on.
    echo = tmp_path / "echo-sops"
    echo.write_text("#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'sops 3.11.0'; exit 0; fi\n"
                    "cat >&2\nexit 1\n")
    echo.chmod(0o755)
    caplog.set_level("DEBUG", logger="spprov")
    with pytest.raises(SopsError) as raised:
        runner(state_repo, SPPROV_SOPS=str(echo)).encrypt(
            state_repo / REL, Secret(json.dumps({"refresh_token": TOKEN})))
    assert TOKEN not in str(raised.value) and TOKEN not in caplog.text
    assert "***" in caplog.text


@pytest.mark.parametrize(("code", "stderr", "message"), [
    (52, "", f"{REL}: MAC mismatch: the file was edited by hand"),
    (128, "identity did not match any of the recipients",
     f"cannot decrypt {REL}: none of your age identities is one of its recipients"),
    (61, "", f"no creation rule in .sops.yaml matches {REL}"),
    (111, "", f"no creation rule in .sops.yaml matches {REL}"),
    (203, "", f"{REL}: already encrypted"),
    (1, "sops metadata not found", f"{REL}: not a sops-encrypted file"),
    (1, "Error unmarshalling input yaml", f"{REL}: not valid YAML"),
    (7, "", f"{REL}: sops failed (exit code 7); run with -vv for its message"),
])
def test_exit_codes_become_messages(code: int, stderr: str, message: str) -> None:
    assert explain(code, stderr, REL).startswith(message)


def test_parse_version() -> None:
    assert parse_version("sops 3.11.0 (latest)\n") == (3, 11, 0)
    assert parse_version("garbage") is None
