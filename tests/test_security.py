"""Security and robustness of /sparql: the network sandbox, linear work before the timeout, bounded memory.

Each test reproduces a finding of the adversarial review (issue 6) and failed before the fix.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from loopback import MARKER, CountingListener

from vlkg.server.sandbox import Endpoint, allowed_address
from vlkg.server.sparql_scan import MAX_DEPTH, scan


@pytest.fixture
def listener() -> Any:
    server = CountingListener()
    yield server
    server.close()


# Spellings pyoxigraph accepts that a tokenizer may read otherwise; {h} is host:port, {u} the listener URL.
SPELLINGS = [
    "SELECT ?x WHERE {{ SERVICESILENT<{u}> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE<{u}>{{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ sErViCe SiLeNt <{u}> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE#comment\n<{u}> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ \\u0053ERVICE <{u}> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE <http://\\u0031\\u0032\\u0037.0.0.1:{port}/sparql> {{ ?x ?p ?o }} }}",
    "BASE <http://{h}/> SELECT ?x WHERE {{ SERVICE <sparql> {{ ?x ?p ?o }} }}",
    "PREFIX e: <http://{h}/> SELECT ?x WHERE {{ SERVICE e:sparql {{ ?x ?p ?o }} }}",
    "PREFIX e: <http://{h}/> SELECT ?x WHERE {{ SERVICE SILENT e:sp\\arql {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ VALUES ?e {{ <{u}> }} SERVICE ?e {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ BIND(IRI(CONCAT('http://', '{h}', '/sparql')) AS ?e) SERVICE SILENT ?e {{ ?x ?p ?o }} }}",
    "ASK {{ {{ SELECT * {{ SERVICE <{u}> {{ ?x ?p ?o }} }} }} }}",
    "CONSTRUCT {{ ?x ?p ?o }} WHERE {{ SERVICE SILENT <{u}> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE <http://localhost:{port}/sparql> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE <http://[::ffff:127.0.0.1]:{port}/sparql> {{ ?x ?p ?o }} }}",
    "SELECT ?x WHERE {{ SERVICE <http://2130706433:{port}/sparql> {{ ?x ?p ?o }} }}",
]


def _query(template: str, listener: CountingListener) -> str:
    return template.format(u=listener.url, h=f"127.0.0.1:{listener.port}", port=listener.port)


def _get(url: str, query: str, **params: str) -> tuple[int, bytes, dict[str, str]]:
    target = url + "/sparql?" + urllib.parse.urlencode({"query": query, **params})
    try:
        with urllib.request.urlopen(target, timeout=60) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def test_service_spellings_never_reach_the_network_in_process(client: Any, listener: CountingListener) -> None:
    for template in SPELLINGS:
        response = client.get("/sparql", query_string={"query": _query(template, listener)})
        assert response.status_code in (200, 400, 403, 502), (template, response.status_code)
        assert MARKER not in response.data
    time.sleep(0.3)
    assert listener.connections == 0


def test_service_spellings_never_reach_the_network_over_http(live_server: str, listener: CountingListener) -> None:
    """The quoted finding: SERVICESILENT<http://127.0.0.1:PORT/x> got 200 and the listener saw POST /x."""
    for template in SPELLINGS:
        status, body, _ = _get(live_server, _query(template, listener))
        assert status in (200, 400, 403, 502), (template, status, body[:200])
        assert MARKER not in body
    time.sleep(0.3)
    assert listener.connections == 0


def test_failed_service_call_is_502_without_the_remote_body(make_app: Any, listener: CountingListener) -> None:
    """Allow-listed, reached through the relay; its error page is not passed on (no port scanner)."""
    client = make_app(service_allow=(listener.url,), timeout=5.0, max_timeout=5.0).test_client()
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    response = client.get("/sparql", query_string={"query": query})
    assert listener.connections >= 1
    assert response.status_code == 502
    assert MARKER not in response.data and b"SERVICE" in response.data
    # Another port of the same host is not on the list: refused, and the sandbox would stop it anyway.
    other = CountingListener()
    try:
        query = f"SELECT * WHERE {{ SERVICE SILENT <http://localhost:{other.port}/sparql> {{ ?s ?p ?o }} }}"
        assert client.get("/sparql", query_string={"query": query}).status_code in (200, 403)
        time.sleep(0.3)
        assert other.connections == 0
    finally:
        other.close()


