"""/sparql in-process: the SPARQL 1.1 Protocol, formats, errors, limits, caching, CORS and compression."""

from __future__ import annotations

import csv
import gzip
import io
import json
import socket
from typing import Any
from xml.etree import ElementTree

import pytest
from pyoxigraph import Dataset, QueryResultsFormat, RdfFormat, parse, parse_query_results

G = "https://vinhloc-kg.example/graph/"
LEGACY, NEW, SRC = G + "ref/dvhc-legacy", G + "ref/dvhc-2025", G + "src/000_e1149b89a4266354"
PREFIXES = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX kg: <https://vinhloc-kg.example/def/>\n"
LABELS_VI = PREFIXES + "SELECT ?u ?label WHERE { ?u skos:prefLabel ?label FILTER(lang(?label) = 'vi') } ORDER BY ?u"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
CONSTRUCT = PREFIXES + "CONSTRUCT { ?u skos:prefLabel ?l } WHERE { ?u skos:prefLabel ?l }"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}


def values(response: Any, var: str) -> list[str]:
    """The values of one variable in a SPARQL JSON response."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return [b[var]["value"] for b in json.loads(response.data)["results"]["bindings"] if var in b]


def count(client: Any, **params: Any) -> int:
    return int(values(client.get("/sparql", query_string={"query": COUNT, **params}, headers=JSON_RESULTS), "n")[0])


# --- the three ways to send a query -----------------------------------------------------------------------


def test_get_returns_json_results_with_vietnamese(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": LABELS_VI})
    assert response.content_type == "application/sparql-results+json"
    labels = values(response, "label")
    assert "Xã Minh Tân" in labels and "Huyện Vĩnh Lộc" in labels


def test_post_form_and_post_direct_agree_with_get(client: Any) -> None:
    via_get = values(client.get("/sparql", query_string={"query": LABELS_VI}), "label")
    via_form = values(client.post("/sparql", data={"query": LABELS_VI}), "label")
    via_direct = values(
        client.post("/sparql", data=LABELS_VI.encode(), content_type="application/sparql-query"), "label"
    )
    assert via_get == via_form == via_direct
    assert len(via_get) == 7


def test_trailing_slash_is_the_same_endpoint(client: Any) -> None:
    assert client.get("/sparql/", query_string={"query": "ASK {}"}).status_code == 200


# --- the dataset ------------------------------------------------------------------------------------------


def test_default_graph_is_union_of_all_named_graphs(client: Any, fixture_quads: int) -> None:
    assert count(client) == fixture_quads
    graphs = values(client.get("/sparql", query_string={"query": GRAPHS}), "g")
    assert graphs == sorted([LEGACY, NEW, SRC])


def test_default_graph_uri_selects_graphs(client: Any, fixture_quads: int) -> None:
    legacy = count(client, **{"default-graph-uri": LEGACY})
    new = count(client, **{"default-graph-uri": NEW})
    both = count(client, **{"default-graph-uri": [LEGACY, NEW]})
    assert 0 < legacy < fixture_quads and 0 < new < fixture_quads
    assert both == legacy + new
    # Only named-graph-uri given: the default graph is empty, GRAPH ?g reaches exactly those graphs.
    assert count(client, **{"named-graph-uri": NEW}) == 0
    response = client.get("/sparql", query_string={"query": GRAPHS, "named-graph-uri": [NEW, SRC]})
    assert values(response, "g") == [NEW, SRC]
    # Only default-graph-uri given: no named graphs.
    assert values(client.get("/sparql", query_string={"query": GRAPHS, "default-graph-uri": NEW}), "g") == []


def test_protocol_dataset_wins_over_from_and_from_is_honoured_alone(client: Any) -> None:
    query = f"SELECT (COUNT(*) AS ?n) FROM <{NEW}> WHERE {{ ?s ?p ?o }}"
    alone = int(values(client.get("/sparql", query_string={"query": query}), "n")[0])
    assert alone == count(client, **{"default-graph-uri": NEW})
    overridden = client.get("/sparql", query_string={"query": query, "default-graph-uri": LEGACY})
    assert int(values(overridden, "n")[0]) == count(client, **{"default-graph-uri": LEGACY})


def test_post_direct_takes_dataset_from_url(client: Any) -> None:
    response = client.post(
        "/sparql", query_string={"default-graph-uri": NEW}, data=COUNT, content_type="application/sparql-query"
    )
    assert int(values(response, "n")[0]) == count(client, **{"default-graph-uri": NEW})


def test_relative_iris_resolve_against_the_data_base(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { <id/au/393/2004-08-31> ?p ?o }"},
                          headers=JSON_RESULTS)
    assert json.loads(response.data)["boolean"] is True


# --- formats and content negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "fmt"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", QueryResultsFormat.JSON),
        ("application/sparql-results+xml", "application/sparql-results+xml", QueryResultsFormat.XML),
        ("text/csv", "text/csv", QueryResultsFormat.CSV),
        ("text/tab-separated-values", "text/tab-separated-values", QueryResultsFormat.TSV),
    ],
)
def test_table_formats_parse_back(client: Any, accept: str, media_type: str, fmt: QueryResultsFormat) -> None:
    response = client.get("/sparql", query_string={"query": LABELS_VI}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    if fmt == QueryResultsFormat.CSV:  # lossy, so pyoxigraph does not parse it: read it as CSV
        labels = {row["label"] for row in csv.DictReader(io.StringIO(response.data.decode()))}
    else:
        labels = {s["label"].value for s in parse_query_results(response.data, fmt)}
    assert len(labels) == 6  # Tỉnh Thanh Hóa twice
    assert "Xã Minh Tân" in labels


def test_csv_is_utf8_and_excel_variant_has_bom(client: Any) -> None:
    plain = client.get("/sparql", query_string={"query": LABELS_VI, "format": "csv"})
    assert plain.content_type == "text/csv; charset=utf-8"
    assert not plain.data.startswith(b"\xef\xbb\xbf")
    excel = client.get("/sparql", query_string={"query": LABELS_VI, "format": "csv-excel"})
    assert excel.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in excel.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(excel.data.decode("utf-8-sig"))))
    assert rows[0] == ["u", "label"]
    assert rows[1:] == list(csv.reader(io.StringIO(plain.data.decode("utf-8"))))[1:]
    assert any(r[1] == "Thị trấn Vĩnh Lộc" for r in rows[1:])


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", RdfFormat.TURTLE),
        ("application/n-triples", RdfFormat.N_TRIPLES),
        ("application/rdf+xml", RdfFormat.RDF_XML),
        ("application/ld+json", RdfFormat.JSON_LD),
        ("application/n-quads", RdfFormat.N_QUADS),
        ("application/trig", RdfFormat.TRIG),
    ],
)
def test_graph_formats_parse_back(client: Any, accept: str, fmt: RdfFormat) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == accept
    triples = list(parse(response.data, fmt))
    assert len(triples) == 9
    assert "Xã Biện Thượng" in {t.object.value for t in triples}


def test_turtle_uses_the_query_prefixes(client: Any) -> None:
    body = client.get("/sparql", query_string={"query": CONSTRUCT}).get_data(as_text=True)
    assert "@prefix skos: <http://www.w3.org/2004/02/skos/core#>" in body
    assert "skos:prefLabel" in body


def test_ask_in_every_table_format(client: Any) -> None:
    for fmt, expected in [("json", b'"boolean":true'), ("xml", b"<boolean>true</boolean>"), ("csv", b"true")]:
        response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }", "format": fmt})
        assert expected in response.data


@pytest.mark.parametrize(
    ("accept", "form_query", "expected"),
    [
        (None, LABELS_VI, "application/sparql-results+json"),
        ("*/*", LABELS_VI, "application/sparql-results+json"),
        (None, CONSTRUCT, "text/turtle"),
        ("*/*", CONSTRUCT, "text/turtle"),
        ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", LABELS_VI, "text/csv"),
        ("text/turtle;q=0.2, application/n-triples;q=0.8", CONSTRUCT, "application/n-triples"),
        ("text/*", LABELS_VI, "text/csv"),
        ("application/json", LABELS_VI, "application/json"),
    ],
)
def test_accept_with_q_values(client: Any, accept: str | None, form_query: str, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": form_query}, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected


def test_format_parameter_overrides_accept(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": LABELS_VI, "format": "tsv"}, headers={"Accept": "text/csv"})
    assert response.mimetype == "text/tab-separated-values"
    response = client.get("/sparql", query_string={"query": CONSTRUCT, "format": "application/n-triples"})
    assert response.mimetype == "application/n-triples"


def test_impossible_format_is_406_listing_offers(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": LABELS_VI}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    text = response.get_data(as_text=True)
    assert "text/csv" in text and "application/sparql-results+json" in text
    response = client.get("/sparql", query_string={"query": LABELS_VI, "format": "turtle"})
    assert response.status_code == 406
    assert "format=csv-excel" in response.get_data(as_text=True)
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


# --- errors -----------------------------------------------------------------------------------------------


def test_malformed_query_is_400_with_parser_message(client: Any) -> None:
    """The engine's place and expectation, for a person: no Unicode ranges (tests/test_query_help.py has more)."""
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o "})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Malformed query" in text and "Line 1, column 28: the query ends here; expected one of" in text
    assert "\\u{" not in text


