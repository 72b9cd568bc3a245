"""The benchmark scenarios; each returns a dict of figures for the report."""

from __future__ import annotations

import hashlib
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import repos
from bench.measure import Run, SopsCounter, best_of, clean_env, run_child, spprov_argv
from spprov.emulator.browser import write_browser_script
from spprov.emulator.server import Emulator
from spprov.emulator.state import App, Faults, RefreshGrant
from spprov.regions import Region

FLOOR = Path(__file__).resolve().parent / "floor.py"
_TOKEN_LINE = re.compile(
    r"POST \S+/api\.amazon\.com/auth/o2/token -> \d+ \(attempt \d+, (\d+) ms\)")


def base_env(emulator: Emulator, key_file: Path, counter: SopsCounter) -> dict[str, str]:
    """What every spprov run of the benchmark gets."""
    return clean_env({"SPPROV_AMAZON_URL": emulator.url, "SOPS_AGE_KEY_FILE": str(key_file),
                      "SPPROV_SOPS": str(counter.shim),
                      "SPPROV_APP_ACME_CLIENT_SECRET": repos.CLIENT_SECRET})


def register_app(emulator: Emulator, redirect_uri: str = "https://auth.example.com/cb") -> None:
    """The benchmark's app, registered directly in the emulator's world."""
    emulator.world.register(App(repos.APPLICATION_ID, repos.CLIENT_ID, repos.CLIENT_SECRET,
                                [redirect_uri]))


def requests_served(emulator: Emulator) -> int:
    """Amazon requests the emulator has served so far."""
    with emulator.world.lock:
        return int(emulator.world.stats["total"])


