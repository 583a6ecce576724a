"""`vlkg serve` for real: the production WSGI server over HTTP, the timeout, real clients, the CLI, settings."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from vlkg.server.settings import SETTINGS, resolve_settings, settings_markdown

ROOT = Path(__file__).resolve().parents[1]
LABELS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?u ?label WHERE { ?u skos:prefLabel ?label FILTER(lang(?label) = 'vi') } ORDER BY ?u"
)
# Six-way cross product of the fixture (42^6 rows) under COUNT: runs for hours and never yields a row.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n1 ?o . ?p ?q ?r }"


def http(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """(status, headers (case-insensitive), body) of one request; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def sparql_get(base: str, query: str, **params: str) -> tuple[int, Any, bytes]:
    return http(base + "/sparql?" + urllib.parse.urlencode({"query": query, **params}),
                headers={"Accept": "application/sparql-results+json"})


def query_processes(store: Path) -> set[int]:
    """PIDs of the query processes serving `store` (found in /proc: the test owns that store path)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"vlkg.server.query_process" in cmdline and str(store).encode() in cmdline:
            pids.add(int(entry.name))
    return pids


# --- the real server --------------------------------------------------------------------------------------


def test_live_server_answers_over_http(live_server: str) -> None:
    status, headers, body = sparql_get(live_server, LABELS)
    assert status == 200
    assert headers["Content-Type"] == "application/sparql-results+json"
    labels = [b["label"]["value"] for b in json.loads(body)["results"]["bindings"]]
    assert "Xã Biện Thượng" in labels
    status, _h, body = http(live_server + "/sparql", headers={"Accept": "text/turtle"})
    # Named from the configured base IRI, never from the Host header (the description is cached publicly).
    assert status == 200 and b"sd:endpoint <https://vinhloc-kg.example/sparql>" in body


def test_runaway_query_is_stopped_while_others_are_answered(live_server: str, live_store: Path) -> None:
    before = query_processes(live_store)
    assert len(before) == 2
    runaway: dict[str, Any] = {}
    started = threading.Event()

    def run_runaway() -> None:
        started.set()
        runaway["result"] = sparql_get(live_server, RUNAWAY, timeout="4")
        runaway["others_done_first"] = others_done.is_set()

    others_done = threading.Event()
    thread = threading.Thread(target=run_runaway)
    thread.start()
    started.wait()
    answers = [sparql_get(live_server, f"ASK {{ ?s ?p ?o }} # client two, request {i}")[0] for i in range(3)]
    others_done.set()
    thread.join()

    assert answers == [200, 200, 200]
    assert runaway["others_done_first"], "the second client had to wait for the runaway query"
    status, _headers, body = runaway["result"]
    assert status == 503
    assert "stopped after 4 s" in body.decode()
    # The process running the runaway query was killed (SIGKILL, reaped in the background) and replaced.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = query_processes(live_store)
        gone = [pid for pid in before if not _alive(pid)]
        if gone and len(after) >= 2:
            break
        time.sleep(0.1)
    assert gone, f"no query process was stopped: before {before}, after {after}"
    assert len(after) >= 2
    assert sparql_get(live_server, "ASK { ?s ?p ?o }")[0] == 200


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (killed, not yet reaped) or a vanished process is not."""
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return False


def test_update_over_http_changes_nothing(live_server: str) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = json.loads(sparql_get(live_server, count)[2])
    for body, content_type in [
        (b"update=" + urllib.parse.quote("DROP ALL").encode(), "application/x-www-form-urlencoded"),
        (b"LOAD <file:///etc/hosts>", "application/sparql-update"),
        (b"INSERT DATA { <http://e/s> <http://e/p> 1 }", "application/sparql-query"),
    ]:
        status, _h, text = http(live_server + "/sparql", data=body, headers={"Content-Type": content_type})
        assert status == 403 and b"read-only" in text
    assert json.loads(sparql_get(live_server, count)[2]) == before


