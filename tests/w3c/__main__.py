"""`cd tests && python -m w3c [--no-ours] [--no-native] [--endpoint NAME=URL]`: run it, print the report.

`--endpoint` runs the suite against a server already running on the store whose path is printed first
(start it after that line appears, or give `--store DIR` to build the store somewhere that stays).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from w3c.dataset import build_store
from w3c.manifest import suite_root
from w3c.report import full_report
from w3c.runners import HttpRunner, InProcessRunner
from w3c.servers import start_native, start_ours
from w3c.suite import load_suite, missing_reason, run_all

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-ours", action="store_true", help="Do not start `vlkg serve`.")
    parser.add_argument("--no-native", action="store_true", help="Do not start `oxigraph serve-read-only`.")
    parser.add_argument("--endpoint", action="append", default=[], metavar="NAME=URL",
                        help="Also run against this running endpoint (on the store of --store).")
    parser.add_argument("--store", type=Path, help="Build the store here and keep it (default: a temp dir).")
    args = parser.parse_args()
    root = suite_root(REPO)
    reason = missing_reason(root)
    if reason:
        print(reason, file=sys.stderr)
        return 2
    started = time.monotonic()
    suite = load_suite(root)
    with tempfile.TemporaryDirectory(prefix="w3c-store-") as tmp:
        store_dir = args.store or Path(tmp) / "store"
        if not (store_dir / "CURRENT").exists():
            for error in build_store(store_dir, list(suite.query_tests), list(suite.protocol_tests)):
                print("load error:", error, file=sys.stderr)
        print(f"store: {store_dir}", file=sys.stderr)
        results = {"in-process": run_all(InProcessRunner(ox.Store.read_only(str(store_dir))), suite)}
        starters = []
        if not args.no_ours:
            starters.append(("ours", start_ours))
        if not args.no_native:
            starters.append(("native", start_native))
        for name, start in starters:
            server = start(store_dir)
            try:
                results[name] = run_all(HttpRunner(name, server.url), suite)
            finally:
                server.stop()
        for spec in args.endpoint:
            name, _, url = spec.partition("=")
            results[name] = run_all(HttpRunner(name, url), suite)
    print(full_report(results))
    print(f"\n{len(suite.query_tests)} query tests, {len(suite.protocol_tests)} protocol tests, "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