@pytest.mark.parametrize(("iri", "address", "allowed"), [
    ("https://query.wikidata.org/sparql", "208.80.154.224", True),
    ("https://query.wikidata.org/sparql", "127.0.0.1", False),  # DNS rebinding to loopback
    ("https://query.wikidata.org/sparql", "10.1.2.3", False),
    ("https://query.wikidata.org/sparql", "169.254.169.254", False),  # cloud metadata
    ("https://query.wikidata.org/sparql", "::1", False),
    ("https://query.wikidata.org/sparql", "::ffff:192.168.1.1", False),
    ("http://127.0.0.1:8001/sparql", "127.0.0.1", True),  # listed literally by the operator
    ("http://localhost:8001/sparql", "127.0.0.1", True),
])
def test_connector_checks_the_address_after_resolution(iri: str, address: str, allowed: bool) -> None:
    assert allowed_address(Endpoint.parse(iri), address) is allowed


ADVERSARIAL = {
    "dots": "a." * 450_000,
    "pnames": "a:" * 450_000,
    "iris": "<a" * 450_000,
    "quotes": '"a' * 450_000,
    "long-quotes": "'''a" * 225_000,
    "mixed-quotes": "\"'" * 450_000,
    "variables": "?" * 900_000,
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_scan_is_linear(name: str) -> None:
    """The old tokenizer took 6 s for 28 KB of "a." and hours for 1 MB; a generous guard catches a regression."""
    started = time.process_time()
    scan(ADVERSARIAL[name])
    assert time.process_time() - started < 10


def test_adversarial_text_costs_the_http_worker_nothing(live_server: str) -> None:
    """900 KB of each pathological shape: each is answered 400 at once, and a light query meanwhile."""
    for name, text in ADVERSARIAL.items():
        started = time.monotonic()
        req = urllib.request.Request(live_server + "/sparql", data=text.encode(),
                                     headers={"Content-Type": "application/sparql-query"})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=120)
        assert exc.value.code == 400, name
        assert time.monotonic() - started < 30, name


@pytest.mark.parametrize("opener", ["{", "OPTIONAL {", "(", "{ SELECT * WHERE {"])
def test_absurd_nesting_is_400_and_the_process_lives(app: Any, client: Any, opener: str) -> None:
    closer = {"{": "}", "OPTIONAL {": "}", "(": ")", "{ SELECT * WHERE {": "}}"}[opener]
    body = (opener * 3000) + (closer * 3000)
    query = f"SELECT * WHERE {{ FILTER({body}) }}" if opener == "(" else f"SELECT * WHERE {{ {body} }}"
    before = sorted(app.extensions["vlkg"].executor.pids())
    response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
    assert response.status_code == 400
    assert f"more than {MAX_DEPTH} levels" in response.get_data(as_text=True)
    assert sorted(app.extensions["vlkg"].executor.pids()) == before  # no process crashed and was replaced
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


def test_reasonable_nesting_still_runs(client: Any) -> None:
    query = "SELECT * WHERE " + "{ " * 50 + "?s ?p ?o" + " }" * 50 + " LIMIT 1"
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_row_limit_with_non_ascii_digits_is_400(client: Any) -> None:
    for value in ("²", "٣", "1e3", "-1", "99999999999999999999999"):
        response = client.get("/sparql", query_string={"query": "ASK {}", "row-limit": value})
        assert response.status_code == 400, value


def test_tiny_timeouts_are_raised_to_the_minimum(app: Any, client: Any) -> None:
    """timeout=0.000001 made every request kill and restart a query process (780 restarts in 20 s)."""
    before = sorted(app.extensions["vlkg"].executor.pids())
    for _ in range(20):
        response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }", "timeout": "0.000001"})
        assert response.status_code == 200
        assert response.headers["Vlkg-Timeout"] == "0.1"
    assert sorted(app.extensions["vlkg"].executor.pids()) == before


def test_if_none_match_star_needs_an_answer(client: Any) -> None:
    bad = client.get("/sparql", query_string={"query": "SELEC nothing"}, headers={"If-None-Match": "*"})
    assert bad.status_code == 400 and bad.headers.get("ETag") != "*"
    good = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"If-None-Match": "*"})
    assert good.status_code == 304 and good.headers["ETag"].startswith('"') and good.headers["ETag"] != '"*"'


def test_head_sparql(client: Any) -> None:
    plain = client.head("/sparql")
    assert plain.status_code == 200 and plain.data == b""
    query = client.head("/sparql", query_string={"query": "ASK {}"})
    assert query.status_code == 200 and query.data == b""
    assert query.headers["Content-Type"].startswith("application/sparql-results+json")


def test_max_result_mb_holds_with_a_row_limit(make_app: Any) -> None:
    """A 1 MiB limit returned 8.1 MB when row-limit or result cap applied."""
    client = make_app(max_result_mb=1).test_client()
    big = "SELECT ?s (CONCAT(STR(?o), STRUUID(), '" + "x" * 40_000 + "') AS ?big) WHERE { ?s ?p ?o }"
    for params in ({"row-limit": "1000"}, {}):
        response = client.get("/sparql", query_string={"query": big, **params})
        assert response.status_code == 507, params
        assert "1 MiB" in response.get_data(as_text=True)
    capped = make_app(max_result_mb=1, result_cap=1000).test_client()
    assert capped.get("/sparql", query_string={"query": big}).status_code == 507


