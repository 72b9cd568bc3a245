"""The figures as Markdown, and their place in docs/benchmarks.md (between two markers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:begin (written by `make bench`; edit the text around it) -->"
END = "<!-- bench:end -->"
RATIO_TARGET = 2.0
MEMORY_TARGET_MB = 300.0


def figures(results: dict[str, Any]) -> str:
    """Every table of the report."""
    parts = [f"Machine: {results['machine']}.", _reading(results["reading"]),
             _scale(results["scale"]), _refresh(results["refresh"]), _apply(results["apply"])]
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
        f"One sops decryption process would take {result['decrypt_seconds'] * 1000:.0f} ms; "
        "spprov decrypts in-process instead (no sops process). Sequential: one check at a "
        "time, N x latency. Ideal: N x latency / concurrency.",
        "",
        "| latency | seconds | sequential | ideal | token requests | sops processes "
        "| sops seconds | peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        sequential = count * row["latency_ms"] / 1000
        ideal = sequential / concurrency
        lines.append(
            f"| {row['latency_ms']} ms | {row['seconds']:.1f} | {sequential:.1f} | {ideal:.1f} "
            f"| {row['requests']} | {row['sops_processes']} | {row['sops_seconds']:.1f} | "
            f"{row['peak_mb']:.0f} |")
    return "\n".join(lines)


def _reading(result: dict[str, Any]) -> str:
    lines = [
        "### Reading state in-process: verify against the sops binary",
        "",
        "Real state files written by sops. sops binary: `sops decrypt` of the same files, "
        "one process per CPU at a time.",
        "",
        "| files | spprov verify | sops binary | ratio | sops processes | peak MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["verify"]:
        lines.append(
            f"| {row['count']:,} | {row['seconds']:.2f} s | {row['binary_seconds']:.1f} s | "
            f"{row['seconds'] / row['binary_seconds']:.3f}x | {row['sops_processes']} | "
            f"{row['peak_mb']:.0f} |")
    lines += ["", "### plan --refresh at 100 ms LWA latency (default concurrency 16)", "",
              "| credentials | seconds | sequential network | ratio | token requests "
              "| sops processes | peak MB |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for row in result["refresh"]:
        lines.append(
            f"| {row['count']:,} | {row['seconds']:.1f} | {row['sequential']:.0f} | "
            f"{row['seconds'] / row['sequential']:.3f}x | {row['requests']} | "
            f"{row['sops_processes']} | {row['peak_mb']:.0f} |")
    lines += ["", _token(result["token"]), "", _reading_verdict(result)]
    return "\n".join(lines)


def _token(token: dict[str, Any]) -> str:
    floor = token["httpx_startup"] + token["round_trip"]
    return (f"`spprov token NAME`: {token['seconds']:.3f} s ({token['sops_processes']} sops "
            f"processes, peak {token['peak_mb']:.0f} MB); `sops decrypt` of the same file "
            f"alone: {token['sops_decrypt']:.3f} s. Floor: `python -c \"import httpx\"` "
            f"{token['httpx_startup']:.3f} s + one LWA round trip {token['round_trip']:.3f} s "
            f"= {floor:.3f} s; spprov token is {token['seconds'] / floor:.2f}x of it.")


def _reading_verdict(result: dict[str, Any]) -> str:
    verify = {row["count"]: row for row in result["verify"]}
    refresh = {row["count"]: row for row in result["refresh"]}
    parts = []
    if 1_000 in verify:
        ratio = verify[1_000]["seconds"] / verify[1_000]["binary_seconds"]
        parts.append(f"verify 1,000 at most 0.2x the binary: {_met(ratio <= 0.2)} "
                     f"({ratio:.3f}x)")
    if 10_000 in verify:
        seconds = verify[10_000]["seconds"]
        parts.append(f"verify 10,000 under 10 s: {_met(seconds < 10)} ({seconds:.1f} s)")
    if 1_000 in refresh:
        ratio = refresh[1_000]["seconds"] / refresh[1_000]["sequential"]
        parts.append(f"plan --refresh 1,000 at most 0.08x sequential: {_met(ratio <= 0.08)} "
                     f"({ratio:.3f}x)")
    if 10_000 in refresh:
        seconds = refresh[10_000]["seconds"]
        parts.append(f"plan --refresh 10,000 under 90 s: {_met(seconds < 90)} "
                     f"({seconds:.1f} s)")
    token = result["token"]
    ratio = token["seconds"] / (token["httpx_startup"] + token["round_trip"])
    parts.append(f"token within 1.5x of its floor: {_met(ratio <= 1.5)} ({ratio:.2f}x)")
    processes = sum(r["sops_processes"] for r in [*result["verify"], *result["refresh"]])
    parts.append(f"zero sops processes: {_met(processes + token['sops_processes'] == 0)}")
    return "Targets: " + "; ".join(parts) + "."


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
