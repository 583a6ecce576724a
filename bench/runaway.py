"""Light queries under runaway load: how fast `vlkg serve` answers an ASK while clients loop runaway queries.

Starts `vlkg serve --store DIR` (default settings unless `--serve-arg` says otherwise) on loopback, then
`--clients` threads each loop a runaway query (a three-way cross product under COUNT: it never finishes
before its timeout) while one thread sends light queries (`ASK { ?s ?p ?o }`, each made unique by a
comment so no cache answers it) and another probes /health. Prints the light-query median/p90/max, the
/health latency, the runaway answers by status, and the peak resident memory and process count of the
server's process tree. Every loop is bounded by `--duration`; stdlib only.

    .venv/bin/python bench/runaway.py --store build [--clients 4] [--duration 20] [--serve-arg=--threads=4]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from memory import PeakSampler  # noqa: E402
from w3c.servers import start_ours  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "ASK { ?s ?p ?o }"


def get(host: str, port: int, path: str, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one GET on a fresh connection; status 0 for a connection failure."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - start
    except OSError:
        return 0, time.monotonic() - start
    finally:
        conn.close()


def health_state(host: str, port: int) -> dict:
    """The query_processes part of /health (the pool's counters), or {} if it cannot be read."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("GET", "/health")
        return json.loads(conn.getresponse().read()).get("query_processes") or {}
    except (OSError, ValueError):
        return {}
    finally:
        conn.close()


def sparql_path(query: str, **params: str) -> str:
    return "/sparql?" + urlencode({"query": query, **params})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default="build", help="build directory or pyoxigraph store (default: build)")
    parser.add_argument("--clients", type=int, default=4, help="clients looping the runaway query (default 4)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of measurement (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of runaway load before measuring")
    parser.add_argument("--runaway-timeout", default="", help="timeout= sent with each runaway query (default: none)")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra argument for `vlkg serve`")
    args = parser.parse_args(argv)

    server = start_ours(Path(args.store), extra=tuple(args.serve_arg))
    host, port = "127.0.0.1", int(server.url.split(":")[2].split("/")[0])
    stop = threading.Event()
    runaway_status: collections.Counter[int] = collections.Counter()
    light: list[float] = []
    light_status: collections.Counter[int] = collections.Counter()
    health: list[float] = []
    health_status: collections.Counter[int] = collections.Counter()
    params = {"timeout": args.runaway_timeout} if args.runaway_timeout else {}

    def runaway_client(i: int) -> None:
        n = 0
        while not stop.is_set():
            status, _ = get(host, port, sparql_path(f"# runaway {i} {n}\n{RUNAWAY}", **params), 120)
            if not stop.is_set():  # requests cut by the end of the run are not answers
                runaway_status[status] += 1
            n += 1

    def light_client() -> None:
        n = 0
        while not stop.is_set():
            status, seconds = get(host, port, sparql_path(f"# light {n}\n{LIGHT}"), 60)
            light_status[status] += 1
            light.append(seconds)
            n += 1
            stop.wait(0.1)

    def health_probe() -> None:
        while not stop.is_set():
            status, seconds = get(host, port, "/health", 60)
            health_status[status] += 1
            health.append(seconds)
            stop.wait(0.5)

    idle = [get(host, port, sparql_path(f"# idle {n}\n{LIGHT}"), 30)[1] for n in range(20)]
    threads = [threading.Thread(target=runaway_client, args=(i,), daemon=True) for i in range(args.clients)]
    try:
        with PeakSampler({"server": server.process.pid}) as memory:
            idle_mib = memory.sample()["server"]
            for t in threads:
                t.start()
            time.sleep(args.warmup)
            measured = [threading.Thread(target=light_client, daemon=True),
                        threading.Thread(target=health_probe, daemon=True)]
            for t in measured:
                t.start()
            time.sleep(args.duration)
            stop.set()
            for t in measured:
                t.join(timeout=65)
            pool = health_state(host, port)
    finally:
        stop.set()
        server.stop()
    for t in threads:
        t.join(timeout=5)

    def line(name: str, values: list[float]) -> str:
        if not values:
            return f"{name:<10} no answers"
        return (f"{name:<10} n={len(values):<4} median {statistics.median(values) * 1000:8.1f} ms   "
                f"p90 {percentile(values, 0.9) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms")

    print(f"vlkg serve --store {args.store} {' '.join(args.serve_arg)}".rstrip())
    print(f"{args.clients} clients looping {RUNAWAY!r}{' timeout=' + args.runaway_timeout if params else ''}, "
          f"{args.duration:g} s measured after {args.warmup:g} s of load")
    print(line("idle", idle))
    print(line("light", light) + f"   statuses {dict(sorted(light_status.items()))}")
    print(line("/health", health) + f"   statuses {dict(sorted(health_status.items()))}")
    print(f"runaway answers by status: {dict(sorted(runaway_status.items()))}")
    print(f"query processes at the end (/health): {pool}")
    print(f"memory: {idle_mib:.0f} MiB idle, peak {memory.peak['server']:.0f} MiB over at most "
          f"{memory.processes['server']} processes (server tree, RSS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
