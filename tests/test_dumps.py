"""Dumps listing and download, the VoID/DCAT description, /health and /version."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from entity_fixture import BUILD_ID, CREATED, make_build
from pyoxigraph import RdfFormat, Store, parse
from werkzeug.serving import make_server

import vlkg
from vlkg.namespaces import GRAPH_META
from vlkg.server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_build(tmp_path_factory.mktemp("dump-build"))


@pytest.fixture(scope="module")
def manifest(build: Path) -> dict:
    return json.loads((build / "current" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client(build: Path):
    return create_app({"store": str(build)}).test_client()


# --- listing --------------------------------------------------------------------------------------

def test_listing_html_shows_every_dump(client, manifest: dict) -> None:
    r = client.get("/dumps/", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    for d in manifest["dumps"]:
        assert f'href="/dumps/{d["file"]}"' in page  # root-relative: never built from the Host header
        assert d["sha256"] in page and f'{d["triples"]:,}' in page and f'{d["bytes"]:,} B' in page
    assert 'href="/graph/ref/dvhc-legacy"' in page and "all graphs, graph names kept" in page
    assert CREATED in page and "SHA256SUMS" in page


@pytest.mark.parametrize("how", [{"query_string": {"format": "json"}},
                                 {"headers": {"Accept": "application/json"}}])
def test_listing_json(client, manifest: dict, how: dict) -> None:
    r = client.get("/dumps/", **how)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert body["build_id"] == BUILD_ID
    by_file = {d["file"]: d for d in body["dumps"]}
    for d in manifest["dumps"]:
        got = by_file[d["file"]]
        for key in ("format", "scope", "graph", "bytes", "triples", "sha256"):
            assert got[key] == d[key]
        assert got["url"] == "https://vinhloc-kg.example/dumps/" + d["file"] and got["date"] == CREATED


def test_listing_revalidates(client) -> None:
    first = client.get("/dumps/?format=json")
    again = client.get("/dumps/?format=json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


# --- download -------------------------------------------------------------------------------------

def test_gz_dump_served_byte_for_byte(client, build: Path, manifest: dict) -> None:
    entry = next(d for d in manifest["dumps"] if d["file"] == "all.nq.gz")
    r = client.get("/dumps/all.nq.gz", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert r.status_code == 200
    assert r.mimetype == "application/gzip"
    assert "Content-Encoding" not in r.headers, "a .gz dump must not be re-encoded"
    disposition = r.headers["Content-Disposition"]
    assert "attachment" in disposition and "all.nq.gz" in disposition
    assert hashlib.sha256(r.data).hexdigest() == entry["sha256"] and len(r.data) == entry["bytes"]
    quads = list(parse(io.BytesIO(gzip.decompress(r.data)), RdfFormat.N_QUADS))
    assert len(quads) == entry["triples"] == sum(g["triples"] for g in manifest["graphs"].values())


def test_range_and_conditional_requests(client, build: Path) -> None:
    data = (build / "dumps" / "all.nq.gz").read_bytes()
    part = client.get("/dumps/all.nq.gz", headers={"Range": "bytes=10-29"})
    assert part.status_code == 206 and part.data == data[10:30]
    assert part.headers["Content-Range"] == f"bytes 10-29/{len(data)}"
    etag = client.get("/dumps/all.nq.gz").headers["ETag"]
    assert client.get("/dumps/all.nq.gz", headers={"If-None-Match": etag}).status_code == 304
    sums = (build / "dumps" / "SHA256SUMS").read_bytes()
    text_part = client.get("/dumps/SHA256SUMS", headers={"Range": "bytes=0-15", "Accept-Encoding": "gzip"})
    assert text_part.status_code == 206 and text_part.data == sums[:16]
    assert "no-transform" in text_part.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/dumps/nope.nt.gz", "/dumps/../current/manifest.json",
                                  "/dumps/..%2Fcurrent%2Fmanifest.json", "/dumps/%2Fetc%2Fpasswd",
                                  "/dumps/Vĩnh.gz"])
def test_missing_or_escaping_files_are_404(client, path: str) -> None:
    r = client.get(path, follow_redirects=True)  # werkzeug first merges '//' with a redirect
    assert r.status_code == 404
    assert b"/dumps/" in r.data


def test_download_over_real_http(build: Path, manifest: dict) -> None:
    """The same through a real socket: full download checks out, Range gives the exact slice."""
    server = make_server("127.0.0.1", 0, create_app({"store": str(build)}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        entry = next(d for d in manifest["dumps"] if d["file"] == "ref-dvhc-legacy.nt.gz")
        with urllib.request.urlopen(f"{base}/dumps/{entry['file']}", timeout=30) as r:
            body = r.read()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        req = urllib.request.Request(f"{base}/dumps/{entry['file']}", headers={"Range": "bytes=-5"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 206 and r.read() == body[-5:]
    finally:
        server.shutdown()
        thread.join(timeout=30)


# --- VoID -----------------------------------------------------------------------------------------

def meta_triples(build: Path) -> set[str]:
    store = Store.read_only(str(build / "store"))
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, GRAPH_META)}


def test_void_is_the_meta_graph_in_turtle_by_default(client, build: Path) -> None:
    r = client.get("/.well-known/void")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    got = {str(t) for t in parse(io.BytesIO(r.data), RdfFormat.TURTLE)}
    assert got == meta_triples(build) and got
    assert "Accept" in r.headers["Vary"]
    assert client.get("/.well-known/void", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_void_by_conneg_and_html(client, build: Path) -> None:
    nt = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert {str(t) for t in parse(io.BytesIO(nt.data), RdfFormat.N_TRIPLES)} == meta_triples(build)
    page = client.get("/.well-known/void", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "Vĩnh Lộc knowledge graph" in page and 'href="/dumps/all.nq.gz"' in page
    assert client.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


# --- health and version ---------------------------------------------------------------------------

def test_health(client, manifest: dict) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    all_graphs = next(d for d in manifest["dumps"] if d["scope"] == "dataset")
    body = r.get_json()
    assert {k: body[k] for k in ("status", "build_id", "triples")} == {
        "status": "ok", "build_id": BUILD_ID, "triples": all_graphs["triples"]}
    assert set(body["query_processes"]) >= {"ready", "busy", "old"}
    assert r.headers["Cache-Control"] == "no-store"


def test_health_is_503_when_the_store_cannot_be_read(tmp_path: Path) -> None:
    build = make_build(tmp_path / "b")
    app = create_app({"store": str(build)})
    shutil.rmtree(build / "current" / "store")  # query processes start on first use, after this
    try:
        r = app.test_client().get("/health")
    finally:
        app.extensions["vlkg"].close()
    assert r.status_code == 503 and r.headers["Retry-After"]
    body = r.get_json()
    assert body["status"] == "unavailable" and "cannot be opened or read" in body["reason"]
    assert str(tmp_path) not in r.get_data(as_text=True)  # no filesystem paths


def test_version(client) -> None:
    body = client.get("/version").get_json()
    assert body["vlkg"] == vlkg.__version__ and body["pyoxigraph"] == pyoxigraph.__version__
    assert body["build_id"] == BUILD_ID and body["build_date"] == CREATED and body["dataset_version"] == "0.1"


# --- a bare store (no manifest, no dumps) ---------------------------------------------------------

@pytest.fixture
def bare_client(tmp_path: Path) -> Iterator:
    store = Store(str(tmp_path / "bare"))
    data = b'<http://example.org/a> <http://example.org/p> "1" .\n'
    data += b'<http://example.org/a> <http://example.org/q> "2" .\n'
    store.load(data, format=RdfFormat.N_TRIPLES)
    store.flush()
    del store
    yield create_app({"store": str(tmp_path / "bare")}).test_client()


def test_bare_store_still_answers(bare_client) -> None:
    assert bare_client.get("/health").get_json()["triples"] == 2
    listing = bare_client.get("/dumps/", headers={"Accept": BROWSER})
    assert listing.status_code == 200 and b"bare store" in listing.data
    assert bare_client.get("/dumps/?format=json").get_json()["dumps"] == []
    void = bare_client.get("/.well-known/void?format=nt").get_data(as_text=True)
    assert "<http://rdfs.org/ns/void#triples> \"2\"^^<http://www.w3.org/2001/XMLSchema#integer>" in void
    assert "<https://vinhloc-kg.example/sparql>" in void  # the configured base IRI, not the Host header
    assert bare_client.get("/version").get_json()["build_date"] is None
