"""A researcher's first queries: predefined prefixes, parse errors a person can act on, text in any Unicode form.

The same on /sparql (in process and over real HTTP) and in `vlkg query` (the real CLI, as a subprocess).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Dataset, RdfFormat, parse

from vlkg.namespaces import PREFIXES
from vlkg.server.sparql_help import explain
from vlkg.text import MAX_NON_STARTERS, nfc

VLKG = Path(sys.executable).with_name("vlkg")
JSON = {"Accept": "application/sparql-results+json"}
DISTRICT = "SELECT ?u WHERE { ?u skos:prefLabel \"Huyện Vĩnh Lộc\"@vi }"  # no PREFIX line: skos is predefined
UNDECLARED = "SELECT ?u ?t WHERE {\n  ?u skos:prefLabel ?l .\n  ?u dc:title ?t }"  # dc: is neither
DC_LINE = "PREFIX dc: <http://purl.org/dc/elements/1.1/>"


def rows(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["bindings"]


def error(response: Any) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["code"] == "malformed_query"
    return body["message"]


def cli(store: Path, query: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VLKG), "query", "--store", str(store), *args, query],
                          capture_output=True, text=True, timeout=120, check=False)


# --- predefined prefixes -------------------------------------------------------------------------------------


def test_predefined_prefix_works_without_a_prefix_line(client: Any) -> None:
    found = rows(client.get("/sparql", query_string={"query": DISTRICT}, headers=JSON))
    assert [r["u"]["value"] for r in found] and all(r["u"]["value"].startswith(PREFIXES["id"]) for r in found)


def test_the_query_own_prefix_overrides_a_predefined_one(client: Any) -> None:
    other = "PREFIX skos: <http://example.org/not-skos#>\n" + DISTRICT
    assert rows(client.get("/sparql", query_string={"query": other}, headers=JSON)) == []
    same = f"PREFIX skos: <{PREFIXES['skos']}>\n" + DISTRICT
    assert len(rows(client.get("/sparql", query_string={"query": same}, headers=JSON))) == 1


def test_turtle_answers_declare_the_predefined_prefixes_they_use_and_only_those(client: Any) -> None:
    query = "CONSTRUCT { ?u skos:prefLabel ?l } WHERE { ?u skos:prefLabel ?l }"
    body = client.get("/sparql", query_string={"query": query, "format": "turtle"}).get_data(as_text=True)
    assert f"@prefix skos: <{PREFIXES['skos']}>" in body and "skos:prefLabel" in body
    assert "@prefix foaf:" not in body and "@prefix odrl:" not in body  # unused: not 29 lines of noise
    limited = client.get("/sparql", query_string={"query": query, "format": "turtle", "row-limit": "5"})
    assert f"@prefix id: <{PREFIXES['id']}>" in limited.get_data(as_text=True)  # the answer's IRIs, when at hand


def test_service_description_declares_the_predefined_prefixes(client: Any) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    ds = Dataset(parse(response.data, RdfFormat.TURTLE))
    sh = "http://www.w3.org/ns/shacl#"
    endpoint = "https://vinhloc-kg.example/sparql"
    nodes = [q.object for q in ds if q.predicate.value == sh + "declare" and q.subject.value == endpoint]
    declared = {}
    for node in nodes:
        prefix = [q.object.value for q in ds if q.subject == node and q.predicate.value == sh + "prefix"]
        namespace = [q.object for q in ds if q.subject == node and q.predicate.value == sh + "namespace"]
        assert namespace[0].datatype.value == "http://www.w3.org/2001/XMLSchema#anyURI"
        declared[prefix[0]] = namespace[0].value
    assert declared == PREFIXES


# --- parse errors a person can act on ------------------------------------------------------------------------


def test_undeclared_prefix_names_itself_its_place_and_the_line_to_add(client: Any) -> None:
    message = error(client.get("/sparql", query_string={"query": UNDECLARED}, headers={"Accept": "application/json"}))
    assert message.startswith("Line 3, column 6: unknown prefix dc: in 'dc:title'.")
    assert message.endswith("Add at the top of the query:\n" + DC_LINE)
    assert "\\u{" not in message and "Prefix not found" not in message


def test_unknown_prefix_without_a_known_iri_lists_the_predefined_ones(client: Any) -> None:
    query = "SELECT * WHERE {\n  ?s foo:bar ?o }"
    text = client.get("/sparql", query_string={"query": query}).get_data(as_text=True)
    assert "Malformed query" in text
    assert "Line 2, column 6: unknown prefix foo: in 'foo:bar'." in text
    assert "PREFIX foo: <namespace IRI>" in text
    assert "Predefined here (no PREFIX needed): kg:, id:, rdf:," in text and "skos:" in text


def test_other_syntax_errors_give_place_token_and_a_short_expected_list(client: Any) -> None:
    message = error(client.post("/sparql", data={"query": "SELECT * WHERE {\n ?s ?p ?o .\n}\nLIMIT x"},
                                headers={"Accept": "application/json"}))
    assert message == "Line 4, column 7: unexpected 'x'; expected one of HAVING, OFFSET, OPTIONAL, VALUES, a digit."
    cut = error(client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o"},
                           headers={"Accept": "application/json"}))
    assert cut.startswith("Line 1, column 26: the query ends here; expected one of") and "\\u{" not in cut


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT * { ?s a <http://x y> }", "Line 1, column 29: unexpected '}'; expected a valid IRI"),
    ("SELECT * { ?s a http://example.org/x }", "An IRI goes in angle brackets: <http://...>."),
    ("SELECT * { ?s SKOS:prefLabel ?o }", "Prefix names are case-sensitive: did you mean skos:?"),
    ("SELECT * { ?s a :Thing }", "Line 1, column 17: unknown prefix : in ':Thing'."),
])
def test_explain_common_slips(query: str, expected: str) -> None:
    from pyoxigraph import Store

    with pytest.raises(SyntaxError) as exc:
        Store().query(query, prefixes=PREFIXES)
    assert expected in explain(str(exc.value), query)


def test_undeclared_prefix_over_real_http(live_server: str) -> None:
    req = urllib.request.Request(live_server + "/sparql", data=UNDECLARED.encode(),
                                 headers={"Content-Type": "application/sparql-query", "Accept": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=60)
    assert exc.value.code == 400
    message = json.loads(exc.value.read())["error"]["message"]
    assert message.startswith("Line 3, column 6: unknown prefix dc:") and message.endswith(DC_LINE)


def test_vlkg_query_gives_the_same_message(client: Any, fixture_store: Path) -> None:
    served = error(client.get("/sparql", query_string={"query": UNDECLARED}, headers={"Accept": "application/json"}))
    result = cli(fixture_store, UNDECLARED)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"The query is not valid SPARQL. {served}"
    assert "\\u{" not in result.stderr


def test_vlkg_query_knows_the_predefined_prefixes(fixture_store: Path) -> None:
    result = cli(fixture_store, DISTRICT)
    assert result.returncode == 0, result.stderr
    assert "(1 row)" in result.stdout and "id:" in result.stdout
    turtle = cli(fixture_store, "CONSTRUCT { ?u skos:prefLabel ?l } WHERE { ?u skos:prefLabel ?l }", "--format",
                 "turtle")
    assert turtle.returncode == 0, turtle.stderr
    assert "@prefix skos:" in turtle.stdout and "@prefix foaf:" not in turtle.stdout


# --- Unicode: NFD text matches what NFC text matches ---------------------------------------------------------


def test_nfd_query_matches_like_the_nfc_one_in_every_protocol_form(client: Any) -> None:
    nfd = unicodedata.normalize("NFD", DISTRICT)
    assert nfd != DISTRICT  # the test would prove nothing otherwise
    expected = rows(client.get("/sparql", query_string={"query": DISTRICT}, headers=JSON))
    assert len(expected) == 1
    assert rows(client.get("/sparql", query_string={"query": nfd}, headers=JSON)) == expected
    assert rows(client.post("/sparql", data={"query": nfd}, headers=JSON)) == expected
    direct = client.post("/sparql", data=nfd.encode(), headers={**JSON, "Content-Type": "application/sparql-query"})
    assert rows(direct) == expected


def test_nfd_graph_parameter_is_normalised_too(client: Any) -> None:
    """Every parameter is NFC: a graph IRI written with a decomposed letter names the same (absent) graph."""
    iri = "https://vinhloc-kg.example/graph/Lộc"
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for name in (iri, unicodedata.normalize("NFD", iri)):
        found = rows(client.get("/sparql", query_string={"query": query, "default-graph-uri": name}, headers=JSON))
        assert found[0]["n"]["value"] == "0"
    assert nfc(unicodedata.normalize("NFD", iri)) == iri


def test_vlkg_query_normalises_nfd(fixture_store: Path) -> None:
    result = cli(fixture_store, unicodedata.normalize("NFD", DISTRICT))
    assert result.returncode == 0, result.stderr
    assert "(1 row)" in result.stdout


@pytest.mark.parametrize("text", [
    "a" + "\u0301" * 200_000 + "\u0316" * 200_000,  # CPython sorts such a run by insertion: hours
    "a" + "\u0f73" * 400_000,  # a starter that decomposes to two non-starters
])
def test_nfc_stays_linear_on_adversarial_marks(text: str) -> None:
    started = time.process_time()
    assert nfc(text) == text  # longer runs than any language has are left as sent
    assert time.process_time() - started < 2
    short = "a" + "\u0301\u0316" * (MAX_NON_STARTERS // 2)
    assert nfc(short) == unicodedata.normalize("NFC", short)


def test_a_prefix_the_scan_missed_still_resolves(fixture_store: Path) -> None:
    """Only the predefined prefixes the scan saw are handed to the parser; were one missed, the query would be
    retried with all of them rather than fail (an empty Scan stands for a scan that saw nothing)."""
    from pyoxigraph import Store

    from vlkg.server.query_process import _evaluate
    from vlkg.server.sparql_help import predefined_for
    from vlkg.server.sparql_scan import Scan

    store = Store.read_only(str(fixture_store))
    assert len(list(_evaluate(store, {"query": DISTRICT}, True, predefined_for(None), Scan()))) == 1
    with pytest.raises(SyntaxError):
        _evaluate(store, {"query": UNDECLARED}, True, predefined_for(None), Scan())
