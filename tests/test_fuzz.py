"""Fuzzing every route, parameter, method and header: no 5xx but the deliberate ones, no markup reflected.

Routes come from app.url_map, so a new route is fuzzed without touching this file. Three parts, each
bounded by a number of requests (about 30 s together on two idle cores; no timing is asserted):
  - a sweep: every route x every method x every hostile value, in the path and in each parameter;
  - hypothesis over the Flask test client: random combinations of route, path text, parameters,
    method, headers and body;
  - hypothesis over HTTP against a real `vlkg serve` (conftest's live_server): raw paths and headers
    the test client would normalise.
Checked on every response: the status is below 500, or a deliberate 502 (failed SERVICE), 503 (timeout,
busy) or 507 (too large); nosniff is set; 429/503 say Retry-After; HEAD has no body; and an HTML body
never holds markup from the request unescaped.
"""

from __future__ import annotations

import http.client
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from entity_fixture import make_build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DELIBERATE = {502, 503, 507}
MARKUP = ("<script>x</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>")
# What must never appear in an HTML body (escaped it reads &lt;script&gt;... and is harmless).
REFLECTED = re.compile(r"<script>x|<img src=x|<svg onload", re.I)

HOSTILE = [
    *MARKUP, "", " ", "\x00", "a\x00b", "%00", "%FF%FE", "a" * 256, "a" * 5000, "../../etc/passwd",
    "..%2F..%2Fetc", "\u00b2", "-1", "0", "1e309", "nan", "inf", "0.000001", "99999999999999999999",
    "Vĩnh Lộc", "\ud7ff\ue000", "{" * 3000, "[" * 3000, "*/*", "\r\nX-Injected: 1", "http://127.0.0.1:1/", "<http://x>",
]
QUERIES = [
    "ASK {}", "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3",
    "DESCRIBE <https://vinhloc-kg.example/id/au/393/2004-08-31>", "SELECT ?x WHERE { ?x ?y }", "SELEC",
    "INSERT DATA { <a:b> <a:c> <a:d> }", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/x> { ?s ?p ?o } }",
    "SELECT * WHERE " + "{ " * 3000 + "}" * 3000, "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o " * 3000
    + "}" * 3001, "PREFIX ex: <http://example.org/> SELECT (ex:f(1) AS ?x) {}", "SELECT ?x { BIND(<x> AS ?x) }",
    "SELECT * { ?s ?p ?o } LIMIT 1 # " + "a" * 1000, "SELECT ('<script>x</script>' AS ?x) {}",
    # reconciliation batches: well-formed, hostile text, bad types
    '{"q0": {"query": "xã Vĩnh Hùng, huyện Vĩnh Lộc", "properties": [{"pid": "date", "v": "2021-12-22"}]}}',
    '{"q0": {"query": "<script>x</script>", "limit": 3}}', '{"q0": {"query": "' + "a, " * 400 + '"}}',
    '{"q0": {"query": 5, "type": [], "properties": {}}}', '[1, 2]', '{"q0": null}',
]
PARAMS = ["query", "update", "format", "timeout", "row-limit", "default-graph-uri", "named-graph-uri", "in",
          "start", "end", "span", "example", "run", "using-graph-uri",
          # /search and /reconcile (the fuzz build carries the real unit index, so these reach vlkg.places)
          "q", "queries", "prefix", "id", "limit", "cursor", "on"]
SEGMENTS = ["au/15382/2019-12-01", "au/393/2004-08-31", "Commune", "ref/dvhc-legacy", "SHA256SUMS", "all.nq.gz",
            "site.css", "ui.js", "vendor/yasgui/yasgui.min.js", "au/393/2004-08-31.ttl", "au/393/2004-08-31.html"]
HEADERS: dict[str, list[str]] = {
    "Accept": ["*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json",
               "application/sparql-results+json", "text/csv", "text/turtle", "application/pdf", "text/*;q=0",
               "text/html;q=0, */*", "application/ld+json;q=0.5, application/json", ";;;", "*/*;q=abc",
               "text/html;level=1;q=2", "application/" + "x" * 600],
    "Accept-Encoding": ["gzip", "br", "zstd", "deflate", "identity", "*", "gzip;q=0, identity;q=0", "x" * 300],
    "If-None-Match": ["*", '"x"', 'W/"x"', '"x", *', "garbage", '"' + "a" * 500 + '"'],
    "Range": ["bytes=0-9", "bytes=-5", "bytes=5-2", "bytes=0-1,5-6", "items=0-1", "bytes=99999999-",
              "bytes=-0", "bytes=", "foo", "bytes=\u00b2-3"],
    "If-Range": ['"x"', "Wed, 21 Oct 2015 07:28:00 GMT", "garbage"],
    "If-Modified-Since": ["Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2099 07:28:00 GMT", "garbage"],
    "Content-Type": ["application/x-www-form-urlencoded", "application/sparql-query",
                     "application/sparql-query; charset=latin-1", "application/sparql-update", "text/plain",
                     "multipart/form-data; boundary=x", "application/json", "garbage", ""],
    "Origin": ["http://example.org", "null"],
    "Access-Control-Request-Method": ["POST", "DELETE"],
    "Access-Control-Request-Headers": ["Content-Type", "x" * 200],
    "Accept-Language": ["vi", "en;q=0.5", "*"],
    "Host": ["evil.example", "localhost:1"],
}
METHODS = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE"]


