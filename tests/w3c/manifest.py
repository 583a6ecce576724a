"""Read the W3C SPARQL 1.1 manifests (Turtle) into plain test records.

Only what a read-only query service is asked to do is read: query evaluation, CSV result format, query
syntax (positive and negative) and the protocol tests about queries (plus the negative update tests, which a
read-only service must refuse with a 4xx as well).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyoxigraph as ox

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
HT = "http://www.w3.org/2011/http#"
CNT = "http://www.w3.org/2011/content#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

QUERY_CATEGORIES = (
    "aggregates", "bind", "bindings", "cast", "construct", "csv-tsv-res", "exists", "functions", "grouping",
    "json-res", "negation", "project-expression", "property-path", "subquery", "syntax-query",
)
"""The sparql11 folders whose manifests are read (query language and result formats)."""

KINDS = {
    MF + "QueryEvaluationTest": "eval",
    MF + "CSVResultFormatTest": "csv",
    MF + "PositiveSyntaxTest11": "syntax+",
    MF + "NegativeSyntaxTest11": "syntax-",
}


@dataclass(frozen=True)
class QueryTest:
    """One query-language test: run `query` on the dataset (data -> default graph, graph_data -> named)."""

    id: str
    name: str
    category: str
    kind: str  # eval | csv | syntax+ | syntax-
    query: Path
    data: tuple[Path, ...] = ()
    graph_data: tuple[Path, ...] = ()
    result: Path | None = None

    @property
    def short(self) -> str:
        return f"{self.category}/{self.id.rsplit('#', 1)[-1]}"


@dataclass(frozen=True)
class ProtocolRequest:
    """One HTTP request of a protocol test and what its response must be."""

    method: str
    target: str  # path and query string, starting with /sparql/
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[int]  # accepted status classes: 2, 3, 4, 5
    boolean: bool | None
    result_format: str | None  # boolean | tabular | RDF


@dataclass(frozen=True)
class ProtocolTest:
    """A protocol test: its requests, run in order, and the graphs it needs (file, graph IRI)."""

    id: str
    name: str
    requests: tuple[ProtocolRequest, ...]
    graph_data: tuple[tuple[Path, str], ...]

    @property
    def short(self) -> str:
        return "protocol/" + self.id.rsplit("#", 1)[-1]


def suite_root(repo: Path) -> Path:
    """Where the W3C files are: $VLKG_W3C_TESTS, else <repo>/../shared/w3c-rdf-tests."""
    return Path(os.environ.get("VLKG_W3C_TESTS") or repo.parent / "shared" / "w3c-rdf-tests")


def sparql11_dir(root: Path) -> Path:
    return root / "sparql" / "sparql11"


def file_iri(path: Path) -> str:
    """The absolute file IRI naming a data file's graph (and the base of its relative IRIs)."""
    return path.resolve().as_uri()


def iri_path(iri: str) -> Path:
    return Path(unquote(urlparse(iri).path))


class _Graph:
    """A tiny index over one parsed manifest: (subject, predicate) -> objects."""

    def __init__(self, path: Path) -> None:
        self.index: dict[tuple[object, str], list] = defaultdict(list)
        for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE, base_iri=file_iri(path)):
            self.index[(q.subject, q.predicate.value)].append(q.object)

    def all(self, s: object, p: str) -> list:
        return self.index.get((s, p), [])

    def one(self, s: object, p: str):
        values = self.all(s, p)
        return values[0] if values else None

    def text(self, s: object, p: str) -> str | None:
        value = self.one(s, p)
        return None if value is None else value.value

    def items(self, head: object) -> list:
        """The members of an RDF list."""
        out = []
        while head is not None and head != ox.NamedNode(RDF + "nil"):
            out.append(self.one(head, RDF + "first"))
            head = self.one(head, RDF + "rest")
        return out

    def entries(self) -> list:
        manifests = [s for (s, p), os_ in self.index.items()
                     if p == RDF + "type" and ox.NamedNode(MF + "Manifest") in os_]
        return [e for m in manifests for lst in self.all(m, MF + "entries") for e in self.items(lst)]


def read_query_tests(root: Path) -> list[QueryTest]:
    """Every query-language test of the chosen sparql11 folders, in manifest order."""
    tests: list[QueryTest] = []
    for category in QUERY_CATEGORIES:
        g = _Graph(sparql11_dir(root) / category / "manifest.ttl")
        for entry in g.entries():
            kind = KINDS.get(getattr(g.one(entry, RDF + "type"), "value", ""))
            if kind is None:
                continue
            action = g.one(entry, MF + "action")
            if isinstance(action, ox.NamedNode):  # syntax tests: the action is the query file itself
                query, data, graph_data = action, [], []
            else:
                query = g.one(action, QT + "query")
                data, graph_data = g.all(action, QT + "data"), g.all(action, QT + "graphData")
            result = g.one(entry, MF + "result")
            tests.append(QueryTest(
                id=entry.value, name=g.text(entry, MF + "name") or entry.value, category=category, kind=kind,
                query=iri_path(query.value),
                data=tuple(iri_path(d.value) for d in data),
                graph_data=tuple(iri_path(d.value) for d in graph_data),
                result=iri_path(result.value) if result is not None else None,
            ))
    return tests


def read_protocol_tests(root: Path) -> list[ProtocolTest]:
    """The protocol tests about queries, and the negative ones (positive update tests are left out)."""
    g = _Graph(sparql11_dir(root) / "protocol" / "manifest.ttl")
    tests = []
    for entry in g.entries():
        local = entry.value.rsplit("#", 1)[-1]
        if local.startswith("update_"):  # they change data: not for a read-only service
            continue
        graphs = tuple((iri_path(g.one(gd, UT + "graph").value), g.text(gd, RDFS + "label") or "")
                       for gd in g.all(entry, UT + "graphData"))
        action = g.one(entry, MF + "action")
        requests = tuple(_request(g, r) for lst in g.all(action, HT + "requests") for r in g.items(lst))
        tests.append(ProtocolTest(entry.value, g.text(entry, MF + "name") or local, requests, graphs))
    return tests


def _request(g: _Graph, r: object) -> ProtocolRequest:
    headers = tuple((g.text(h, HT + "fieldName") or "", g.text(h, HT + "fieldValue") or "")
                    for lst in g.all(r, HT + "headers") for h in g.items(lst))
    body_node = g.one(r, HT + "body")
    body = None
    if body_node is not None:
        encoding = g.text(body_node, CNT + "characterEncoding") or "UTF-8"
        body = (g.text(body_node, CNT + "chars") or "").encode(encoding)
    resp = g.one(r, HT + "resp")
    statuses = frozenset(int(s.value.removeprefix(HTS)[0]) for s in g.all(resp, MF + "expectedStatus"))
    boolean = g.one(resp, MF + "expectedBoolean")
    return ProtocolRequest(
        method=g.text(r, HT + "methodName") or "GET", target=g.text(r, HT + "absolutePath") or "/sparql/",
        headers=headers, body=body, statuses=statuses,
        boolean=None if boolean is None else boolean.value == "true",
        result_format=g.text(resp, MF + "expectedFormat"),
    )
