"""A sandbox credential's env export makes python-amazon-sp-api call the sandbox host."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from tests.fixtures_cli import clean_env
from tests.fixtures_gitops import GitOps, authorized_repository

SANDBOX = {"seller_central_url": "https://sellercentral.amazon.com",
           "sp_api_endpoint": "https://sandbox.sellingpartnerapi-na.amazon.com"}
authorized = authorized_repository([{"name": "acme-sandbox", **SANDBOX}])

# python-amazon-sp-api reads AWS_ENV once, when it is imported, so it runs in a process of
# its own with the exported variables as its environment. Its hosts are fixed (no setting
# for another base URL): the one seam is its httpx transport, which here only applies the
# emulator's routing rule (https://HOST/PATH is served at EMULATOR/HOST/PATH) and records
# the host the library chose.
LIBRARY_CALL = """
import json, sys
import httpx
from sp_api.api import Sellers
from sp_api.auth.access_token_client import AccessTokenClient
from sp_api.base._transport_httpx import HttpxTransport

emulator = sys.argv[1]
hosts = []

def routed(request):
    hosts.append(request.url.host)
    url = f"{emulator}/{request.url.host}{request.url.raw_path.decode()}"
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    return httpx.post(url, content=request.content, headers=headers) if request.method == "POST" \\
        else httpx.request(request.method, url, headers=headers)

client = httpx.Client(transport=httpx.MockTransport(routed))

class Token(AccessTokenClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._transport = HttpxTransport(client=client)

sellers = Sellers(auth_token_client_class=Token)
sellers._transport = HttpxTransport(client=client)
answer = sellers.get_marketplace_participation()
print(json.dumps({"hosts": hosts, "ids": [p["marketplace"]["id"] for p in answer.payload]}))
"""


def test_env_export_points_python_amazon_sp_api_at_the_sandbox(
        authorized: GitOps, home: Path) -> None:
    exported = authorized.run("export", "acme-sandbox", "--format", "env")
    assert exported.code == 0, exported.output
    values = dict(line.split("=", 1) for line in shlex.split(exported.stdout))
    assert (values["AWS_ENV"], values["SP_API_ENVIRONMENT"]) == ("SANDBOX", "sandbox")
    authorized.emulator.reset_stats()
    env = {**clean_env(home, {}), **values}
    ran = subprocess.run([sys.executable, "-c", LIBRARY_CALL, authorized.emulator.url],
                         env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert seen["hosts"] == ["api.amazon.com", "sandbox.sellingpartnerapi-na.amazon.com"]
    assert "ATVPDKIKX0DER" in seen["ids"]
    stats = authorized.emulator.stats()
    assert (stats["token"], stats["sellers"]) == (1, 1)


def test_without_aws_env_the_library_calls_production(authorized: GitOps, home: Path) -> None:
    # The defect this export fixes: SP_API_ENVIRONMENT alone is not read by the library.
    exported = authorized.run("export", "acme-sandbox", "--format", "env").stdout
    values = dict(line.split("=", 1) for line in shlex.split(exported))
    del values["AWS_ENV"]
    env = {**clean_env(home, {}), **values}
    ran = subprocess.run([sys.executable, "-c", LIBRARY_CALL, authorized.emulator.url],
                         env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["hosts"][1] == "sellingpartnerapi-na.amazon.com"