def startup(repeats: int, cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """Interpreter and import start-up: `spprov --version` and the floor script's imports."""
    spprov = best_of(repeats, spprov_argv("--version"), cwd, env).seconds
    floor = best_of(repeats, [sys.executable, str(FLOOR), "--startup"], cwd, env).seconds
    return {"spprov": spprov, "floor": floor}


def scale(count: int, work: Path, emulator: Emulator, counter: SopsCounter,
          repeats: int) -> dict[str, Any]:
    """validate and plan over ``count`` credentials against the C-loader floor."""
    key_file = work / "keys.txt"
    repo = repos.readable_repo(work / f"scale-{count}", count, key_file)
    env = base_env(emulator, key_file, counter)
    started = startup(repeats, repo, env)
    floor = best_of(repeats, [sys.executable, str(FLOOR), str(repo)], repo, env)
    counter.reset()
    before = requests_served(emulator)
    validate = best_of(repeats, spprov_argv("validate"), repo, env)
    plan = best_of(repeats, spprov_argv("plan"), repo, env)
    if "No changes." not in plan.stdout:
        raise RuntimeError(f"the benchmark plan is not all noops: {plan.stdout[:500]}")
    floor_net = floor.seconds - started["floor"]
    return {
        "count": count, "startup": started, "floor": floor.seconds, "floor_net": floor_net,
        "validate": _against(validate, started["spprov"], floor_net),
        "plan": _against(plan, started["spprov"], floor_net),
        "sops_processes": len(counter.calls()),
        "requests": requests_served(emulator) - before,
    }


def _against(run: Run, startup_seconds: float, floor_net: float) -> dict[str, float]:
    net = run.seconds - startup_seconds
    return {"raw": run.seconds, "net": net, "ratio": net / floor_net, "peak_mb": run.peak_mb}


def refresh(count: int, latencies: list[int], work: Path, emulator: Emulator,
            counter: SopsCounter, concurrency: int = 8) -> dict[str, Any]:
    """`plan --refresh` over ``count`` real state files at each emulator latency."""
    repo, key_file, tokens = repos.decryptable_repo(count)
    with emulator.world.lock:
        for token in tokens.values():
            emulator.world.refresh_grants[token] = RefreshGrant(repos.CLIENT_ID, Region.NA,
                                                                "A3FHEXAMPLEYWS")
    env = base_env(emulator, key_file, counter)
    rows = []
    decrypt_seconds = _decrypt_cost(repo, env, counter)
    for latency in latencies:
        emulator.world.set_faults(Faults(latency_ms=latency), None)
        counter.reset()
        before = requests_served(emulator)
        run = run_child(spprov_argv("plan", "--refresh", "--concurrency", str(concurrency)),
                        repo, env)
        if run.code != 0 or "No changes." not in run.stdout:
            raise RuntimeError(f"plan --refresh failed: {run.stdout[-500:]}{run.stderr[-2000:]}")
        sops_calls = counter.calls()
        rows.append({"latency_ms": latency, "seconds": run.seconds, "peak_mb": run.peak_mb,
                     "requests": requests_served(emulator) - before,
                     "sops_processes": len(sops_calls),
                     "sops_seconds": sum(s for _, s in sops_calls)})
    emulator.world.set_faults(Faults(), None)
    return {"count": count, "concurrency": concurrency, "rows": rows,
            "decrypt_seconds": decrypt_seconds}


def _decrypt_cost(repo: Path, env: dict[str, str], counter: SopsCounter,
                  samples: int = 10) -> float:
    """Seconds one sops decryption takes when nothing else runs (median of ``samples``)."""
    files = sorted((repo / "state" / "credentials").iterdir())[:samples]
    counter.reset()
    for path in files:
        subprocess.run([str(counter.shim), "decrypt", str(path)], cwd=repo, env=env,
                       capture_output=True, check=True)
    return statistics.median(seconds for _, seconds in counter.calls())


def free_port() -> int:
    """A loopback port free right now (the app's redirect URI needs a fixed one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def apply_new(count: int, work: Path, emulator: Emulator, counter: SopsCounter) -> dict[str, Any]:
    """`apply` of ``count`` new credentials (loopback consent), then a no-op apply."""
    key_file = work / "keys.txt"
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    register_app(emulator, redirect)
    repo = repos.new_repo(work / f"apply-{count}", count, key_file)
    (repo / "credentials.yaml").write_text(repos.declaration(count, redirect))
    env = {**base_env(emulator, key_file, counter),
           "BROWSER": str(write_browser_script(work / "browser"))}
    counter.reset()
    before = requests_served(emulator)
    run = run_child(spprov_argv("-vv", "apply", "--yes"), repo, env)
    if run.code != 0:
        raise RuntimeError(f"apply failed: {run.stdout[-500:]}{run.stderr[-2000:]}")
    sops_calls = counter.calls()
    exchange = sum(int(ms) for ms in _TOKEN_LINE.findall(run.stderr)) / 1000
    sops_seconds = sum(s for _, s in sops_calls)
    return {"count": count, "seconds": run.seconds, "peak_mb": run.peak_mb,
            "requests": requests_served(emulator) - before, "sops_processes": len(sops_calls),
            "sops_seconds": sops_seconds, "exchange_seconds": exchange,
            "noop": noop(repo, env, emulator, counter)}


def noop(repo: Path, env: dict[str, str], emulator: Emulator,
         counter: SopsCounter) -> dict[str, Any]:
    """A second apply on a converged repository: requests, sops runs and bytes written."""
    before_tree = _tree(repo)
    counter.reset()
    before = requests_served(emulator)
    started = time.perf_counter()
    run = run_child(spprov_argv("apply", "--yes"), repo, env)
    seconds = time.perf_counter() - started
    changed = [p for p, digest in _tree(repo).items() if before_tree.get(p) != digest]
    written = sum((repo / p).stat().st_size for p in changed if (repo / p).exists())
    return {"code": run.code, "seconds": seconds, "requests": requests_served(emulator) - before,
            "sops_processes": len(counter.calls()), "files_changed": len(changed),
            "bytes_written": written}


def _tree(root: Path) -> dict[str, tuple[str, int]]:
    """Every file's digest and modification time: an identical rewrite counts as a write."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and p.name != ".spprov.lock"}
