"""Benchmark `Places.search` (and `Places.reconcile`) on the full unit registry: p50/p90 per query and overall.

    .venv/bin/python bench/search.py [--store build] [--rounds 30]

Loads the unit index of a build (`DIR/current/units.json.gz`), or builds the registry from data/ when there is
no build, then runs a fixed list of 50 search queries (prefixes, folded and NFD text, level words, codes)
`--rounds` times each, in a shuffled order, and prints a table. The goal (issue 9) is p50 well under 50 ms.
Timings are not asserted in tests: this is a shared machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

QUERIES = [
    "vinh hu", "Vĩnh Hùng", "vinh hung", "VINH HUNG", unicodedata.normalize("NFD", "Vĩnh Hưng"), "minh tan",
    "Minh Tân", "xa minh tan", "bien thuong", "Biện Thượng", "ha noi", "Hà Nội", "ho chi minh", "tp ho chi minh",
    "thanh hoa", "Thanh Hóa", "đông hưng", "dong hung", "dong h", "d", "v", "ng", "nguyen", "tan", "tan phu",
    "phuong 5", "Phường V", "p 12", "quan 3", "q 1", "hai chau ii", "ea h'leo", "ea hleo", "cu m'gar",
    "ba ria vung tau", "phan rang", "thi tran vinh loc", "huyen vinh loc", "vinh loc", "an", "an phu",
    "hoa binh", "hòa bình", "hoà bình", "long", "long bien", "cam", "cẩm phả", "15382", "00001",
]
RECONCILE = [
    ("xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa", date(2021, 12, 22)),
    ("xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa", date(2026, 1, 1)),
    ("vinh hung vinh loc", None), ("P. 5, Q. 3", None), ("Tp Hồ Chí Minh", None), ("Minh Tân", date(2021, 12, 22)),
    ("phuong 1 quan 10 ho chi minh", date(2020, 1, 1)), ("15382", date(2021, 12, 22)),
]


def load(store: Path):
    sys.path.insert(0, str(REPO))
    from vlkg.units import Registry

    registry = Registry.of_build(store)
    if registry is not None:
        return registry, f"{store}/current/units.json.gz"
    from vlkg.ingest.registry import build_registry

    return build_registry(REPO / "data").registry, "data/ (no build at --store)"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=Path("build"), help="build directory (default: build)")
    parser.add_argument("--rounds", type=int, default=30, help="runs of each query (default: 30)")
    parser.add_argument("--limit", type=int, default=20, help="results per search (default: 20)")
    args = parser.parse_args()
    assert len(QUERIES) == 50

    registry, source = load(args.store)
    from vlkg.places import Places

    t0 = time.perf_counter()
    places = Places(registry)
    build_ms = (time.perf_counter() - t0) * 1000
    print(f"registry: {len(registry)} unit versions from {source}; Places index built in {build_ms:.0f} ms")

    rng = random.Random(9)
    timings: dict[str, list[float]] = {q: [] for q in QUERIES}
    results: dict[str, list] = {}
    order = [q for q in QUERIES for _ in range(args.rounds)]
    rng.shuffle(order)
    for q in QUERIES:  # warm-up
        results[q] = places.search(q, limit=args.limit)
    for q in order:
        t = time.perf_counter()
        places.search(q, limit=args.limit)
        timings[q].append((time.perf_counter() - t) * 1000)

    width = max(len(repr(q)) for q in QUERIES)
    print(f"\n{'query':<{width}}  {'hits':>4}  {'p50 ms':>7}  {'p90 ms':>7}  first result")
    for q in QUERIES:
        top = results[q][0].unit if results[q] else None
        first = f"{top.name} ({top.code}, {top.validity})" if top else "-"
        print(f"{q!r:<{width}}  {len(results[q]):>4}  {statistics.median(timings[q]):>7.2f}  "
              f"{percentile(timings[q], 0.9):>7.2f}  {first}")
    every = [t for ts in timings.values() for t in ts]
    print(f"\nsearch, all {len(every)} calls: p50 {statistics.median(every):.2f} ms, "
          f"p90 {percentile(every, 0.9):.2f} ms, max {max(every):.2f} ms (goal: p50 < 50 ms)")

    rec: list[float] = []
    for _ in range(args.rounds):
        for text, on in RECONCILE:
            t = time.perf_counter()
            places.reconcile(text, on=on)
            rec.append((time.perf_counter() - t) * 1000)
    print(f"reconcile, {len(rec)} calls over {len(RECONCILE)} addresses: p50 {statistics.median(rec):.2f} ms, "
          f"p90 {percentile(rec, 0.9):.2f} ms")


if __name__ == "__main__":
    main()
