"""Entity pages for a researcher's first hour: compact JSON-LD, 404s that name what to do instead."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from entity_fixture import make_build
from pyoxigraph import RdfFormat, parse

from vlkg.namespaces import ID, PREFIXES
from vlkg.server import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = create_app({"store": str(make_build(tmp_path_factory.mktemp("formats-build"))), "executors": 1})
    yield app.test_client()
    app.extensions["vlkg"].close()


def test_jsonld_is_compacted_with_an_inline_context(client) -> None:
    """It came back expanded with no @context: every key a full IRI."""
    r = client.get("/id/au/15382/2019-12-01.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    doc = json.loads(r.data)
    assert doc["@id"] == ID + "au/15382/2019-12-01"
    context = doc["@context"]
    assert context["rdfs"] == PREFIXES["rdfs"] and set(context) <= set(PREFIXES)
    assert "rdfs:label" in doc and not any(k.startswith("http") for k in doc)
    expanded = {(str(t.subject), str(t.predicate), str(t.object)) for t in parse(io.BytesIO(r.data), RdfFormat.JSON_LD)}
    again = client.get("/id/au/15382/2019-12-01.nt")
    assert expanded == {(str(t.subject), str(t.predicate), str(t.object))
                        for t in parse(io.BytesIO(again.data), RdfFormat.N_TRIPLES)}
    assert client.get("/id/au/15382/2019-12-01.jsonld").data == r.data  # the same bytes every time


def test_the_context_is_published(client) -> None:
    r = client.get("/context.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    assert json.loads(r.data)["@context"] == dict(sorted(PREFIXES.items()))


def test_unknown_extension_names_the_supported_ones(client) -> None:
    """/id/…/2019-12-01.json said "there is no resource" instead of naming the supported extensions."""
    r = client.get("/id/au/15382/2019-12-01.json", headers={"Accept": "text/plain"})
    assert r.status_code == 404
    text = r.get_data(as_text=True)
    assert "exists, but .json is not a format this server offers" in text
    for ext in ("ttl", "nt", "jsonld", "rdf", "html"):
        assert f"au/15382/2019-12-01.{ext}" in text


def test_not_found_hint_searches_the_name_in_the_path(client) -> None:
    """The hint always searched "vĩnh lộc"; now it searches the words of the path, accents ignored."""
    r = client.get("/id/au/minh-tan", headers={"Accept": "application/json"})
    assert r.status_code == 404
    body = r.get_data(as_text=True)
    assert "vĩnh lộc" not in body.lower()
    links = re.findall(r'https?://[^"\s]+\?run=1&query=[^"\s]+', body)
    query = next(parse_qs(urlsplit(u).query)["query"][0] for u in links if "REGEX" in u)
    answer = client.get("/sparql", query_string={"query": query}).get_json()
    labels = {b["label"]["value"] for b in answer["results"]["bindings"]}
    assert any("Minh Tân" in label for label in labels), labels

