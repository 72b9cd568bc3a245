"""The secret-leak scan: every command at -vv, every output stream, every readable file and
the argv of every sops process, searched for every secret of the run.

Secrets collected: the app's client secret, every authorization code (the browser stand-in
writes each one down before following the redirect), every refresh token the emulator
issued, and the access tokens `spprov token` printed. Only `token` and `export` may print
secrets, on stdout, because that is their job.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_aws import DECLARED_QUEUE_URL, QUEUE_ARN, Sqs
from tests.fixtures_cli import Result
from tests.fixtures_gitops import EU, US, GitOps
from tests.fixtures_state import SopsRecorder, make_identity


def _recording_browser(gitops: GitOps, codes: Path) -> str:
    """A browser that approves, writes the code it sees to ``codes``, then follows on."""
    return gitops.browser(
        "from urllib.parse import parse_qs, urlsplit\n"
        "c = httpx.Client(trust_env=False)\n"
        "r = c.post(url, data={'decision': 'approve'})\n"
        "location = r.headers['location']\n"
        "code = parse_qs(urlsplit(location).query)['spapi_oauth_code'][0]\n"
        f"open({str(codes)!r}, 'a').write(code + '\\n')\n"
        "c.get(location)\n")


class Session:
    """Runs spprov at -vv and keeps every stream that must be free of secrets."""

    def __init__(self, gitops: GitOps, env: dict[str, str | None]) -> None:
        self.gitops, self.env = gitops, env
        self.streams: list[tuple[str, str]] = []
        self.revealed: list[str] = []

    def run(self, *args: str, input: str | None = None, code: int | None = 0,
            reveals: bool = False) -> Result:
        result = self.gitops.run("-vv", *args, env=self.env, input=input, process=True)
        if code is not None:
            assert result.code == code, (args, result.output)
        label = " ".join(args)
        self.streams.append((f"{label} (stderr)", result.stderr))
        if reveals:
            self.revealed.append(result.stdout)
        else:
            self.streams.append((f"{label} (stdout)", result.stdout))
        return result


def _every_command(session: Session, client_secret: str, tmp_path: Path) -> None:
    session.run("validate")
    session.run("plan")
    session.run("apply", "--yes")
    for args in (("plan",), ("plan", "--json"), ("plan", "--markdown"),
                 ("plan", "--refresh"), ("apply", "--yes", "--refresh"), ("verify",),
                 ("rekey",)):
        session.run(*args)
    session.run("app", "set-secret", "acme", input=client_secret + "\n")
    session.env["SPPROV_APP_ACME_CLIENT_SECRET"] = None  # from now on, from its state file
    session.run("app", "rotate-secret", "acme", "--wait", "0")
    session.run("token", "acme-us", reveals=True)
    session.run("token", "acme-eu", reveals=True)
    for fmt in ("env", "json", "python-amazon-sp-api"):
        session.run("export", "acme-us", "--format", fmt, reveals=True)
    session.run("authorize", "acme-eu")
    session.run("plan", "--refresh", "--json")
    template = tmp_path / "extra.yaml.j2"
    template.write_text("version: 1\ncredentials: []\n")
    session.run("render", str(template))
    session.run("init", code=None)
    session.run("verify")
    teammate = make_identity(tmp_path / "teammate" / "keys.txt").recipient
    session.run("keys", "add", teammate)
    session.run("keys", "list")
    session.run("keys", "remove", teammate)


def _secrets(gitops: GitOps, client_secret: str, codes: Path, revealed: list[str]) -> set[str]:
    secrets = {client_secret}
    secrets |= {n["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
                for n in gitops.emulator.control("GET", "/notifications")["notifications"]}
    secrets |= set(codes.read_text().split())
    secrets |= {t["refresh_token"] for t in gitops.emulator.refresh_tokens()}
    for text in revealed:
        secrets |= {word.strip("'\",") for word in text.replace("=", " ").split()
                    if word.strip("'\",").startswith("Atza|")}
    return secrets


def _readable_files(*roots: Path) -> list[Path]:
    return [path for root in roots for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.parts]


def test_no_secret_appears_in_output_files_or_sops_argv(gitops: GitOps,
                                                        sops_recorder: SopsRecorder,
                                                        tmp_path: Path, home: Path,
                                                        sqs: Sqs) -> None:
    codes = tmp_path / "codes.txt"
    gitops.emulator.control("POST", "/settings", {"sqs_endpoint_url": sqs.endpoint})
    gitops.emulator.control("POST", "/notification-preferences", {
        "client_id": gitops.app.client_id, "new_secret_queue_arn": QUEUE_ARN})
    sqs.admit_amazon()
    gitops.declare([{"name": "acme-us", **US}, {"name": "acme-eu", **EU}], notifications={
        "sqs_queue_url": DECLARED_QUEUE_URL, "aws_region": "us-east-1"})
    session = Session(gitops, {"BROWSER": _recording_browser(gitops, codes),
                               "SPPROV_SOPS": str(sops_recorder.shim), **sqs.env})
    client_secret = gitops.app.client_secret
    _every_command(session, client_secret, tmp_path)

    secrets = _secrets(gitops, client_secret, codes, session.revealed)
    # The run produced every kind: 3 codes (2 creations, 1 authorize), 3 refresh tokens,
    # the access tokens printed by token/export.
    assert len(codes.read_text().split()) == 3
    assert len(gitops.emulator.refresh_tokens()) == 3
    assert sum(s.startswith("Atza|") for s in secrets) >= 2
    assert all(len(s) >= 16 for s in secrets)
    assert gitops.emulator.stats()["rotation"] == 1  # the rotated secret is searched for too

    argv = [" ".join(call) for call in sops_recorder.calls()]
    assert argv, "sops was never called through the recorder"
    places = [*session.streams, *(("sops argv", line) for line in argv)]
    places += [(str(path), path.read_text(errors="replace"))
               for path in _readable_files(gitops.repo, home, tmp_path / "keys")]
    leaks = [(where, secret[:12]) for where, text in places for secret in secrets
             if secret in text]
    assert leaks == []
