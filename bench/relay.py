"""The relay's figures (issue 26): 100 sellers' callbacks at once at 100 ms LWA latency,
and `spprov apply` collecting 1,000 grants.

``python bench/relay.py`` (``make bench-relay``) prints them; docs/benchmarks.md keeps the
last run's. The relay runs as `spprov relay serve` (its own process, as a team runs it); the
emulator and the sellers' browsers run in this process.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import repos  # noqa: E402 - needs the repository root on sys.path
from bench.measure import clean_env, machine, run_child, spprov_argv  # noqa: E402
from spprov.emulator.server import Emulator  # noqa: E402
from spprov.emulator.state import App  # noqa: E402

TOKEN = "bench-relay-token-0123456789abcdef"  # noqa: S105 - benchmark data


def start_relay(work: Path, emulator: Emulator) -> tuple[subprocess.Popen[str], str]:
    env = clean_env({"SPPROV_RELAY_TOKEN": TOKEN, "SPPROV_AMAZON_URL": emulator.url,
                     "SPPROV_APP_ACME_CLIENT_SECRET": repos.CLIENT_SECRET})
    relay = subprocess.Popen([*spprov_argv("relay", "serve", "--port", "0", "--db",
                                           str(work / "relay.sqlite3"), "--rate-limit", "0")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env=env)
    assert relay.stdout is not None
    return relay, relay.stdout.readline().strip()


def repository(work: Path, count: int, relay_url: str) -> tuple[Path, dict[str, str]]:
    key_file = work / "keys.txt"
    repo = repos.new_repo(work / f"repo-{count}", count, key_file)
    document = yaml.safe_load(repos.declaration(count, f"{relay_url}/callback"))
    document["apps"]["acme"]["relay"] = relay_url
    (repo / "credentials.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    env = clean_env({"SPPROV_AMAZON_URL": "", "SOPS_AGE_KEY_FILE": str(key_file),
                     "SPPROV_APP_ACME_CLIENT_SECRET": repos.CLIENT_SECRET,
                     "SPPROV_RELAY_TOKEN": TOKEN})
    return repo, env


def invite(repo: Path, env: dict[str, str], count: int) -> list[str]:
    names = [repos.name_of(i) for i in range(count)]
    run = run_child(spprov_argv("invite", *names), repo, env)
    assert run.code == 0, run.stderr[-2000:]
    return [line.split(": ", 1)[1] for line in run.stdout.splitlines()]


def callback_url(link: str) -> tuple[httpx.Client, str]:
    """A seller who opened the link and approved: the callback is not yet sent."""
    # A connection idle for a second is not reused: uvicorn closes idle ones after 5 s.
    seller = httpx.Client(trust_env=False, timeout=60,
                          limits=httpx.Limits(keepalive_expiry=1))
    landing = seller.get(link)
    start = re.search(r'class="button" href="([^"]+)"', landing.text)
    assert start is not None, landing.text
    consent = seller.get(start[1]).headers["location"]
    back = seller.post(consent, data={"decision": "approve"})
    return seller, back.headers["location"]


def callbacks_at_once(work: Path, emulator: Emulator, relay_url: str,
                      count: int = 100) -> dict[str, float]:
    repo, env = repository(work, count, relay_url)
    env["SPPROV_AMAZON_URL"] = emulator.url
    links = invite(repo, env, count)
    with ThreadPoolExecutor(16) as pool:
        sellers = list(pool.map(callback_url, links))
    emulator.world.faults.latency_ms = 100
    barrier = threading.Barrier(count)
    seconds: list[float] = [0.0] * count
    statuses: list[int] = [0] * count

    def send(index: int) -> None:
        seller, url = sellers[index]
        barrier.wait()
        started = time.perf_counter()
        statuses[index] = seller.get(url).status_code
        seconds[index] = time.perf_counter() - started

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    emulator.world.faults.latency_ms = 0
    assert statuses == [200] * count, statuses
    ordered = sorted(seconds)
    return {"count": count, "wall": wall, "p50": statistics.median(ordered),
            "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)], "max": ordered[-1]}


def collect(work: Path, emulator: Emulator, relay_url: str, count: int) -> dict[str, float]:
    repo, env = repository(work, count, relay_url)
    env["SPPROV_AMAZON_URL"] = emulator.url
    links = invite(repo, env, count)
    def journey(link: str) -> int:
        seller, url = callback_url(link)
        try:
            return seller.get(url).status_code
        finally:
            seller.close()

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(journey, links)) == {200}
    run = run_child(spprov_argv("apply", "--yes"), repo, {**env, "CI": "true"})
    assert run.code == 0, run.stderr[-2000:] + run.stdout[-2000:]
    written = len(list((repo / "state" / "credentials").glob("*.sops.yaml")))
    assert written == count, written
    return {"count": count, "seconds": run.seconds, "peak_mb": run.peak_mb}


def main(argv: list[str]) -> int:
    collected = 100 if "--quick" in argv else 1000
    with tempfile.TemporaryDirectory(prefix="spprov-bench-relay-") as folder, \
            Emulator("127.0.0.1", 0) as emulator:
        work = Path(folder)
        relay, relay_url = start_relay(work, emulator)
        try:
            emulator.world.register(App(repos.APPLICATION_ID, repos.CLIENT_ID,
                                        repos.CLIENT_SECRET, [f"{relay_url}/callback"]))
            burst = callbacks_at_once(work / "burst", emulator, relay_url)
            gathered = collect(work / "collect", emulator, relay_url, collected)
        finally:
            relay.terminate()
            relay.wait()
    print(f"Machine: {machine()}")
    print(f"100 callbacks at once, 100 ms LWA latency: all stored in {burst['wall']:.2f} s; "
          f"callback -> stored grant p50 {burst['p50']:.2f} s, p99 {burst['p99']:.2f} s, "
          f"max {burst['max']:.2f} s (target p99 < 2 s: "
          f"{'met' if burst['p99'] < 2 else 'NOT met'})")
    print(f"apply collecting {gathered['count']} grants: {gathered['seconds']:.1f} s, peak "
          f"{gathered['peak_mb']:.0f} MB (target < 30 s for 1,000: "
          f"{'met' if gathered['seconds'] < 30 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
