"""Benchmark `vlkg serve` against the native `oxigraph serve-read-only` on the same store, side by side.

Both servers run at once on loopback; each (query, mode, concurrency) cell runs on one then the other,
alternating which goes first. Modes: `distinct` (every request made unique by a comment line, so no
cache can answer) and `repeated` (the same request again and again). Prints latency p50/p95, throughput
and peak memory of each server's whole process tree, the ratios ours/native and their geometric means
against the goals; writes the same as JSON to bench-results/. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import secrets
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the server starters are shared with the W3C harness

from loadgen import Cell, Endpoint, result_size, run  # noqa: E402
from memory import PeakSampler  # noqa: E402
from w3c.servers import Server, free_port, start_native, start_ours, start_process  # noqa: E402

from vlkg.layout import Layout  # noqa: E402

GOALS = {
    "distinct_p50_ratio_max": 1.3,
    "distinct_throughput_ratio_min": 0.6,
    "repeated_throughput_ratio_min": 1.0,
    "memory_mib_max": 250.0,  # issue 8, item 10: every server process together, default settings
}
MODES = ("distinct", "repeated")


def load_mix(examples: bool, only: list[str]) -> list[tuple[str, str]]:
    """(name, query) for the example catalogue (queries/*.rq) and the benchmark's own mix (bench/queries)."""
    files = [("mix", p) for p in sorted((REPO / "bench" / "queries").glob("*.rq"))]
    if examples:
        files = [("example", p) for p in sorted((REPO / "queries").glob("*.rq"))] + files
    mix = [(f"{kind}/{p.stem}", p.read_text(encoding="utf-8")) for kind, p in files]
    return [(n, q) for n, q in mix if not only or any(o in n for o in only)]


def start_servers(args: argparse.Namespace, store: Path) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    try:
        if not args.no_ours:
            if args.ours_cmd:
                port = free_port()
                argv = shlex.split(args.ours_cmd.format(store=args.store, port=port))
                url = f"http://127.0.0.1:{port}{args.ours_path}"
                servers["ours"] = start_process("ours", argv, url, f"{args.ours_path}?query=ASK%7B%7D")
            else:
                servers["ours"] = start_ours(args.store, extra=tuple(args.ours_arg))
        # the native server with the same default graph as ours: the union of all graphs
        servers["native"] = start_native(store, union_default=True)
    except Exception:
        for s in servers.values():
            s.stop()
        raise
    return servers


def check_results(mix: list[tuple[str, str]], endpoints: dict[str, Endpoint]) -> list[dict]:
    """Run each query once per server (warm-up) and note what it returned, so differences show."""
    checks = []
    for name, query in mix:
        sizes = {}
        for server, ep in endpoints.items():
            status, body = ep.get(query)
            try:
                sizes[server] = result_size(query, body) if status == 200 else f"HTTP {status}"
            except (ValueError, KeyError):
                sizes[server] = f"unreadable {len(body)} bytes"
        checks.append({"query": name, **sizes, "same": len(set(sizes.values())) == 1})
    return checks


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def geomean(values: list[float]) -> float:
    ok = [v for v in values if v > 0 and not math.isnan(v)]
    return math.exp(sum(map(math.log, ok)) / len(ok)) if ok else math.nan


def summarise(cells: list[dict], concurrencies: list[int]) -> list[dict]:
    """Geometric means of the ours/native ratios, per mode and concurrency, over the queries of the mix."""
    out = []
    for mode in MODES:
        for c in concurrencies:
            rows = [x for x in cells if x["mode"] == mode and x["concurrency"] == c]
            out.append({
                "mode": mode, "concurrency": c, "queries": len(rows),
                "p50_ratio": geomean([x["p50_ratio"] for x in rows]),
                "p95_ratio": geomean([x["p95_ratio"] for x in rows]),
                "throughput_ratio": geomean([x["throughput_ratio"] for x in rows]),
            })
    return out


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("meets goal" if ok else "MISSES goal")


def _check(value: float, limit: float, upper: bool) -> bool | None:
    if math.isnan(value):
        return None
    return value <= limit if upper else value >= limit


def goal_lines(summary: list[dict], memory: dict[str, float], by_c: dict[int, dict[str, float]]) -> list[str]:
    lines = []
    for s in summary:
        tag = f"{s['mode']:<9} c={s['concurrency']}"
        p50, rps = s["p50_ratio"], s["throughput_ratio"]
        if s["mode"] == "distinct":
            p50_goal, rps_goal = GOALS["distinct_p50_ratio_max"], GOALS["distinct_throughput_ratio_min"]
            p50_text = f"{p50:.2f}x (goal <= {p50_goal}x: {verdict(_check(p50, p50_goal, True))})"
        else:
            rps_goal = GOALS["repeated_throughput_ratio_min"]
            p50_text = f"{p50:.2f}x"
        rps_text = f"{rps:.2f}x (goal >= {rps_goal}x: {verdict(_check(rps, rps_goal, False))})"
        lines.append(f"{tag}  p50 ours/native {p50_text}; throughput {rps_text}")
    if "ours" in memory:
        limit = GOALS["memory_mib_max"]
        ok = verdict(memory["ours"] < limit)
        lines.append(f"memory    peak RSS of all our processes {memory['ours']:.0f} MiB "
                     f"(goal < {limit:.0f} MiB: {ok}); native {memory['native']:.0f} MiB")
        for c, peak in sorted(by_c.items()):
            lines.append(f"memory    c={c}: peak RSS ours {peak['ours']:.0f} MiB ({verdict(peak['ours'] < limit)}), "
                         f"native {peak['native']:.0f} MiB")
    return lines


def table(cells: list[dict]) -> str:
    head = (f"{'query':<28}{'mode':<9}{'c':>2} |{'p50 ours':>9}{'native':>9}{'x':>7} |{'p95 ours':>9}"
            f"{'native':>9} |{'rps ours':>9}{'native':>8}{'x':>7} |{'err':>4}")
    lines = [head, "-" * len(head)]
    for x in cells:
        o, n = x["servers"].get("ours", {}), x["servers"]["native"]
        p50, p95 = o.get("p50_ms", math.nan), o.get("p95_ms", math.nan)
        rps = o.get("throughput_rps", math.nan)
        lines.append(
            f"{x['query'][:27]:<28}{x['mode']:<9}{x['concurrency']:>2} |{p50:>9.2f}{n['p50_ms']:>9.2f}"
            f"{x['p50_ratio']:>7.2f} |{p95:>9.2f}{n['p95_ms']:>9.2f} |{rps:>9.1f}{n['throughput_rps']:>8.1f}"
            f"{x['throughput_ratio']:>7.2f} |{o.get('errors', 0) + n['errors']:>4}"
        )
    return "\n".join(lines)


def _finite(value: object) -> object:
    """NaN (a missing ratio) as null, so the file is strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path("build"),
                        help="Build directory (store in DIR/store) or a bare pyoxigraph store.")
    parser.add_argument("--count", type=int, default=60,
                        help="Requests per query, mode, concurrency and server.")
    parser.add_argument("--time-cap", type=float, default=8.0, help="Seconds at most per cell and server.")
    parser.add_argument("--total-cap", type=float, default=900.0, help="Seconds at most for the whole run.")
    parser.add_argument("--concurrency", default="1,8", help="Comma-separated client concurrencies.")
    parser.add_argument("--modes", default=",".join(MODES), help="distinct, repeated or both.")
    parser.add_argument("--only", action="append", default=[], help="Only queries whose name contains this.")
    parser.add_argument("--no-examples", action="store_true", help="Leave out the example catalogue.")
    parser.add_argument("--no-ours", action="store_true", help="Run the native server alone.")
    parser.add_argument("--ours-arg", action="append", default=[], help="Extra argument for `vlkg serve`.")
    parser.add_argument("--ours-cmd", help="Another command to benchmark as 'ours', with {store} and {port}.")
    parser.add_argument("--ours-path", default="/sparql", help="Endpoint path of --ours-cmd.")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results", help="Directory for the JSON.")
    args = parser.parse_args(argv)

    store = Layout(args.store).store
    if not (store / "CURRENT").exists():
        print(f"No pyoxigraph store at {store}: run `vlkg build --out {args.store}` (or "
              f"`python bench/synthetic.py {args.store}` for a synthetic one).", file=sys.stderr)
        return 2
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    modes = [m for m in args.modes.split(",") if m in MODES]
    mix = load_mix(not args.no_examples, args.only)
    if not mix:
        print("No queries selected.", file=sys.stderr)
        return 2
    started, t0, token = dt.datetime.now(dt.UTC), time.monotonic(), secrets.token_hex(4)
    load_start = os.getloadavg()
    servers = start_servers(args, store)
    endpoints = {name: Endpoint(s.url) for name, s in servers.items()}
    cells: list[dict] = []
    capped = False
    try:
        with PeakSampler({name: s.process.pid for name, s in servers.items()}) as mem:
            checks = check_results(mix, endpoints)  # also starts the query processes (ours starts them lazily)
            time.sleep(2.0)
            idle = mem.sample()  # idle, after warm-up
            mem.mark()
            by_c: dict[int, dict[str, float]] = {}
            plan = itertools.product(mix, modes, concurrencies)
            for k, ((name, query), mode, c) in enumerate(plan):
                if time.monotonic() - t0 > args.total_cap:
                    capped = True
                    break
                order = list(endpoints) if k % 2 == 0 else list(reversed(endpoints))
                results: dict[str, Cell] = {}
                for server in order:
                    if mode == "distinct":
                        def make(i: int, s=server, k=k, q=query) -> str:
                            return f"# {token} {s} {k} {i}\n{q}"
                    else:
                        def make(i: int, q=query) -> str:
                            return q
                    results[server] = run(endpoints[server], make, args.count, c, args.time_cap)
                window = mem.mark()
                by_c[c] = {s: max(by_c.get(c, {}).get(s, 0.0), v) for s, v in window.items()}
                o, n = results.get("ours"), results["native"]
                cells.append({
                    "query": name, "mode": mode, "concurrency": c,
                    "servers": {s: r.summary() for s, r in results.items()},
                    "p50_ratio": ratio(o.percentile(0.5), n.percentile(0.5)) if o else math.nan,
                    "p95_ratio": ratio(o.percentile(0.95), n.percentile(0.95)) if o else math.nan,
                    "throughput_ratio": ratio(o.throughput, n.throughput) if o else math.nan,
                })
                print(table(cells[-1:]).splitlines()[-1], flush=True)
            peak = dict(mem.peak)
            peak_pss = dict(mem.peak_pss)
            processes = dict(mem.processes)
    finally:
        for s in servers.values():
            s.stop()

    summary = summarise(cells, concurrencies)
    load_end = os.getloadavg()
    print()
    print(table(cells))
    for x in checks:
        if not x["same"]:
            print(f"note: {x['query']} answers differ: " + ", ".join(f"{s} {x[s]}" for s in endpoints))
    print()
    for line in goal_lines(summary, peak, by_c):
        print(line)
    print("\nidle RSS after warm-up: " + ", ".join(f"{s} {idle[s]:.0f} MiB" for s in idle)
          + "; most processes at once: " + ", ".join(f"{s} {processes[s]}" for s in processes)
          + "; peak PSS (shared pages counted once): " + ", ".join(f"{s} {peak_pss[s]:.0f} MiB" for s in peak_pss))
    print(f"load average at start {load_start[0]:.2f}, at end {load_end[0]:.2f} on {os.cpu_count()} CPUs; "
          f"{len(mix)} queries x {len(modes)} modes x {len(concurrencies)} concurrencies, "
          f"{time.monotonic() - t0:.0f} s" + ("; STOPPED at --total-cap" if capped else ""))

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{started:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(_finite({
        "started": started.isoformat(), "store": str(args.store), "count": args.count,
        "time_cap_s": args.time_cap, "concurrencies": concurrencies, "modes": modes,
        "servers": {n: {"url": s.url, "argv": s.process.args} for n, s in servers.items()},
        "host": {"cpus": os.cpu_count(), "loadavg_start": load_start, "loadavg_end": load_end},
        "memory_mib": {"idle": idle, "peak": peak, "peak_pss": peak_pss, "peak_by_concurrency": by_c,
                       "processes": processes},
        "checks": checks, "cells": cells, "summary": summary, "goals": GOALS, "capped": capped,
    }), indent=1, default=str), encoding="utf-8")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