def test_error_shape_is_json_when_client_prefers_json(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?s WHERE {"}, headers=JSON_RESULTS)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["code"] == "malformed_query" and error["message"]


def test_unknown_function_is_an_evaluation_error(client: Any) -> None:
    """SPARQL 1.1 §17.3: an unknown function is an evaluation error (the expression is unbound), not a syntax
    error; W3C syntax-select-expr-04 is a valid query and used to be refused with 400."""
    query = "PREFIX ex: <http://example.org/fn#> SELECT (ex:nope(?o) AS ?x) ?o WHERE { ?s ?p ?o } LIMIT 1"
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 200
    (row,) = response.get_json()["results"]["bindings"]
    assert "o" in row and "x" not in row
    w3c = "PREFIX : <http://example/>\nSELECT (:function(?x +?y) AS ?F) ?z {}\n"  # syntax-select-expr-04.rq
    assert client.get("/sparql", query_string={"query": w3c}).status_code == 200
    filtered = "SELECT * WHERE { ?s ?p ?o FILTER(<http://example.org/fn#nope>(?o)) }"
    assert client.get("/sparql", query_string={"query": filtered}).get_json()["results"]["bindings"] == []


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data={"update": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data="DROP ALL", content_type="application/sparql-update"),
        lambda c: c.get("/sparql", query_string={"query": "CLEAR ALL"}),
        lambda c: c.post("/sparql", data={"query": "DELETE WHERE { ?s ?p ?o }"}),
        lambda c: c.post(
            "/sparql", data="INSERT DATA { <http://e/s> <http://e/p> 1 }", content_type="application/sparql-query"
        ),
        lambda c: c.get("/sparql", query_string={"query": "LOAD <file:///etc/hosts> INTO GRAPH <http://e/g>"}),
    ],
    ids=["get-update", "form-update", "sparql-update", "clear-in-query", "delete-in-form", "insert-direct", "load"],
)
def test_updates_are_refused_and_change_nothing(client: Any, fixture_quads: int, send: Any) -> None:
    response = send(client)
    assert response.status_code == 403
    assert "read-only" in response.get_data(as_text=True)
    assert count(client) == fixture_quads


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda c: c.put("/sparql", query_string={"query": "ASK {}"}), 405),
        (lambda c: c.get("/sparql", query_string={"query": ["ASK {}", "SELECT * {}"]}), 400),
        (lambda c: c.post("/sparql", data="ASK {}", content_type="text/plain"), 415),
        (lambda c: c.post("/sparql", data=b"query=ASK%20%7B%7D"), 400),
        (lambda c: c.post("/sparql", data="ASK {}".encode("utf-16"),
                          content_type="application/sparql-query; charset=UTF-16"), 415),
        (lambda c: c.post("/sparql", data=b"ASK {\xff}", content_type="application/sparql-query"), 400),
        (lambda c: c.get("/sparql", query_string={"query": "ASK {}", "timeout": "soon"}), 400),
        (lambda c: c.get("/sparql", query_string={"query": "ASK {}", "row-limit": "-3"}), 400),
        (lambda c: c.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": "not an iri"}), 400),
        (lambda c: c.get("/sparql", query_string={"query": "  "}), 400),
    ],
    ids=["put", "two-queries", "text-plain", "no-content-type", "utf16", "bad-utf8", "timeout", "row-limit",
         "graph-iri", "empty"],
)
def test_protocol_violations_get_4xx_with_a_reason(client: Any, send: Any, status: int) -> None:
    response = send(client)
    assert response.status_code == status
    assert len(response.get_data(as_text=True).strip().splitlines()) >= 2  # title line + an explanation


