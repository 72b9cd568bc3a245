"""The figures as Markdown, and their place in docs/benchmarks.md (between two markers)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by `make bench`; edit the text around it) -->"
END = "<!-- bench:end -->"
RATIO_TARGET = 2.0
MEMORY_TARGET_MB = 300.0


def figures(results: dict[str, Any]) -> str:
    """Every table of the report."""
    parts = [f"Machine: {results['machine']}.", _scale(results["scale"]),
             _refresh(results["refresh"]), _apply(results["apply"])]
    return "\n\n".join(parts)


def _scale(rows: list[dict[str, Any]]) -> str:
    lines = [
        "### validate and plan (no --refresh)",
        "",
        "Seconds: raw wall time, and net of start-up (`spprov --version` for spprov, "
        "`import yaml` for the floor). Floor: parsing credentials.yaml and every state file "
        "with PyYAML's C loader. Median of the runs.",
        "",
        "| credentials | floor net | validate raw / net | ratio | plan raw / net | ratio "
        "| peak MB (validate / plan) | sops processes | requests |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        v, p = row["validate"], row["plan"]
        lines.append(
            f"| {row['count']:,} | {row['floor_net']:.3f} | {v['raw']:.3f} / {v['net']:.3f} | "
            f"{_ratio(v['ratio'])} | {p['raw']:.3f} / {p['net']:.3f} | {_ratio(p['ratio'])} | "
            f"{v['peak_mb']:.0f} / {p['peak_mb']:.0f} | {row['sops_processes']} | "
            f"{row['requests']} |")
    started = rows[-1]["startup"]
    lines += ["", f"Start-up: `spprov --version` {started['spprov']:.3f} s, "
                  f"`python -c 'import yaml'` {started['floor']:.3f} s.",
              "", _scale_verdict(rows)]
    return "\n".join(lines)


def _ratio(value: float) -> str:
    mark = "" if value <= RATIO_TARGET else " (over 2x)"
    return f"{value:.2f}x{mark}"


def _scale_verdict(rows: list[dict[str, Any]]) -> str:
    largest = rows[-1]
    at_scale = max(largest["validate"]["ratio"], largest["plan"]["ratio"])
    worst = max(max(r["validate"]["ratio"], r["plan"]["ratio"]) for r in rows)
    peak = max(largest["validate"]["peak_mb"], largest["plan"]["peak_mb"])
    clean = all(r["sops_processes"] == 0 and r["requests"] == 0 for r in rows)
    return (f"Targets: time within 2x of the floor at {largest['count']:,}: "
            f"{_met(at_scale <= RATIO_TARGET)} ({at_scale:.2f}x; worst at any size "
            f"{worst:.2f}x, a fixed import cost: see above); "
            f"peak memory under 300 MB at {largest['count']:,}: "
            f"{_met(peak < MEMORY_TARGET_MB)} ({peak:.0f} MB); zero sops processes and zero "
            f"requests: {_met(clean)}.")


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _refresh(result: dict[str, Any]) -> str:
    count, concurrency = result["count"], result["concurrency"]
    lines = [
        f"### plan --refresh over {count:,} credentials (concurrency {concurrency})",
        "",
        f"One sops decryption alone takes {result['decrypt_seconds'] * 1000:.0f} ms. "
        "Sequential: one check at a time, N x (latency + decryption). Ideal: "
        "the larger of N x latency / concurrency and the N decryptions spread over the "
        "CPUs (decryption runs ahead of the network checks, in its own pool). "
        "sops seconds: the sum of every sops process's wall time (they overlap).",
        "",
        "| latency | seconds | sequential | ideal | token requests | sops processes "
        "| sops seconds | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    cpus = os.cpu_count() or 1
    decryptions = count * result["decrypt_seconds"]
    for row in result["rows"]:
        network = count * row["latency_ms"] / 1000
        sequential = network + decryptions
        ideal = max(network / concurrency, decryptions / cpus)
        lines.append(
            f"| {row['latency_ms']} ms | {row['seconds']:.1f} | {sequential:.1f} | {ideal:.1f} "
            f"| {row['requests']} | {row['sops_processes']} | {row['sops_seconds']:.1f} | "
            f"{row['peak_mb']:.0f} |")
    return "\n".join(lines)


def _apply(result: dict[str, Any]) -> str:
    count, seconds = result["count"], result["seconds"]
    sops, exchange = result["sops_seconds"], result["exchange_seconds"]
    consent = seconds - sops - exchange
    noop = result["noop"]
    return "\n".join([
        f"### apply: {count} new credentials (loopback consent, auto-approving browser)",
        "",
        f"{seconds:.1f} s in all, {count / seconds:.2f} credentials per second "
        f"({seconds / count * 1000:.0f} ms each); {result['requests']} Amazon requests, "
        f"{result['sops_processes']} sops processes, peak {result['peak_mb']:.0f} MB.",
        "",
        "| where the time goes | seconds | share |",
        "|---|---:|---:|",
        f"| sops (encrypting new state files, version check) | {sops:.2f} | "
        f"{sops / seconds:.0%} |",
        f"| code exchange (LWA token requests) | {exchange:.2f} | {exchange / seconds:.0%} |",
        f"| consent and the rest (browser process, loopback redirect, start-up, plan) | "
        f"{consent:.2f} | {consent / seconds:.0%} |",
        "",
        f"### no-op apply on the converged repository ({count} credentials)",
        "",
        f"Exit {noop['code']} in {noop['seconds']:.2f} s: {noop['requests']} requests, "
        f"{noop['sops_processes']} sops processes, {noop['files_changed']} files changed, "
        f"{noop['bytes_written']} bytes written. Target (zero requests, zero bytes): "
        f"{_met(noop['requests'] == 0 and noop['files_changed'] == 0)}.",
    ])


def write(path: Path, text: str) -> None:
    """Replace the generated part of ``path`` (between the markers) with ``text``."""
    current = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")
