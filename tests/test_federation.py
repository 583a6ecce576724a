"""Federation (issue 9, item 5): SERVICE reaches only the endpoints on the operator's allow-list.

Two real `vlkg serve` processes on loopback (conftest's serve_factory): the first serves the fixture register and
lists the second's /sparql in --service-allow, written literally (127.0.0.1:PORT, as the allow-list requires
for a loopback address); the second serves a small "census" store keyed by unit IRIs. A query on the first joins
its units with the second's figures through SERVICE. A SERVICE to an endpoint not on the list (another port of
the same host, a host name, or any endpoint on a server with the default empty list) is refused with 403
`service_refused` and no connection is attempted: a listener that counts connections sees none. No network is
used: everything is on 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from loopback import CountingListener
from pyoxigraph import Literal, NamedNode, Quad, Store

ID = "https://vinhloc-kg.example/id/"
CENSUS = "https://census.example.org/def/"
CENSUS_GRAPH = NamedNode("https://census.example.org/graph/2019")
XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
# Made-up figures keyed by the unit versions of the fixture register (tests/data/registry.trig).
POPULATION = {"au/15382/2019-12-01": 9120, "au/15388/2004-08-31": 5310, "au/15349/2019-12-01": 7050,
              "au/99999/2019-12-01": 1}  # a unit the first server does not know: the join drops it


@pytest.fixture
def listener():
    server = CountingListener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def census_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second instance's store: one figure per unit version, in a named graph."""
    path = tmp_path_factory.mktemp("census") / "store"
    store = Store(str(path))
    store.extend(Quad(NamedNode(ID + unit), NamedNode(CENSUS + "population"), Literal(str(n), datatype=XSD_INTEGER),
                      CENSUS_GRAPH) for unit, n in POPULATION.items())
    store.flush()
    del store
    return path


@pytest.fixture(scope="module")
def local_store(fixture_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture register for the first instance (its own query processes)."""
    path = tmp_path_factory.mktemp("federating") / "store"
    shutil.copytree(fixture_store, path)
    return path


def _get(base: str, query: str) -> tuple[int, dict]:
    url = base + "/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json, application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"text": body.decode(errors="replace")}


JOIN = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX c: <https://census.example.org/def/>
SELECT ?unit ?label ?population WHERE {{
  ?unit schema:isPartOf <https://vinhloc-kg.example/id/au/393/2004-08-31> ;
        skos:prefLabel ?label .
  SERVICE <{endpoint}> {{ ?unit c:population ?population }}
}}
ORDER BY ?unit"""


def test_service_joins_local_units_with_a_second_vlkg_on_the_allow_list(serve_factory, census_store, local_store,
                                                                       listener):
    remote = serve_factory(census_store)
    endpoint = remote + "/sparql"
    assert endpoint.startswith("http://127.0.0.1:")  # loopback is allowed only when written literally
    local = serve_factory(local_store, "--service-allow", endpoint)

    status, body = _get(local, JOIN.format(endpoint=endpoint))
    assert status == 200, body
    rows = [(b["unit"]["value"].removeprefix(ID), b["label"]["value"], int(b["population"]["value"]))
            for b in body["results"]["bindings"]]
    assert rows == [
        ("au/15349/2019-12-01", "Thị trấn Vĩnh Lộc", 7050),
        ("au/15382/2019-12-01", "Xã Minh Tân", 9120),
        ("au/15388/2004-08-31", "Xã Vĩnh Thịnh", 5310),
    ]

    # The same server refuses an endpoint that is not on its list: another port of the same host...
    status, body = _get(local, JOIN.format(endpoint=listener.url))
    assert status == 403 and body["error"]["code"] == "service_refused", body
    # ...the same port under a host name, and a public endpoint (no network is needed to refuse it).
    for other in (endpoint.replace("127.0.0.1", "localhost"), "https://query.wikidata.org/sparql"):
        status, body = _get(local, JOIN.format(endpoint=other))
        assert status == 403 and body["error"]["code"] == "service_refused", (other, body)
    time.sleep(0.3)
    assert listener.connections == 0


def test_service_is_refused_by_default_with_no_connection(serve_factory, census_store, listener):
    """The default allow-list is empty: every SERVICE is refused and nothing is connected to."""
    server = serve_factory(census_store)
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    status, body = _get(server, query)
    assert status == 403 and body["error"]["code"] == "service_refused", body
    time.sleep(0.3)
    assert listener.connections == 0
