"""Run a test against an endpoint over HTTP, or in-process against pyoxigraph, and judge the outcome."""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from w3c.compare import compare
from w3c.dataset import dataset_params
from w3c.manifest import ProtocolRequest, ProtocolTest, QueryTest, file_iri
from w3c.query_text import is_ordered, with_base
from w3c.results import Graph, Result, Solutions, from_ox, parse_csv, parse_response, read_expected

RESULT_TYPES = {  # what the protocol tests' mf:expectedFormat allows
    "boolean": {"application/sparql-results+xml", "application/sparql-results+json"},
    "tabular": {"application/sparql-results+xml", "application/sparql-results+json", "text/csv",
                "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}
METHODS = ("GET", "POST-form", "POST-direct")


@dataclass(frozen=True)
class Outcome:
    """Whether a test passed, and if not, why (one line)."""

    passed: bool
    detail: str = ""
    statuses: tuple[int, ...] = ()  # the HTTP status of each request (protocol tests)


@cache
def expected_of(path: Path) -> Result:
    return read_expected(path)


def judge(test: QueryTest, actual: Result) -> Outcome:
    """Compare an evaluation result with the test's expected result."""
    assert test.result is not None
    reason = compare(expected_of(test.result), actual, is_ordered(test.query.read_text(encoding="utf-8")))
    return Outcome(reason is None, reason or "")


def _accept(test: QueryTest, index: int) -> str | None:
    """The Accept header: alternate formats so every serializer is exercised; CSV/TSV as the suite says."""
    if test.kind == "csv":
        return "text/csv"
    if test.kind != "eval" or test.result is None:
        return None  # syntax tests: let the server pick its default
    suffix = test.result.suffix
    if suffix == ".tsv":
        return "text/tab-separated-values"
    if suffix == ".srj":
        return "application/sparql-results+json"
    if isinstance(expected_of(test.result), Graph):
        return ("application/n-triples", "text/turtle")[index % 2]
    return ("application/sparql-results+json", "application/sparql-results+xml")[index % 2]


class HttpRunner:
    """A SPARQL endpoint reached over HTTP (one kept-alive connection, requests in sequence)."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        """Send one request; (status, content type, body). Reconnects once if the connection was dropped."""
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self._conn.request(method, target, body=body, headers=headers or {})
                resp = self._conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return resp.status, resp.getheader("Content-Type", ""), data
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def run_query_test(self, test: QueryTest, index: int = 0) -> Outcome:
        """Send the test's query with its dataset parameters; method and format vary with `index`."""
        query = with_base(test.query.read_text(encoding="utf-8"), file_iri(test.query))
        params = dataset_params(test)
        method = METHODS[index % len(METHODS)]
        headers = {}
        accept = _accept(test, index)
        if accept:
            headers["Accept"] = accept
        if method == "GET":
            status, ctype, body = self.request("GET", f"{self.path}?{urlencode([('query', query), *params])}",
                                               headers=headers)
        elif method == "POST-form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            form = urlencode([("query", query), *params]).encode()
            status, ctype, body = self.request("POST", self.path, form, headers)
        else:
            headers["Content-Type"] = "application/sparql-query"
            target = f"{self.path}?{urlencode(params)}" if params else self.path
            status, ctype, body = self.request("POST", target, query.encode("utf-8"), headers)
        where = f"[{method}{', ' + accept if accept else ''}]"
        if test.kind == "syntax-":
            ok = status == 400
            return Outcome(ok, "" if ok else f"{where} status {status} for a malformed query (400 expected)")
        if not 200 <= status < 300:
            return Outcome(False, f"{where} status {status}: {body[:160].decode('utf-8', 'replace')!r}")
        if test.kind == "syntax+":
            return Outcome(True)
        try:
            actual = parse_response(ctype, body)
        except (ValueError, SyntaxError, KeyError, ET.ParseError, json.JSONDecodeError) as exc:
            return Outcome(False, f"{where} unreadable {ctype or 'untyped'} response: {exc}")
        outcome = judge(test, actual)
        return outcome if outcome.passed else Outcome(False, f"{where} {outcome.detail}")

    def run_protocol_test(self, test: ProtocolTest) -> Outcome:
        """Send each request of the test in order; every response must be as the manifest says."""
        statuses: list[int] = []
        for req in test.requests:
            reason = self._check(req, statuses)
            if reason:
                return Outcome(False, f"{req.method} {req.target[:60]}: {reason}", tuple(statuses))
        return Outcome(True, "", tuple(statuses))

    def _check(self, req: ProtocolRequest, statuses: list[int]) -> str | None:
        target = self.path + req.target.removeprefix("/sparql/")
        status, ctype, body = self.request(req.method, target, req.body, dict(req.headers))
        statuses.append(status)
        if status // 100 not in req.statuses:
            return f"status {status}, expected {'/'.join(f'{s}xx' for s in sorted(req.statuses))}"
        media = ctype.split(";")[0].strip().lower()
        if req.result_format and media not in RESULT_TYPES[req.result_format]:
            return f"Content-Type {ctype!r} is not a {req.result_format} result format"
        if req.boolean is not None:
            try:
                actual = parse_response(ctype, body)
            except (ValueError, SyntaxError, KeyError, ET.ParseError, json.JSONDecodeError) as exc:
                return f"unreadable boolean result: {exc}"
            if actual is not req.boolean:
                return f"answer {actual!r}, expected {req.boolean}"
        return None


class InProcessRunner:
    """pyoxigraph in this process, on the same store and the same dataset parameters."""

    name = "in-process"

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def run_query_test(self, test: QueryTest, index: int = 0) -> Outcome:
        params = dataset_params(test)
        kwargs = {}
        if params:
            kwargs["default_graph"] = [ox.NamedNode(v) for k, v in params if k == "default-graph-uri"]
            kwargs["named_graphs"] = [ox.NamedNode(v) for k, v in params if k == "named-graph-uri"]
        try:
            results = self.store.query(test.query.read_text(encoding="utf-8"), base_iri=file_iri(test.query),
                                       **kwargs)
            actual = self._materialise(results, csv=test.kind == "csv")
        except SyntaxError as exc:
            if test.kind == "syntax-":
                return Outcome(True)
            return Outcome(False, f"error: {exc}")
        except (OSError, RuntimeError) as exc:  # evaluation errors
            return Outcome(False, f"error: {exc}")
        if test.kind == "syntax-":
            return Outcome(False, "a malformed query was accepted")
        if test.kind == "syntax+":
            return Outcome(True)
        return judge(test, actual)

    @staticmethod
    def _materialise(results: object, csv: bool) -> Result:
        if isinstance(results, ox.QueryBoolean):
            return bool(results)
        if isinstance(results, ox.QuerySolutions):
            if csv:
                return parse_csv(results.serialize(format=ox.QueryResultsFormat.CSV))
            variables = [v.value for v in results.variables]
            rows = [{v: from_ox(s[v]) for v in variables if s[v] is not None} for s in results]
            return Solutions(variables, rows)
        return Graph({(from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in results})
