"""Latency of each example query (queries/*.rq) on a store: p50 and p90 over N runs, against the 100 ms goal.

Two ways to run them:

- in-process (default): pyoxigraph `Store.read_only` on DIR/store, `use_default_graph_as_union=True`
  (what `vlkg serve` asks of the engine), every solution or triple consumed; this is the engine alone;
- `--serve`: through a real `vlkg serve --store DIR` on loopback, GET /sparql, one kept-alive
  connection, each request made unique by a first comment line so that no result cache answers it;
  this is the engine plus the HTTP layer.

Each query runs once untimed (warm-up), then `--runs` times. Prints a Markdown table (paste it into
bench/README.md) and exits non-zero when a p50 is over `--goal-ms` (default 100).

    .venv/bin/python bench/examples.py --store build [--serve] [--runs 30] [--only NAME] [--queries DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the server starter is shared with the W3C harness

from loadgen import Endpoint, accept_for, result_size  # noqa: E402


def examples(folder: Path, only: list[str]) -> list[tuple[str, str]]:
    files = sorted(folder.glob("*.rq"))
    return [(p.stem, p.read_text(encoding="utf-8")) for p in files if not only or any(o in p.stem for o in only)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(store_dir: Path):
    from pyoxigraph import QueryBoolean, QuerySolutions, Store

    store = Store.read_only(str(store_dir.resolve()))

    def once(query: str) -> str:
        result = store.query(query, use_default_graph_as_union=True)
        if isinstance(result, QueryBoolean):
            return f"boolean {bool(result)}"
        if isinstance(result, QuerySolutions):
            return f"{sum(1 for _ in result)} rows"
        return f"{sum(1 for _ in result)} triples"

    return once, lambda: None


def served(build: Path):
    from w3c.servers import start_ours

    server = start_ours(build)
    endpoint = Endpoint(server.url)
    conn = endpoint.connect()
    counter = iter(range(10**9))

    def once(query: str) -> str:
        text = f"# examples.py {os.getpid()} {next(counter)}\n{query}"
        conn.request("GET", endpoint.target(text), headers={"Accept": accept_for(query)})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}: {body[:300]!r}")
        return result_size(query, body)

    def stop() -> None:
        conn.close()
        server.stop()

    return once, stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=REPO / "build", help="build directory (default: build)")
    parser.add_argument("--serve", action="store_true", help="through a real `vlkg serve` instead of in-process")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per query (default 30)")
    parser.add_argument("--only", action="append", default=[], help="only examples whose name contains TEXT")
    parser.add_argument("--queries", type=Path, default=REPO / "queries",
                        help="folder of .rq files (default: queries/; e.g. older versions, to compare)")
    parser.add_argument("--goal-ms", type=float, default=100.0, help="p50 goal in ms (default 100)")
    args = parser.parse_args(argv)

    store_dir = args.store / "store" if (args.store / "store").is_dir() else args.store
    once, stop = served(args.store) if args.serve else in_process(store_dir)
    mode = "vlkg serve, HTTP GET, distinct requests" if args.serve else "in-process pyoxigraph Store.read_only"
    print(f"{args.queries.name}/*.rq on {args.store} ({mode}), {args.runs} runs each after one warm-up; "
          f"load average {os.getloadavg()[0]:.2f}")
    print()
    print("| example | result | p50 ms | p90 ms | max ms | goal |")
    print("|---|---|---:|---:|---:|---|")
    over = 0
    try:
        for name, query in examples(args.queries, args.only):
            size = once(query)
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                once(query)
                times.append((time.perf_counter() - t0) * 1000)
            p50 = statistics.median(times)
            ok = p50 < args.goal_ms
            over += not ok
            print(f"| {name} | {size} | {p50:.1f} | {percentile(times, 0.9):.1f} | {max(times):.1f} | "
                  f"{'ok' if ok else 'OVER'} |", flush=True)
    finally:
        stop()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