def test_sparqlwrapper_runs_queries_unchanged(live_server: str) -> None:
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    client = SPARQLWrapper(live_server + "/sparql")
    client.setQuery(LABELS)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert "Xã Minh Tân" in {r["label"]["value"] for r in rows}
    client.setMethod(POST)
    assert client.query().convert()["results"]["bindings"] == rows
    client.setQuery("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                    "CONSTRUCT { ?u skos:prefLabel ?l } WHERE { ?u skos:prefLabel ?l }")
    client.setReturnFormat("xml")  # SPARQLWrapper's default for CONSTRUCT: RDF/XML into an rdflib Graph
    graph = client.query().convert()
    assert len(graph) == 9


def test_rdflib_sparqlstore_runs_queries(live_server: str) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(live_server + "/sparql"))
    labels = {str(row.label) for row in graph.query(LABELS)}
    assert {"Xã Minh Tân", "Tỉnh Thanh Hóa"} <= labels
    assert bool(graph.query("ASK { ?s ?p ?o }").askAnswer) is True


def test_gunicorn_and_settings_reach_the_workers(serve_factory: Any, fixture_store: Path) -> None:
    url = serve_factory(fixture_store, "--server", "gunicorn", "--executors", "1", env={"VLKG_MAX_ROW_LIMIT": "2"})
    status, headers, body = sparql_get(url, LABELS, **{"row-limit": "50"})
    assert status == 200
    assert headers["Vlkg-Row-Limit"] == "2" and headers["Vlkg-Truncated"] == "true"
    assert len(json.loads(body)["results"]["bindings"]) == 2


# --- the command line -------------------------------------------------------------------------------------


def test_granian_starts_without_a_warning(fixture_store: Path, tmp_path: Path) -> None:
    """The default 32 request threads are intended (most wait on a query process); granian warns about any WSGI
    server with more than 2 x cores + 1 threads, and only that warning is filtered out (server/http_server.py)."""
    from conftest import start_server, stop_server

    with (tmp_path / "serve.log").open("w+b") as log:
        proc, _url = start_server(fixture_store, log=log)
        stop_server(proc)
        log.seek(0)
        text = log.read().decode(errors="replace")
    assert "Starting granian" in text and "Listening at" in text, text
    assert "WARNING" not in text and "Python threads" not in text, text


def test_serve_help_lists_every_setting() -> None:
    from vlkg.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for setting in SETTINGS:
        assert setting.flag in result.output and setting.env in result.output


def test_serve_get_answers_in_process(fixture_store: Path) -> None:
    from vlkg.cli import main

    result = CliRunner().invoke(main, ["serve", "--store", str(fixture_store), "--get", "/sparql?query=ASK%7B%7D"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["boolean"] is True


def test_serve_refuses_a_missing_store(tmp_path: Path) -> None:
    from vlkg.cli import main

    result = CliRunner().invoke(main, ["serve", "--store", str(tmp_path / "nothing")])
    assert result.exit_code != 0
    assert "No pyoxigraph store" in result.output and "vlkg build" in result.output


def test_cli_start_does_not_import_the_server_stack() -> None:
    code = "import sys, vlkg.cli; print(sorted(m for m in ('flask', 'pyoxigraph', 'granian') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


# --- settings ---------------------------------------------------------------------------------------------


def test_settings_precedence_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLKG_TIMEOUT", "12.5")
    monkeypatch.setenv("VLKG_SERVICE_ALLOW", "http://a.example/sparql, http://b.example/sparql")
    resolved = resolve_settings({"port": "9000"})
    assert resolved["timeout"] == 12.5 and resolved["port"] == 9000
    assert resolved["service_allow"] == ("http://a.example/sparql", "http://b.example/sparql")
    assert resolve_settings({"timeout": 3})["timeout"] == 3
    with pytest.raises(ValueError, match="port"):
        resolve_settings({"port": "eighty"})
    with pytest.raises(ValueError, match="Unknown setting"):
        resolve_settings({"colour": "blue"})


def test_settings_table_is_in_the_readme() -> None:
    """The README shows exactly the declared settings (regenerate the block with `settings_markdown()`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n", readme.index("<!-- settings:start")) + 1
    block = readme[start:readme.index("<!-- settings:end -->")]
    assert block == settings_markdown(), f"README.md's settings table is stale; replace it with:\n{settings_markdown()}"
    assert all(s.flag in block and s.env in block for s in SETTINGS)
