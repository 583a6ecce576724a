"""One store holding every test's data, and the dataset parameters that select a test's part of it.

Each data file goes into its own named graph, named by its absolute file IRI (which is also the base of
its relative IRIs, as the suite expects); the protocol tests' files go under the graph names their
manifest gives. A test then selects its dataset with `default-graph-uri` / `named-graph-uri`, exactly as
the SPARQL Protocol says; a query with its own FROM / FROM NAMED is sent without them.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from w3c.manifest import ProtocolTest, QueryTest, file_iri
from w3c.query_text import has_dataset_clause

EMPTY_GRAPH = "urn:x-w3c-tests:empty"
"""A graph that holds nothing: the default graph of tests that give no data."""


def build_store(directory: Path, query_tests: list[QueryTest],
                protocol_tests: list[ProtocolTest]) -> list[str]:
    """Write the store at `directory` (closed on return, so servers can open it); the load errors, if any."""
    graphs: dict[str, Path] = {}
    for test in query_tests:
        for path in (*test.data, *test.graph_data):
            graphs.setdefault(file_iri(path), path)
    for ptest in protocol_tests:
        for path, name in ptest.graph_data:
            graphs.setdefault(name, path)
    directory.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(directory))
    errors = []
    for name, path in graphs.items():
        try:
            store.load(path=path, base_iri=file_iri(path), to_graph=ox.NamedNode(name))
        except (SyntaxError, ValueError, OSError) as exc:
            errors.append(f"{path}: {exc}")
    store.flush()
    del store  # closes the store: the servers open it read-only
    return errors


def dataset_params(test: QueryTest) -> list[tuple[str, str]]:
    """The protocol's dataset parameters that make the test's dataset (none if the query has FROM)."""
    if has_dataset_clause(test.query.read_text(encoding="utf-8")):
        return []
    params = [("default-graph-uri", file_iri(p)) for p in test.data] or [("default-graph-uri", EMPTY_GRAPH)]
    return params + [("named-graph-uri", file_iri(p)) for p in test.graph_data]