ESCAPED_SEEN = {"html": 0}  # HTML bodies that held a marker escaped: proof that the check below has bite


def check(method: str, where: str, status: int, headers: Any, body: bytes, host: str | None = None) -> None:
    """The invariants every response keeps, whatever was asked; `host` is a Host header that was sent."""
    assert status < 500 or status in DELIBERATE, f"{status} for {method} {where}\n{body[:2000]!r}"
    if headers.get("Content-Type"):  # (the HTTP server's own empty 400 for a bad request line has none)
        assert headers.get("X-Content-Type-Options") == "nosniff", f"no nosniff on {status} for {method} {where}"
    if status in (429, 503):
        assert headers.get("Retry-After"), f"{status} without Retry-After for {method} {where}"
    if method == "HEAD":
        assert body == b"", f"HEAD with a body: {where}"
    content_type = headers.get("Content-Type") or ""
    if content_type.startswith("text/html"):
        text = body.decode("utf-8", "replace")
        found = REFLECTED.search(text)
        context = text[found.start() - 200:found.end() + 50] if found else ""
        assert found is None, f"markup reflected in HTML for {method} {where}: …{context}…"
        ESCAPED_SEEN["html"] += "&lt;script&gt;x" in text
    if host and "public" in (headers.get("Cache-Control") or ""):
        assert host.encode() not in body, f"the Host header is in a publicly cached answer: {method} {where}"


def route_paths(app: Any) -> list[tuple[str, list[str]]]:
    """(rule, its variable parts) for every route of the app."""
    return [(rule.rule, list(rule.arguments)) for rule in app.url_map.iter_rules()]


def build_path(rule: str, values: Iterator[str]) -> str:
    """The rule with each <converter:name> replaced by the next value, percent-encoded as a client would."""
    return re.sub(r"<[^>]+>", lambda _m: quote(next(values), safe="/%"), rule)


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory, unit_index: Path) -> Any:
    """conftest's app over entity_fixture's small build: the test data plus dump files, a manifest and the real
    build's unit index."""
    return make_app(store=str(make_build(tmp_path_factory.mktemp("fuzz-build"), units=unit_index)), timeout=2.0,
                    max_timeout=2.0)


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    return app.test_client()


def test_the_fuzz_build_reaches_search_and_reconcile(client: Any) -> None:
    """The hostile values below hit vlkg.places, not a 404 for a missing unit index."""
    hits = client.get("/search?q=vinh%20hung&format=json").get_json()["hits"]
    assert any(h["code"] == "15379" for h in hits)
    answer = client.get("/reconcile", query_string={"queries": QUERIES[-6]}).get_json()
    assert answer["q0"]["result"][0]["id"] == "au/15379/2004-08-31"


def send(client: Any, method: str, path: str, params: dict[str, str], headers: dict[str, str],
         body: bytes | None = None) -> None:
    query_string = urlencode(params)
    where = f"{path}?{query_string}"[:3000] + f" headers={headers!r}"[:1000]
    content_type = headers.pop("Content-Type", None)
    response = client.open(path, method=method, query_string=query_string, headers=headers, data=body,
                           content_type=content_type)
    data = response.get_data()
    host = headers.get("Host") if headers.get("Host") in HEADERS["Host"] else None  # distinctive names only
    check(method, where, response.status_code, response.headers, data, host)


def test_every_route_is_fuzzed(app: Any) -> None:
    """The fuzzer knows how to fill every variable of every route (a new converter needs a value)."""
    rules = route_paths(app)
    assert len(rules) >= 10
    for rule, arguments in rules:
        assert all(a in ("path", "filename") for a in arguments), f"teach the fuzzer the variables of {rule}"


