"""Researchers' clients run the example catalogue unchanged against a real server over the real build."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from pyoxigraph import QuerySolutions

QUERIES = sorted(Path(str(resources.files("vlkg.queries"))).glob("*.rq"))


@pytest.fixture(scope="module")
def real_server(built: Path) -> Iterator[str]:
    """A real `vlkg serve` over the real build, for this module's clients."""
    from conftest import start_server, stop_server

    proc, url = start_server(built)
    yield url
    stop_server(proc)


def expected(built_store, query: str) -> list[tuple]:
    result = built_store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return sorted(tuple((s[n].value if s[n] is not None else None) for n in names) for s in result)


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_sparqlwrapper_runs_example(real_server: str, built_store, path: Path) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    query = path.read_text(encoding="utf-8")
    client = SPARQLWrapper(real_server + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    data = client.query().convert()
    names = data["head"]["vars"]
    rows = sorted(tuple(b.get(n, {}).get("value") for n in names) for b in data["results"]["bindings"])
    assert rows and rows == expected(built_store, query)


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_rdflib_sparqlstore_runs_example(real_server: str, built_store, path: Path) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    query = path.read_text(encoding="utf-8")
    result = Graph(store=SPARQLStore(real_server + "/sparql")).query(query)
    rows = sorted(tuple((str(v) if v is not None else None) for v in row) for row in result)
    assert rows and rows == expected(built_store, query)