def _rss_mib(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in kids:
            out.append(int(kid))
            out.extend(_children(int(kid)))
    return out


def _http_workers(server_pid: int) -> list[int]:
    """The HTTP worker processes (not the query processes, whose memory is bounded by their own limit)."""
    workers = []
    for kid in _children(server_pid):
        try:
            cmdline = Path(f"/proc/{kid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"vlkg.server.query_process" not in cmdline:
            workers.append(kid)
    return workers


def test_distinct_large_queries_do_not_grow_the_worker(fixture_store: Path, serve_factory: Any) -> None:
    """250 requests of 1 MB grew the worker from 58 to 317 MiB and it stayed; the goal is < 40 MiB for 200 x 500 KB.

    Measured after a warm-up of 10 such requests (first use loads code, fills the result cache and wakes
    request threads), so the figure is what distinct queries keep, not what the first ones cost. From a fresh
    start the worker grows by 13 MiB standalone and 27-38 MiB in this suite, and plateaus near 140 MiB.
    """
    url = serve_factory(fixture_store, "--executors", "1")
    port = int(url.rsplit(":", 1)[1])
    server_pid = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _listens(int(p.name), port))
    workers = _http_workers(server_pid) or [server_pid]

    def rss() -> float:
        return sum(_rss_mib(w) for w in workers if w != server_pid) or _rss_mib(server_pid)

    def send(i: int) -> None:
        query = f"SELECT ({i} AS ?i) WHERE {{}} #" + os.urandom(250_000).hex()
        req = urllib.request.Request(url + "/sparql", data=query.encode(),
                                     headers={"Content-Type": "application/sparql-query"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200

    start = rss()
    for i in range(10):
        send(i)
    before = rss()
    for i in range(10, 210):
        send(i)
    after = rss()
    print(f"HTTP worker RSS: {start:.0f} at start, {before:.0f} after 10 warm-up requests, {after:.0f} after 200 "
          "more distinct 500 KB queries")
    assert after - before < 40, f"HTTP worker grew from {before:.0f} to {after:.0f} MiB"


def _listens(pid: int, port: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"vlkg" in cmdline and b"serve" in cmdline and str(port).encode() in cmdline


def test_one_release_is_served_after_a_rebuild(tmp_path: Path) -> None:
    """The store was pinned at start-up but /dumps/ and the catalogue followed the live `current` link:
    after a rebuild the listing showed the old SHA-256 while the new bytes were served."""
    import hashlib
    import shutil

    from entity_fixture import BUILD_ID, make_build

    from vlkg.server import create_app

    root = make_build(tmp_path / "b")
    app = create_app({"store": str(root), "executors": 1})
    try:
        client = app.test_client()
        listed = {d["file"]: d["sha256"] for d in client.get("/dumps/?format=json").get_json()["dumps"]}
        # A rebuild: a second release with other bytes, and `current` switched to it.
        other = root / "releases" / "rebuilt"
        shutil.copytree(root / "releases" / BUILD_ID, other)
        for name in listed:
            (other / "dumps" / name).write_bytes(b"other bytes")
        (root / "current").unlink()
        (root / "current").symlink_to(Path("releases") / "rebuilt")
        again = client.get("/dumps/?format=json").get_json()
        assert again["build_id"] == BUILD_ID
        assert {d["file"]: d["sha256"] for d in again["dumps"]} == listed
        for name, sha in listed.items():
            body = client.get(f"/dumps/{name}").get_data()
            assert hashlib.sha256(body).hexdigest() == sha, name
    finally:
        app.extensions["vlkg"].close()


def test_big_answers_keep_their_length_and_are_gzipped_for_gzip_clients(live_server: str) -> None:
    """Answers over 8 MiB lost Content-Length and went out uncompressed to gzip-only clients."""
    import gzip

    query = "SELECT (CONCAT(STR(?s), STRUUID(), '" + "x" * 300_000 + "') AS ?big) WHERE { ?s ?p ?o }"
    body = urllib.parse.urlencode({"query": query}).encode()
    sizes = {}
    for encoding in ("gzip", "identity"):
        req = urllib.request.Request(live_server + "/sparql", data=body, headers={
            "Accept-Encoding": encoding, "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=60) as r:
            data = r.read()
            assert r.headers["Content-Length"] == str(len(data)), encoding
            if encoding == "gzip":
                assert r.headers["Content-Encoding"] == "gzip"
                data = gzip.decompress(data)
            else:
                assert r.headers.get("Content-Encoding") is None
        sizes[encoding] = len(data)
        assert data.rstrip().endswith(b"}") and data.count(b'"big"') > 30
    assert sizes["gzip"] == sizes["identity"] > 8 * 2**20
