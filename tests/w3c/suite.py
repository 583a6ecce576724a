"""The whole run: read the suite, build its store, run every test with a runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from w3c.manifest import ProtocolTest, QueryTest, read_protocol_tests, read_query_tests, sparql11_dir
from w3c.runners import HttpRunner, InProcessRunner, Outcome


@dataclass(frozen=True)
class Suite:
    """The tests read from one copy of the W3C files."""

    root: Path
    query_tests: tuple[QueryTest, ...]
    protocol_tests: tuple[ProtocolTest, ...]

    def category(self, short: str) -> str:
        return short.split("/", 1)[0]


def missing_reason(root: Path) -> str | None:
    """Why the suite cannot run from `root`, or None when it can."""
    if not (sparql11_dir(root) / "manifest-all.ttl").is_file():
        return (f"W3C SPARQL tests not found at {root} (sparql/sparql11/manifest-all.ttl): "
                "set VLKG_W3C_TESTS to a checkout of w3c/rdf-tests")
    return None


def load_suite(root: Path) -> Suite:
    suite = Suite(root, tuple(read_query_tests(root)), tuple(read_protocol_tests(root)))
    names = [t.short for t in suite.query_tests] + [t.short for t in suite.protocol_tests]
    if len(names) != len(set(names)):
        raise ValueError("two tests share a short name; the report would mix them up")
    return suite


def run_all(runner: HttpRunner | InProcessRunner, suite: Suite) -> dict[str, Outcome]:
    """Every test's outcome by short name (protocol tests only over HTTP)."""
    outcomes = {}
    for i, test in enumerate(suite.query_tests):
        try:
            outcomes[test.short] = runner.run_query_test(test, i)
        except Exception as exc:  # a crash in one test must not hide the others
            outcomes[test.short] = Outcome(False, f"harness error: {type(exc).__name__}: {exc}")
    if isinstance(runner, HttpRunner):
        for ptest in suite.protocol_tests:
            try:
                outcomes[ptest.short] = runner.run_protocol_test(ptest)
            except Exception as exc:
                outcomes[ptest.short] = Outcome(False, f"harness error: {type(exc).__name__}: {exc}")
        runner.close()
    return outcomes
