"""The linear scan in the query process: form, dataset clauses, prefixes, SERVICE endpoints, nesting depth.

Not a security boundary (the network sandbox is); these are the facts it must get right for messages and output.
"""

from __future__ import annotations

import pytest

from vlkg.server.sparql_scan import scan

BASE = "https://vinhloc-kg.example/"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("prefix ex: <http://ex/> ask { ex:a ?p ?o }", "ASK"),
        ("BASE <http://ex/> PREFIX : <x#> CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("# comment SELECT\nDESCRIBE <http://ex/a>", "DESCRIBE"),
        ("PREFIX ex: <http://ex/> INSERT DATA { ex:a ex:b ex:c }", "INSERT"),
        ("LOAD <http://ex/data.ttl>", "LOAD"),
        ("clear all", "CLEAR"),
        ("WITH <http://ex/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("garbage", None),
    ],
)
def test_query_form(query: str, form: str | None) -> None:
    info = scan(query, BASE)
    assert info.form == form
    assert info.is_update == (form in {"INSERT", "LOAD", "CLEAR", "WITH"})


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ("SERVICE <http://evil/>" AS ?x) {}',
        "SELECT ('''multi\nline SERVICE <http://evil/>''' AS ?x) {}",
        "SELECT ?service { ?service ?p ?o }",
        "PREFIX ex: <http://ex/> SELECT * { ?s ex:service ?o . ?s ex:SERVICE ?x }",
        "SELECT * { <http://ex/SERVICE> ?p ?o }  # SERVICE <http://evil/>",
        'SELECT * { ?s ?p "a \\" SERVICE <http://evil/>" }',
    ],
)
def test_service_word_outside_code_is_not_a_service(query: str) -> None:
    assert scan(query, BASE).services == []


def test_service_endpoints_are_resolved() -> None:
    query = """
        BASE <http://base.example/>
        PREFIX ep: <http://remote.example/>
        SELECT * {
          SERVICE <http://a.example/sparql> { ?s ?p ?o }
          service silent ep:sparql { ?s ?p ?o }
          SERVICE <relative> { ?s ?p ?o }
          SERVICE ?endpoint { ?s ?p ?o }
          SERVICE undeclared:x { ?s ?p ?o }
        }"""
    services = scan(query, BASE).services
    assert services == [
        "http://a.example/sparql",
        "http://remote.example/sparql",
        "http://base.example/relative",
        "?endpoint",
        "undeclared:x",
    ]


def test_dataset_clause_and_prefixes() -> None:
    info = scan("PREFIX ex: <http://ex/> SELECT * FROM <http://ex/g> FROM NAMED <http://ex/h> { ?s ?p ?o }")
    assert info.has_dataset_clause
    assert info.prefixes == {"ex": "http://ex/"}
    assert not scan("SELECT * { GRAPH ?g { ?s ?p ?o } }").has_dataset_clause
    assert not scan('SELECT * { ?s ?p "FROM" }').has_dataset_clause


def test_dataset_clause_only_at_the_top_level() -> None:
    assert scan("CONSTRUCT { ?s ?p ?o } FROM <http://ex/g> WHERE { ?s ?p ?o }").has_dataset_clause
    assert not scan("SELECT * { ?s <http://ex/from> ?o . ?s ?from ?x }").has_dataset_clause


def test_depth_counts_all_brackets_and_stops_early() -> None:
    assert scan("SELECT * { { ?s ?p ?o } FILTER((1 + (2))) }").depth == 4
    deep = scan("{" * 100_000, stop_depth=10)
    assert deep.depth == 11


def test_used_prefixes_are_found_in_the_query_not_in_its_strings_iris_or_blank_nodes() -> None:
    """`used` names the undeclared prefix in a parse error and picks the predefined prefixes to hand over."""
    query = ('PREFIX ex: <http://ex/>\nSELECT * { ?s skos:prefLabel "dc:title" ; ex:p <http://x/a:b> .\n'
             '  _:b sdmx-dimension:refArea ?a FILTER(?a = "1"^^xsd:int) SERVICE geo:endpoint { ?x foaf:name ?n } }')
    info = scan(query, BASE)
    assert list(info.used) == ["skos", "ex", "sdmx-dimension", "xsd", "geo", "foaf"]
    assert query[info.used["sdmx-dimension"]:].startswith("sdmx-dimension:refArea")
    assert info.prefixes == {"ex": "http://ex/"}
