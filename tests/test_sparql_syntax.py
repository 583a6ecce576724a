"""The tokenizer that decides, before a query runs, its form, its dataset clauses and its SERVICE calls."""

from __future__ import annotations

import pytest

from vlkg.server.sparql_syntax import analyse

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
    info = analyse(query, BASE)
    assert info.form == form
    assert info.is_update == (form in {"INSERT", "LOAD", "CLEAR", "WITH"})


def test_graph_forms() -> None:
    assert analyse("CONSTRUCT WHERE { ?s ?p ?o }").is_graph_form
    assert analyse("DESCRIBE ?s WHERE { ?s ?p ?o }").is_graph_form
    assert not analyse("SELECT ?s { ?s ?p ?o }").is_graph_form


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
    assert analyse(query, BASE).services == ()


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
    services = analyse(query, BASE).services
    assert [s.endpoint for s in services] == [
        "http://a.example/sparql",
        "http://remote.example/sparql",
        "http://base.example/relative",
        None,
        None,
    ]
    assert services[3].written == "?endpoint"


def test_dataset_clause_and_prefixes() -> None:
    info = analyse("PREFIX ex: <http://ex/> SELECT * FROM <http://ex/g> FROM NAMED <http://ex/h> { ?s ?p ?o }")
    assert info.has_dataset_clause
    assert info.prefixes == {"ex": "http://ex/"}
    assert not analyse("SELECT * { GRAPH ?g { ?s ?p ?o } }").has_dataset_clause
    assert not analyse('SELECT * { ?s ?p "FROM" }').has_dataset_clause