def test_sweep_every_route_method_and_hostile_value(app: Any, client: Any) -> None:
    """Deterministic: each hostile value once in every route's path and once in every parameter."""
    for rule, _arguments in route_paths(app):
        for method in METHODS:
            for value in HOSTILE:
                path = build_path(rule, itertools.repeat(value))
                send(client, method, path, {}, {"Accept": HEADERS["Accept"][1]})
    for param in PARAMS:
        for value in HOSTILE:
            for path in ("/sparql", "/", "/id/au/393/2004-08-31", "/dumps/", "/.well-known/void"):
                send(client, "GET", path, {param: value}, {"Accept": HEADERS["Accept"][1]})
    for query in QUERIES:
        send(client, "GET", "/sparql", {"query": query}, {})
        send(client, "POST", "/sparql", {}, {"Content-Type": "application/sparql-query"}, query.encode())
    assert ESCAPED_SEEN["html"] > 0, "no HTML page showed a marker: the reflection check saw nothing"
    for host in HEADERS["Host"]:
        for path in ("/", "/dumps/", "/.well-known/void", "/id/au/393/2004-08-31", "/id/x"):
            for accept in (HEADERS["Accept"][1], "application/json", "*/*"):
                send(client, "GET", path, {}, {"Host": host, "Accept": accept})


@st.composite
def requests(draw: st.DrawFn, rules: list[tuple[str, list[str]]]) -> tuple[str, str, dict[str, str],
                                                                            dict[str, str], bytes | None]:
    rule, arguments = draw(st.sampled_from(rules))
    segment = st.one_of(st.sampled_from(SEGMENTS), st.sampled_from(HOSTILE), st.text(max_size=40))
    path = build_path(rule, iter([draw(segment) for _ in arguments]))
    if draw(st.booleans()):
        path += draw(st.sampled_from(["", "/", ".ttl", ".nt", ".jsonld", ".rdf", ".html", ".exe", "/x"]))
    value = st.one_of(st.sampled_from(HOSTILE), st.sampled_from(QUERIES), st.text(max_size=60))
    params = draw(st.dictionaries(st.sampled_from(PARAMS), value, max_size=4))
    if draw(st.booleans()):
        params["query"] = draw(st.sampled_from(QUERIES))
    headers = draw(st.dictionaries(st.sampled_from(sorted(HEADERS)),
                                   st.just(""), max_size=5))
    for name in headers:
        headers[name] = draw(st.one_of(st.sampled_from(HEADERS[name]), st.text(
            alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)))
    method = draw(st.sampled_from(METHODS))
    body = None
    if method == "POST":
        body = draw(st.one_of(st.none(), st.sampled_from(QUERIES).map(str.encode),
                              st.sampled_from(QUERIES).map(lambda q: urlencode({"query": q}).encode()),
                              st.binary(max_size=100)))
    return method, path, params, headers, body


def test_hypothesis_in_process(app: Any, client: Any) -> None:
    rules = route_paths(app)

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(requests(rules))
    def fuzz(request: tuple[str, str, dict[str, str], dict[str, str], bytes | None]) -> None:
        method, path, params, headers, body = request
        send(client, method, path, params, dict(headers), body)

    fuzz()


def test_hypothesis_over_http(live_server: str) -> None:
    """Raw requests to a real `vlkg serve`: bytes in paths and headers that the test client would tidy."""
    target = urlsplit(live_server)
    raw_segment = st.one_of(st.sampled_from(SEGMENTS + [quote(m) for m in MARKUP] + ["%00", "%ff", "a" * 300]),
                            st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126,
                                                           exclude_characters="#?"), max_size=30))
    prefixes = st.sampled_from(["/id/", "/def/", "/graph/", "/dumps/", "/static/", "/sparql", "/", "/ui/"])

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(prefixes, raw_segment, st.dictionaries(st.sampled_from(PARAMS), st.sampled_from(HOSTILE + QUERIES),
                                                  max_size=3),
           st.sampled_from(["GET", "HEAD", "POST", "OPTIONS"]),
           st.dictionaries(st.sampled_from(["Accept", "Range", "If-None-Match", "Accept-Encoding"]),
                           st.sampled_from(["*/*", "bytes=5-2", "*", "gzip", "text/html", "bytes=0-3"]),
                           max_size=3))
    def fuzz(prefix: str, segment: str, params: dict[str, str], method: str, headers: dict[str, str]) -> None:
        path = prefix + segment + ("?" + urlencode(params) if params else "")
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", "0")
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        check(method, path[:500] + f" headers={headers!r}", response.status, response.headers, body)

    fuzz()
