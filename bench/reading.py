"""Reading state in-process against the sops binary (issue 14), side by side in one run.

- `verify` over N real state files, against the sops binary decrypting the same files,
  one process per core at a time (what a pool of sops processes can do at best);
- `plan --refresh` over N credentials at 100 ms emulator latency, against the sequential
  network time (N x latency);
- `spprov token NAME` against `sops decrypt` of one file and against its floor:
  `python -c "import httpx"` start-up plus one LWA round trip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import repos
from bench.measure import REAL_SOPS, SopsCounter, best_of, run_child, spprov_argv
from bench.scenarios import base_env, requests_served
from spprov.amazon.lwa import ClientCredentials, LwaClient
from spprov.emulator.server import Emulator
from spprov.emulator.state import Faults, RefreshGrant
from spprov.regions import Region
from spprov.secret import Secret

LATENCY_MS = 100


def grant(emulator: Emulator, tokens: dict[str, str]) -> None:
    """Make the emulator know every refresh token of a cached repository."""
    with emulator.world.lock:
        for token in tokens.values():
            emulator.world.refresh_grants[token] = RefreshGrant(repos.CLIENT_ID, Region.NA,
                                                                "A3FHEXAMPLEYWS")


def verify(count: int, emulator: Emulator, counter: SopsCounter) -> dict[str, Any]:
    """`spprov verify` over ``count`` real files, then the sops binary over the same files."""
    repo, key_file, _ = repos.decryptable_repo(count)
    env = base_env(emulator, key_file, counter)
    counter.reset()
    run = run_child(spprov_argv("verify"), repo, env)
    if run.code != 0 or f"verified {count} state files" not in run.stdout:
        raise RuntimeError(f"verify failed: {run.stdout[-500:]}{run.stderr[-2000:]}")
    sops_processes = len(counter.calls())
    binary = sops_per_core(sorted((repo / "state" / "credentials").iterdir()), repo, env)
    return {"count": count, "seconds": run.seconds, "peak_mb": run.peak_mb,
            "sops_processes": sops_processes, "binary_seconds": binary}


def sops_per_core(files: list[Path], repo: Path, env: dict[str, str]) -> float:
    """Wall seconds for `sops decrypt` of every file, one process per CPU at a time."""
    def decrypt(path: Path) -> None:
        subprocess.run([str(REAL_SOPS), "decrypt", "--output-type", "json", str(path)],
                       cwd=repo, env=env, capture_output=True, check=True)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(decrypt, files))
    return time.perf_counter() - started


def refresh(count: int, emulator: Emulator, counter: SopsCounter) -> dict[str, Any]:
    """`plan --refresh` over ``count`` credentials at 100 ms latency (default concurrency)."""
    repo, key_file, tokens = repos.decryptable_repo(count)
    grant(emulator, tokens)
    env = base_env(emulator, key_file, counter)
    emulator.world.set_faults(Faults(latency_ms=LATENCY_MS), None)
    try:
        counter.reset()
        before = requests_served(emulator)
        run = run_child(spprov_argv("plan", "--refresh"), repo, env)
    finally:
        emulator.world.set_faults(Faults(), None)
    if run.code != 0 or "No changes." not in run.stdout:
        raise RuntimeError(f"plan --refresh failed: {run.stdout[-500:]}{run.stderr[-2000:]}")
    return {"count": count, "seconds": run.seconds, "peak_mb": run.peak_mb,
            "sequential": count * LATENCY_MS / 1000,
            "requests": requests_served(emulator) - before,
            "sops_processes": len(counter.calls())}


def token(emulator: Emulator, counter: SopsCounter, repeats: int,
          count: int) -> dict[str, Any]:
    """`spprov token` against `sops decrypt` of its file and the httpx floor (0 ms latency)."""
    repo, key_file, tokens = repos.decryptable_repo(count)
    grant(emulator, tokens)
    env = base_env(emulator, key_file, counter)
    name = repos.name_of(0)
    counter.reset()
    spprov = best_of(repeats, spprov_argv("token", name), repo, env)
    sops_processes = len(counter.calls())
    path = repo / "state" / "credentials" / f"{name}.sops.yaml"
    binary = best_of(repeats, [str(REAL_SOPS), "decrypt", str(path)], repo, env)
    startup = best_of(repeats, [sys.executable, "-c", "import httpx"], repo, env)
    trip = round_trip(emulator, tokens[name], repeats)
    return {"seconds": spprov.seconds, "peak_mb": spprov.peak_mb,
            "sops_processes": sops_processes, "sops_decrypt": binary.seconds,
            "httpx_startup": startup.seconds, "round_trip": trip}


def round_trip(emulator: Emulator, refresh_token: str, repeats: int) -> float:
    """One LWA refresh on a new connection (as a fresh `spprov token` makes), median."""
    client = ClientCredentials(repos.CLIENT_ID, Secret(repos.CLIENT_SECRET))
    times = []
    for _ in range(repeats):
        with LwaClient(amazon_url=emulator.url) as lwa:
            started = time.perf_counter()
            lwa.refresh(client, Secret(refresh_token))
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]