def test_oversized_requests_are_413(make_app: Any) -> None:
    client = make_app(max_request_bytes=2000).test_client()
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 3000
    assert client.post("/sparql", data=big, content_type="application/sparql-query").status_code == 413
    assert client.post("/sparql", data={"query": big}).status_code == 413
    response = client.get("/sparql", query_string={"query": big})
    assert response.status_code == 413
    assert "2,000 bytes" in response.get_data(as_text=True)


# --- SERVICE ----------------------------------------------------------------------------------------------


class Listener:
    """A loopback TCP listener that records whether anyone connected to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(1.0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"

    def connected(self) -> bool:
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            return False
        conn.close()
        return True


@pytest.fixture
def listener() -> Any:
    server = Listener()
    yield server
    server.sock.close()


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "PREFIX r: <{base}> SELECT * WHERE {{ SERVICE SILENT r:sparql {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
])
def test_service_is_refused_before_any_connection(client: Any, listener: Any, template: str) -> None:
    query = template.format(url=listener.url, base=listener.url.rsplit("/", 1)[0] + "/")
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 403
    assert "SERVICE" in response.get_data(as_text=True)
    assert not listener.connected()


def test_allow_listed_service_is_called(make_app: Any, listener: Any) -> None:
    """The counterpart of the refusal test: with the endpoint allow-listed, the listener does see a call."""
    client = make_app(service_allow=(listener.url,), timeout=3.0, max_timeout=3.0).test_client()
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query})
    assert listener.connected()
    assert response.status_code >= 400  # the listener never answers: a timeout or an error, not data


# --- limits -----------------------------------------------------------------------------------------------


def test_row_limit_cuts_and_says_so(client: Any) -> None:
    cut = client.get("/sparql", query_string={"query": LABELS_VI, "row-limit": "3"})
    assert len(values(cut, "label")) == 3
    assert cut.headers["Vlkg-Truncated"] == "true" and cut.headers["Vlkg-Row-Limit"] == "3"
    whole = client.get("/sparql", query_string={"query": LABELS_VI, "row-limit": "7"})
    assert len(values(whole, "label")) == 7
    assert whole.headers["Vlkg-Truncated"] == "false"
    full = client.get("/sparql", query_string={"query": LABELS_VI})
    assert "Vlkg-Truncated" not in full.headers and len(values(full, "label")) == 7


@pytest.mark.parametrize("fmt", ["xml", "csv", "tsv", "csv-excel"])
def test_row_limit_writers_match_the_full_result(client: Any, fmt: str) -> None:
    """Cut results are written by our own writers; when nothing is cut they must say what pyoxigraph says."""
    full = client.get("/sparql", query_string={"query": LABELS_VI, "format": fmt}).data
    cut = client.get("/sparql", query_string={"query": LABELS_VI, "format": fmt, "row-limit": "100"}).data
    if fmt.startswith("csv"):
        assert cut == full
        return
    parser = QueryResultsFormat.XML if fmt == "xml" else QueryResultsFormat.TSV
    if fmt == "xml":
        ElementTree.fromstring(cut)  # well-formed XML

    def table(data: bytes) -> list[list[str]]:
        return [[str(s[v]) for v in ("u", "label")] for s in parse_query_results(data, parser)]

    assert table(cut) == table(full)


def test_row_limit_is_bounded_by_the_setting(make_app: Any) -> None:
    client = make_app(max_row_limit=2).test_client()
    response = client.get("/sparql", query_string={"query": LABELS_VI, "row-limit": "50"})
    assert response.headers["Vlkg-Row-Limit"] == "2" and len(values(response, "label")) == 2


def test_operator_result_cap_applies_to_api_clients_and_constructs(make_app: Any) -> None:
    client = make_app(result_cap=4).test_client()
    response = client.get("/sparql", query_string={"query": LABELS_VI})
    assert len(values(response, "label")) == 4 and response.headers["Vlkg-Truncated"] == "true"
    graph = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "application/n-triples"})
    assert len(list(parse(graph.data, RdfFormat.N_TRIPLES))) == 4
    assert graph.headers["Vlkg-Truncated"] == "true"


# --- service description ----------------------------------------------------------------------------------


def test_service_description_names_endpoint_formats_and_graphs(client: Any) -> None:
    response = client.get("/sparql", base_url="http://data.example:8123")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    ds = Dataset(parse(response.data, RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    text = {(str(q.subject), q.predicate.value, str(q.object)) for q in ds}
    endpoint = "<https://vinhloc-kg.example/sparql>"  # the base IRI's, whatever Host the request named
    assert (endpoint, sd + "endpoint", endpoint) in text
    assert (endpoint, sd + "resultFormat", "<http://www.w3.org/ns/formats/SPARQL_Results_CSV>") in text
    assert (endpoint, sd + "feature", f"<{sd}UnionDefaultGraph>") in text
    names = {o for _s, p, o in text if p == sd + "name"}
    assert names == {f"<{g}>" for g in (LEGACY, NEW, SRC)}


def test_service_description_by_accept(client: Any) -> None:
    response = client.get("/sparql", headers={"Accept": "application/n-triples"})
    assert response.mimetype == "application/n-triples"
    assert len(list(parse(response.data, RdfFormat.N_TRIPLES))) > 10


# --- HTTP caching, result cache, CORS, compression --------------------------------------------------------


def test_repeated_get_revalidates_with_304(client: Any) -> None:
    first = client.get("/sparql", query_string={"query": LABELS_VI})
    etag = first.headers["ETag"]
    assert "max-age=" in first.headers["Cache-Control"] and "Accept" in first.headers["Vary"]
    again = client.get("/sparql", query_string={"query": LABELS_VI}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other_format = client.get(
        "/sparql", query_string={"query": LABELS_VI}, headers={"If-None-Match": etag, "Accept": "text/csv"}
    )
    assert other_format.status_code == 200
    other_query = client.get("/sparql", query_string={"query": COUNT}, headers={"If-None-Match": etag})
    assert other_query.status_code == 200


def test_repeated_query_is_answered_from_the_cache(client: Any) -> None:
    query = LABELS_VI + " # cache test"
    first = client.post("/sparql", data={"query": query})
    second = client.post("/sparql", data={"query": query})
    assert first.headers["Vlkg-Cache"] == "miss" and second.headers["Vlkg-Cache"] == "hit"
    assert first.data == second.data
    as_csv = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert as_csv.headers["Vlkg-Cache"] == "miss"


def test_cors_preflight_and_headers(client: Any) -> None:
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}
    assert "POST" in methods and "GET" in methods and not methods & {"PUT", "DELETE", "PATCH"}
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://x.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Vlkg-Truncated" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv"])
def test_results_are_compressed(client: Any, accept: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": accept, "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    plain = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert gzip.decompress(response.data) == plain.data


def test_rdf_is_compressed(client: Any) -> None:
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                          headers={"Accept": "application/n-triples", "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(list(parse(gzip.decompress(response.data), RdfFormat.N_TRIPLES))) > 30


# --- big answers and resource limits ----------------------------------------------------------------------

BIG = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 42^3 rows, about 18 MB of JSON


def test_big_result_is_sent_whole_with_its_length(client: Any, fixture_quads: int) -> None:
    response = client.get("/sparql", query_string={"query": BIG})
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.data) > 8 * 2**20
    assert len(json.loads(response.data)["results"]["bindings"]) == fixture_quads**3


def test_result_over_the_size_limit_is_507(make_app: Any) -> None:
    response = make_app(max_result_mb=9).test_client().get("/sparql", query_string={"query": BIG})
    assert response.status_code == 507
    assert "larger than 9 MiB" in response.get_data(as_text=True)


def test_query_over_the_memory_limit_is_stopped(make_app: Any) -> None:
    client = make_app(query_memory_mb=100, executors=1).test_client()
    hungry = "SELECT (GROUP_CONCAT(STR(?a)) AS ?x) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    response = client.get("/sparql", query_string={"query": hungry})
    assert response.status_code == 507
    assert "more than 100 MiB" in response.get_data(as_text=True)
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_server_timing_says_the_engine_time(client: Any) -> None:
    """The UI shows the server's real time: engine time of a miss, `cache` for a hit (exposed through CORS)."""
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 2 # server-timing"
    miss = client.get("/sparql", query_string={"query": query})
    name, _, duration = miss.headers["Server-Timing"].partition(";dur=")
    assert name == "query" and float(duration) >= 0
    hit = client.get("/sparql", query_string={"query": query})
    assert hit.headers["Vlkg-Cache"] == "hit" and hit.headers["Server-Timing"] == "cache;desc=hit"
    assert "Server-Timing" in miss.headers["Access-Control-Expose-Headers"]
