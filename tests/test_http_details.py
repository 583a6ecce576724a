"""HTTP details on every surface: security headers, conditional requests, HEAD, Range, odd names, links.

In-process (Flask test client) over the small build of entity_fixture, which has dumps and a manifest;
a bare store where the test is about a store without them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from entity_fixture import make_build
from pyoxigraph import RdfFormat, Store

from vlkg.server import create_app
from vlkg.server.errors import ERRORS, Problem, error_response

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASE_IRI = "https://vinhloc-kg.example/"
ENTITY = "/id/au/15382/2019-12-01"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"

# One request per GET route, by endpoint name: a new route must be added here (test_every_get_route_is_sampled).
SAMPLES: dict[str, list[str]] = {
    "sparql.endpoint": ["/sparql", "/sparql?query=ASK%7B%7D"],
    "ui.index": ["/", "/?query=SELECT%20*%20%7B%7D&run=1"],
    "ui.prefixes": ["/ui/prefixes.json"],
    "entities.instance": [ENTITY, ENTITY + ".ttl", "/id/au/99999/base"],
    "entities.vocabulary": ["/def/", "/def/Commune"],
    "entities.graph": ["/graph/ref/dvhc-legacy"],
    "search.search": ["/search?q=vinh", "/search?q=vinh&format=json"],
    "reconcile.endpoint": ["/reconcile", "/reconcile?queries=%7B%7D"],
    "reconcile.preview": ["/reconcile/preview?id=au/15379/2004-08-31"],
    "reconcile.suggest_entity": ["/reconcile/suggest/entity?prefix=vinh"],
    "reconcile.suggest_type": ["/reconcile/suggest/type?prefix=c"],
    "reconcile.suggest_property": ["/reconcile/suggest/property?prefix=p"],
    "entities.jsonld_context": ["/context.jsonld"],
    "dumps.listing": ["/dumps/", "/dumps/?format=json"],
    "dumps.download": ["/dumps/SHA256SUMS", "/dumps/all.nq.gz", "/dumps/nope.gz"],
    "dumps.void": ["/.well-known/void", "/.well-known/void?format=html"],
    "health.health": ["/health"],
    "health.version": ["/version"],
    "static": ["/static/site.css", "/static/ui.js"],
}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_build(tmp_path_factory.mktemp("http-build"))


@pytest.fixture(scope="module")
def app(build: Path) -> Iterator[Any]:
    app = create_app({"store": str(build), "executors": 1})
    app.config["TESTING"] = True
    yield app
    app.extensions["vlkg"].close()


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    return app.test_client()


def get_routes(app: Any) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())]


def all_samples(app: Any) -> list[str]:
    return [url for rule in get_routes(app) for url in SAMPLES.get(rule.endpoint, [])]


def test_every_get_route_is_sampled(app: Any) -> None:
    missing = [str(r) for r in get_routes(app) if r.endpoint not in SAMPLES]
    assert missing == [], f"add sample requests for these routes to SAMPLES: {missing}"


# --- headers on every response --------------------------------------------------------------------------

def test_every_response_says_nosniff(app: Any, client: Any) -> None:
    seen = []
    for url in all_samples(app):
        for accept in (BROWSER, "application/json", "*/*"):
            r = client.get(url, headers={"Accept": accept})
            seen.append(r.status_code)
            assert r.headers.get("X-Content-Type-Options") == "nosniff", (url, accept, r.status_code)
    preflight = client.options("/sparql", headers={"Access-Control-Request-Method": "POST", "Origin": "http://x"})
    assert preflight.status_code == 204 and preflight.headers.get("X-Content-Type-Options") == "nosniff"
    assert {200, 404} <= set(seen)


def test_html_pages_carry_a_content_security_policy(app: Any, client: Any) -> None:
    pages = 0
    for url in all_samples(app):
        r = client.get(url, headers={"Accept": BROWSER})
        if r.mimetype != "text/html":
            continue
        pages += 1
        policy = dict(d.strip().split(" ", 1) for d in r.headers["Content-Security-Policy"].split(";") if d.strip())
        assert policy["script-src"] == "'self'", url  # no inline script, no eval
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", url
        assert "frame-ancestors" in policy and "default-src" in policy, url
        assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
    assert pages >= 8  # the UI, entity pages, 404 pages, dumps, VoID


def test_the_query_page_has_no_inline_script_or_style(client: Any) -> None:
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    inline = [attrs for attrs, body in scripts if body.strip() and 'type="application/json"' not in attrs]
    assert inline == []
    assert " style=" not in html and "<style" not in html


@pytest.mark.parametrize("code", [c for c, (status, _t) in ERRORS.items() if status in (429, 503)])
def test_retry_after_on_every_503_and_429_problem(app: Any, code: str) -> None:
    with app.test_request_context("/sparql"):
        response = error_response(Problem(code, "try later"))
    assert response.status_code in (429, 503)
    assert response.headers["Retry-After"].isdigit()


def test_a_problem_keeps_its_own_retry_after(app: Any) -> None:
    with app.test_request_context("/sparql"):
        response = error_response(Problem("busy", "try later", {"Retry-After": "17"}))
    assert response.headers["Retry-After"] == "17"


def test_a_real_timeout_503_has_retry_after(client: Any) -> None:
    r = client.get("/sparql", query_string={"query": RUNAWAY, "timeout": "0.5"})
    assert r.status_code == 503
    assert r.headers["Retry-After"].isdigit()


# --- one error renderer ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "mimetype"), [
    (BROWSER, "text/html"), ("application/json", "application/json"),
    ("application/sparql-results+json", "application/json"), ("*/*", "text/plain"), (None, "text/plain"),
    ("text/turtle", "text/plain"),
])
@pytest.mark.parametrize("url", ["/id/au/99999/base", "/dumps/nope.gz", "/nowhere", "/sparql?query=SELEC"])
def test_errors_look_the_same_everywhere(client: Any, url: str, accept: str | None, mimetype: str) -> None:
    r = client.get(url, headers={"Accept": accept} if accept else {})
    assert r.status_code in (400, 404) and r.mimetype == mimetype, (url, accept, r.status_code, r.mimetype)
    assert r.headers["Cache-Control"] == "no-store" and "Accept" in r.headers["Vary"]
    body = r.get_data(as_text=True)
    if mimetype == "application/json":
        error = json.loads(body)["error"]
        assert error["status"] == r.status_code and error["title"] and error["message"]
    elif mimetype == "text/html":
        assert f"({r.status_code})" in body and "<h1>" in body
    else:
        assert body.startswith(f"{r.status_code} ")


def test_not_acceptable_is_406_on_every_negotiating_route(client: Any) -> None:
    for url in ("/id/au/393/2004-08-31", "/dumps/", "/.well-known/void", "/id/au/393/2004-08-31?format=pdf"):
        r = client.get(url, headers={"Accept": "application/pdf"})
        assert r.status_code == 406, url
        assert "Offered" in r.get_data(as_text=True), url


def test_q_zero_excludes_a_type_even_under_a_wildcard(client: Any) -> None:
    r = client.get("/id/au/393/2004-08-31", headers={"Accept": "text/html;q=0, */*"})
    assert r.status_code == 200 and r.mimetype != "text/html"
    r = client.get("/dumps/", headers={"Accept": "text/html;q=0, */*;q=0.5"})
    assert r.mimetype == "application/json"


# --- conditional requests -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [ENTITY, ENTITY + ".nt", "/def/Commune", "/dumps/", "/dumps/?format=json",
                                 "/.well-known/void", "/dumps/SHA256SUMS"])
def test_if_none_match_star_and_tag_give_304_with_the_real_etag(client: Any, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    for header in ("*", etag, f'W/{etag}', f'"x", {etag}'):
        again = client.get(url, headers={"If-None-Match": header})
        assert again.status_code == 304, (url, header)
        assert again.headers["ETag"] == etag and again.data == b""
        assert again.headers.get("Cache-Control") == first.headers.get("Cache-Control")
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(("url", "status"), [
    ("/id/au/99999/base", 404), (ENTITY + "?in=x", 400), ("/dumps/nope.gz", 404), ("/dumps/?format=pdf", 406),
    (ENTITY + "?format=pdf", 406), ("/nowhere", 404),
])
def test_if_none_match_star_never_hides_an_error(client: Any, url: str, status: int) -> None:
    r = client.get(url, headers={"If-None-Match": "*"})
    assert r.status_code == status and "ETag" not in r.headers


def test_sparql_if_none_match_star_never_hides_a_malformed_query(client: Any) -> None:
    r = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x ?y }"}, headers={"If-None-Match": "*"})
    assert r.status_code == 400


def test_compressed_etag_suffix_still_matches(client: Any) -> None:
    etag = client.get(ENTITY, headers={"Accept": "text/turtle"}).headers["ETag"]
    compressed = etag[:-1] + ':gzip"'
    r = client.get(ENTITY, headers={"Accept": "text/turtle", "If-None-Match": compressed})
    assert r.status_code == 304


# --- HEAD -----------------------------------------------------------------------------------------------

def test_head_equals_get_without_the_body_on_every_get_route(app: Any, client: Any) -> None:
    for url in all_samples(app):
        if url.startswith("/sparql?"):
            continue  # test_head_sparql_query below
        for accept in (BROWSER, "*/*"):
            got = client.get(url, headers={"Accept": accept})
            head = client.head(url, headers={"Accept": accept})
            assert head.status_code == got.status_code, (url, accept)
            assert head.data == b"", url
            for name in ("Content-Type", "ETag", "Cache-Control", "Vary", "Content-Length",
                         "X-Content-Type-Options", "Content-Security-Policy"):
                assert head.headers.get(name) == got.headers.get(name), (url, accept, name)


def test_head_sparql_query(client: Any) -> None:
    got = client.get("/sparql?query=ASK%7B%7D")
    head = client.head("/sparql?query=ASK%7B%7D")
    assert head.status_code == got.status_code == 200 and head.data == b""


# --- Range on dump files --------------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["bytes=5-2", "bytes=a-b", "foo", "items=0-1", "bytes=0-1,5-6", "bytes=",
                                    "bytes=--1", "bytes=1-2-3", "bytes 0-1", "bytes=\u00b2-3", "BYTES = 2-4",
                                    "bytes=-"])
def test_invalid_range_is_ignored(client: Any, build: Path, header: str) -> None:
    data = (build / "dumps" / "all.nq.gz").read_bytes()
    r = client.get("/dumps/all.nq.gz", headers={"Range": header})
    assert r.status_code == 200 and r.data == data, header


@pytest.mark.parametrize("header", ["bytes={n}-", "bytes={n}-{m}", "bytes=-0"])
def test_unsatisfiable_range_is_416(client: Any, build: Path, header: str) -> None:
    n = len((build / "dumps" / "all.nq.gz").read_bytes())
    r = client.get("/dumps/all.nq.gz", headers={"Range": header.format(n=n, m=n + 5)})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{n}"


@pytest.mark.parametrize(("header", "part"), [("bytes=0-9", slice(0, 10)), ("bytes=-5", slice(-5, None)),
                                              ("bytes=7-", slice(7, None)), ("bytes=3-99999999", slice(3, None)),
                                              ("BYTES=2-4", slice(2, 5)), ("bytes=0-1,", slice(0, 2)),
                                              ("bytes= 1-3 ,", slice(1, 4))])
def test_satisfiable_range_is_206(client: Any, build: Path, header: str, part: slice) -> None:
    data = (build / "dumps" / "all.nq.gz").read_bytes()
    r = client.get("/dumps/all.nq.gz", headers={"Range": header})
    assert r.status_code == 206 and r.data == data[part], header


def test_range_with_a_stale_if_range_gets_the_whole_file(client: Any, build: Path) -> None:
    data = (build / "dumps" / "all.nq.gz").read_bytes()
    r = client.get("/dumps/all.nq.gz", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert r.status_code == 200 and r.data == data


# --- absurd names ---------------------------------------------------------------------------------------

ABSURD = ["a" * 256, "a" * 255 + ".gz", "a%00b", "%00", "x/" * 3000 + "y", "a" * 70000, "%FF%FE", "..%2F..",
          "%2e%2e/%2e%2e/etc/passwd", "a/" + "b" * 300 + "/c"]


@pytest.mark.parametrize("name", ABSURD, ids=range(len(ABSURD)))
@pytest.mark.parametrize("prefix", ["/dumps/", "/id/", "/def/", "/graph/"])
def test_absurd_names_get_a_sentence_not_500(client: Any, prefix: str, name: str) -> None:
    for accept in (BROWSER, "*/*"):
        r = client.get(prefix + name, headers={"Accept": accept})
        text = r.get_data(as_text=True)
        if r.status_code == 414 and len(name) > 8000:  # the request-size limit came first: also a sentence
            assert "limit" in text
            continue
        assert r.status_code in ((404,) if prefix == "/dumps/" else (400, 404)), (prefix, name[:40], r.status_code)
        assert "There is no" in text or "cannot be part of an IRI" in text or "IRIs of this dataset" in text


# --- links from the configured base IRI, never from Host ------------------------------------------------

EVIL = "evil.example"


@pytest.mark.parametrize("accept", [BROWSER, "application/json", "*/*", "text/turtle"])
def test_nothing_is_built_from_the_host_header(app: Any, client: Any, accept: str) -> None:
    for url in all_samples(app):
        if url.startswith("/sparql"):
            continue  # test_sparql_service_description_ignores_host below
        r = client.get(url, headers={"Accept": accept, "Host": EVIL})
        assert EVIL.encode() not in r.data, (url, accept)
        assert all(EVIL not in v for _k, v in r.headers.items()), (url, accept)


def test_sparql_service_description_ignores_host(client: Any) -> None:
    r = client.get("/sparql", headers={"Host": EVIL})
    assert r.status_code == 200 and "public" in r.headers["Cache-Control"]
    assert EVIL not in r.get_data(as_text=True)
    assert f"<{BASE_IRI}sparql>" in r.get_data(as_text=True)


def test_dump_listing_json_links_are_absolute_on_the_base_iri(client: Any) -> None:
    body = client.get("/dumps/?format=json", headers={"Host": EVIL}).get_json()
    urls = [d["url"] for d in body["dumps"] + body["other_files"]]
    assert urls and all(u.startswith(BASE_IRI + "dumps/") for u in urls), urls
    assert [d["graph_page"] for d in body["dumps"] if d["graph"]] == [BASE_IRI + "graph/ref/dvhc-legacy"]


def test_dump_listing_html_links_are_root_relative(client: Any) -> None:
    page = client.get("/dumps/", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'href="/dumps/all.nq.gz"' in page and "http://localhost" not in page


def test_bare_store_void_names_the_endpoint_from_the_base_iri(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "bare"))
    store.load(b'<http://example.org/a> <http://example.org/p> "1" .\n', format=RdfFormat.N_TRIPLES)
    store.flush()
    del store
    app = create_app({"store": str(tmp_path / "bare"), "executors": 1})
    try:
        void = app.test_client().get("/.well-known/void?format=nt", headers={"Host": EVIL}).get_data(as_text=True)
    finally:
        app.extensions["vlkg"].close()
    assert f"<{BASE_IRI}sparql>" in void and EVIL not in void


# --- CORS: what scripts on other origins may send and read ---------------------------------------------

def test_cors_allows_range_and_exposes_retry_after(client: Any) -> None:
    preflight = client.options("/dumps/all.nq.gz",
                               headers={"Origin": "http://x", "Access-Control-Request-Method": "GET"})
    assert "Range" in preflight.headers["Access-Control-Allow-Headers"]
    exposed = client.get("/dumps/", headers={"Origin": "http://x"}).headers["Access-Control-Expose-Headers"]
    for name in ("ETag", "Retry-After", "Content-Range", "Vlkg-Truncated"):
        assert name in exposed
