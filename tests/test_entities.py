"""Entity pages: every IRI of the data resolves, as HTML with labels, quotes and versions, or as RDF."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from entity_fixture import ARTICLE, ARTICLE_TEXT, BUILD_ID, FILLER, Q_END, Q_START, QUOTE, make_build
from pyoxigraph import NamedNode, RdfFormat, Store, parse

from vlkg.namespaces import ID
from vlkg.server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_build(tmp_path_factory.mktemp("entity-build"))


@pytest.fixture(scope="module")
def client(build: Path):
    return create_app({"store": str(build)}).test_client()


def html(client, path: str) -> str:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.data[:500]
    assert r.mimetype == "text/html"
    return r.get_data(as_text=True)


def subject_triples(build: Path, iri: str) -> set[tuple[str, str, str]]:
    """What the store says about an IRI, straight from pyoxigraph (distinct over all graphs)."""
    store = Store.read_only(str(build / "store"))
    quads = store.quads_for_pattern(NamedNode(iri), None, None)
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in quads}


def parsed(body: bytes, fmt: RdfFormat) -> set[tuple[str, str, str]]:
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in parse(io.BytesIO(body), fmt)}


# --- HTML -----------------------------------------------------------------------------------------

def test_unit_page_labels_groups_and_links(client) -> None:
    page = html(client, "/id/au/15382/2019-12-01")
    assert "<h1>Xã Minh Tân" in page
    assert page.index("Xã Minh Tân") < page.index("Minh Tân Commune"), "Vietnamese label comes first"
    assert '<span class="lang" title="ngôn ngữ · language">en</span>' in page
    for group in ('id="identity"', 'id="hierarchy"', 'id="provenance"', 'id="other"'):
        assert group in page
    # our IRIs link to our pages, with the label of the linked resource; external IRIs link out
    assert re.search(r'<a class="res" href="/id/au/393/2004-08-31"[^>]*>Huyện Vĩnh Lộc', page)
    assert 'href="http://schema.org/isPartOf"' in page
    # typed literals keep their datatype, shown as a CURIE linked to its definition
    xsd_date = r'2025-06-30</span>\s*<span class="dt"><a href="http://www.w3.org/2001/XMLSchema#date">xsd:date'
    assert re.search(xsd_date, page)
    assert '<a href="/def/dvhcCode">kg:dvhcCode</a>' in page
    # a value stated in two graphs shows both
    assert re.search(r"Xã Minh Tân</span>.*?graph/ref/dvhc-legacy.*?graph/src/" + ARTICLE, page, re.S)


def test_unit_versions_and_successors(client) -> None:
    page = html(client, "/id/au/15382/2019-12-01")
    versions = page[page.index('id="versions"'):page.index('id="identity"')]
    assert "/id/au/15382/2025-07-01" in versions and "Xã Biện Thượng" in versions
    assert "2025-06-30" in versions and "2025-07-01" in versions
    assert "Successors" in versions
    assert 'aria-current="page"' in versions


def test_new_unit_lists_its_predecessors_with_dates(client) -> None:
    page = html(client, "/id/au/15382/2025-07-01")
    lineage = page[page.index("Predecessors"):page.index('id="identity"')]
    assert "Xã Vĩnh Hùng" in lineage and "Xã Minh Tân" in lineage
    assert lineage.count("2025-06-30") == 2


def test_code_page_lists_every_version_with_dates(client) -> None:
    page = html(client, "/id/code/dvhc/15382")
    assert "Administrative unit code" in page
    table = page[page.index("<table class=\"versions\">"):page.index("</table>")]
    rows = table.split("<tr")[2:]
    assert len(rows) == 2
    assert "/id/au/15382/2019-12-01" in rows[0] and "2025-06-30" in rows[0]
    assert "/id/au/15382/2025-07-01" in rows[1] and "2025-07-01" in rows[1]


def test_fact_from_an_article_shows_its_quote_and_source(client) -> None:
    article_link = f'/id/src/{ARTICLE}?start={Q_START}&amp;end={Q_END}#quote'
    obs = html(client, "/id/obs/target/income-per-capita/393-2004-08-31/2022")
    source = obs[obs.index('id="source"'):]
    assert f"“{QUOTE}”" in source and article_link in source
    # the district page shows the quote next to the incoming fact that refers to it
    district = html(client, "/id/au/393/2004-08-31")
    incoming = district[district.index('id="incoming"'):]
    assert "/id/obs/target/income-per-capita/393-2004-08-31/2022" in incoming
    assert f"“{QUOTE}”" in incoming and article_link in incoming


def test_article_page_marks_the_quoted_span(client) -> None:
    page = html(client, f"/id/src/{ARTICLE}?start={Q_START}&end={Q_END}")
    marked = re.search(r"<mark id=\"quote\">(.*?)</mark>", page, re.S)  # the anchor the quote links jump to
    assert marked is not None
    assert unescape(marked.group(1)) == ARTICLE_TEXT[Q_START:Q_END] == QUOTE


@pytest.mark.parametrize("query", ["start=5", "start=a&end=9", "in=-1", "in=x"])
def test_bad_page_parameters_are_400(client, query: str) -> None:
    r = client.get(f"/id/src/{ARTICLE}?{query}")
    assert r.status_code == 400
    assert b"whole number" in r.data


def test_incoming_links_are_counted_and_paged(client) -> None:
    first = html(client, "/def/level-commune")
    total = FILLER + 1
    assert f'Incoming links <span class="count">{total}</span>' in first
    assert first.count("?in=2#incoming") == 1 and "page 1 / 2" in first
    rows = first[first.index('id="incoming"'):].count("<tr><td>")
    assert rows == 100
    second = html(client, "/def/level-commune?in=2")
    assert second[second.index('id="incoming"'):].count("<tr><td>") == total - 100
    assert "?in=1#incoming" in second
    assert "page 2 / 2" in html(client, "/def/level-commune?in=99")


def test_ontology_terms_and_the_ontology_resolve(client) -> None:
    assert "<h1>Xã" in html(client, "/def/Commune")
    assert "Vĩnh Lộc knowledge graph vocabulary" in html(client, "/def/")


def test_graph_page_says_what_it_is_and_links_its_dump(client) -> None:
    page = html(client, "/graph/ref/dvhc-legacy")
    assert "Administrative units of Viet Nam, 2003 to 30 June 2025: every version" in page
    assert re.search(r'<span class="count">\d+</span> bộ ba · triples', page)
    assert 'href="/dumps/ref-dvhc-legacy.nt.gz"' in page
    article_graph = html(client, f"/graph/src/{ARTICLE}")
    assert f'href="/id/src/{ARTICLE}"' in article_graph


# --- RDF ------------------------------------------------------------------------------------------

RDF_CASES = [
    ("text/turtle", RdfFormat.TURTLE, "ttl"),
    ("application/n-triples", RdfFormat.N_TRIPLES, "nt"),
    ("application/ld+json", RdfFormat.JSON_LD, "jsonld"),
    ("application/rdf+xml", RdfFormat.RDF_XML, "rdf"),
]


@pytest.mark.parametrize(("media_type", "fmt", "ext"), RDF_CASES)
def test_rdf_by_accept_and_by_extension_is_the_subject_description(
        client, build: Path, media_type: str, fmt: RdfFormat, ext: str) -> None:
    expected = subject_triples(build, ID + "au/15382/2019-12-01")
    by_accept = client.get("/id/au/15382/2019-12-01", headers={"Accept": media_type})
    assert by_accept.status_code == 200 and by_accept.mimetype == media_type
    assert "Accept" in by_accept.headers["Vary"]
    assert parsed(by_accept.data, fmt) == expected
    by_ext = client.get(f"/id/au/15382/2019-12-01.{ext}")
    assert by_ext.status_code == 200 and by_ext.mimetype == media_type
    assert by_ext.data == by_accept.data


def test_description_is_deduplicated_across_graphs(client) -> None:
    nt = client.get("/id/au/15382/2019-12-01.nt").get_data(as_text=True)
    assert nt.count('<http://www.w3.org/2000/01/rdf-schema#label> "Xã Minh Tân"@vi') == 1
    assert len(nt.strip().splitlines()) == len(set(nt.strip().splitlines()))


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/html"),
    ("*/*", "text/html"),
    (BROWSER, "text/html"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9", "text/turtle"),
    ("text/turtle;q=0, application/n-triples;q=0.4, */*;q=0.1", "application/n-triples"),
    ("application/json", "application/json"),  # JSON-LD, sent as the JSON the client named (as /sparql does)
    ("application/ld+json;q=0.5, application/json", "application/json"),
    ("text/html;q=0, */*", "text/turtle"),  # q=0 excludes a type even under a wildcard
])
def test_accept_header_with_q_values(client, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    r = client.get("/id/au/393/2004-08-31", headers=headers)
    assert r.status_code == 200 and r.mimetype == expected


def test_format_parameter_overrides_accept(client) -> None:
    r = client.get("/id/au/393/2004-08-31?format=nt", headers={"Accept": "text/html"})
    assert r.mimetype == "application/n-triples"
    bad = client.get("/id/au/393/2004-08-31?format=pdf")  # one negotiation for every surface: 406, as on /sparql
    assert bad.status_code == 406 and b"text/turtle (format=turtle)" in bad.data


def test_unproducible_accept_is_406_listing_offers(client) -> None:
    r = client.get("/id/au/393/2004-08-31", headers={"Accept": "application/pdf"})
    assert r.status_code == 406
    assert b"text/turtle" in r.data and b"application/ld+json" in r.data


def test_etag_tied_to_build_and_304_on_revalidation(client) -> None:
    r = client.get("/id/au/15382/2019-12-01", headers={"Accept": "text/turtle"})
    etag = r.headers["ETag"]
    assert BUILD_ID in etag and "max-age" in r.headers["Cache-Control"]
    again = client.get("/id/au/15382/2019-12-01", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    nt = {"Accept": "application/n-triples", "If-None-Match": etag}
    other = client.get("/id/au/15382/2019-12-01", headers=nt)
    assert other.status_code == 200 and other.headers["ETag"] != etag


def test_head_request(client) -> None:
    r = client.head("/id/au/15382/2019-12-01.ttl")
    assert r.status_code == 200 and r.data == b""


# --- unknown and odd IRIs -------------------------------------------------------------------------

def test_unknown_iri_is_404_with_a_search_hint(client) -> None:
    plain = client.get("/id/au/99999/base")
    assert plain.status_code == 404 and plain.mimetype == "text/plain"
    text = plain.get_data(as_text=True)
    assert "https://vinhloc-kg.example/id/au/99999/base" in text and "SPARQL" in text
    page = client.get("/id/au/99999/base", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "/?run=1&amp;query=SELECT" in page.get_data(as_text=True)


def test_unit_code_without_version_points_to_the_code_page(client) -> None:
    r = client.get("/id/au/15382", headers={"Accept": BROWSER})
    assert r.status_code == 404
    assert 'href="/id/code/dvhc/15382"' in r.get_data(as_text=True)


def test_trailing_slash_points_to_the_iri(client) -> None:
    r = client.get("/id/au/15382/2019-12-01/")
    assert r.status_code == 404 and b"/id/au/15382/2019-12-01\n" in r.data


@pytest.mark.parametrize("path", [
    "/id/Vĩnh-Lộc", "/id/x%20y", "/id/%3Cscript%3E", "/id/%FF%FE", "/id/a%7Cb", "/id/a%5Cb",
    "/id/..%2F..%2Fetc", "/id/" + "a" * 5000, "/id/au/15382/2019-12-01.exe", "/id/a%00b", "/graph/%22", "/def/%60x",
])
def test_odd_paths_never_500(client, path: str) -> None:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code in (400, 404), (path, r.status_code)
    assert r.data


def test_non_ascii_path_explains_ascii_iris(client) -> None:
    r = client.get("/id/Vĩnh-Lộc")
    assert r.status_code == 404 and b"ASCII" in r.data
