"""The query page in a real headless Chromium against a real `vlkg serve`, with the network cut.

Chromium is driven through the DevTools protocol over --remote-debugging-pipe (tests/cdp.py); host
names other than loopback do not resolve, and every request the page makes is recorded and checked.
Servers: a small build made here (examples, truncation, errors), conftest's `live_server` over a bare
store (catalogue falls back to the shipped examples), and the real build of data/ (`built`).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cdp import Browser, Page, chromium_path
from conftest import start_server, stop_server
from test_ui import ensure_vendor
from ui_fixture import CLASS_LABELS, DISTRICTS, make_build

# A developer without chromium may skip these; CI may not (`make test` installs chromium first).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_path() is None and os.environ.get("CI", "").lower() not in ("1", "true"),
                       reason="Debian's chromium is not installed (apt-get install chromium; `make test` "
                       "installs it; with CI=true this fails)"),
]

READY = "document.documentElement.dataset.vlkgReady === 'true'"
ACTIVE = "document.getElementById(vlkgYasgui.getTab().getId())"  # the panel of the tab shown
RUN_BUTTON = f"{ACTIVE}.querySelector('.yasqe_queryButton')"
TABLE_TEXT = f"{ACTIVE}.querySelector('.yasr table.dataTable tbody').innerText"
PROBLEM = f"{ACTIVE}.querySelector('.yasr .vlkg-problem')"
COMMUNES_QUERY = ("PREFIX kg: <https://vinhloc-kg.example/def/>\n"
                  "SELECT ?commune WHERE { ?commune a kg:Commune }")
RUNAWAY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
LABELLED = f"{ACTIVE}.querySelector('.yasr[data-vlkg-labelled=\"true\"] table.dataTable tbody') !== null"
KG_DISTRICT = "https://vinhloc-kg.example/def/District"
PROGRESS = "document.getElementById('vlkg-progress')"


def column_cells(index: int) -> str:
    """JS: the text of column `index` (0 is the row number) of the result table shown."""
    return f"[...{ACTIVE}.querySelectorAll('.yasr table.dataTable tbody tr')].map(tr => tr.cells[{index}].innerText)"


def column_names() -> str:
    return f"[...{ACTIVE}.querySelectorAll('.yasr table.dataTable thead th')].map(th => th.innerText.trim())"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ensure_vendor()
    return make_build(tmp_path_factory.mktemp("browser-build"))


@contextmanager
def serving(store: Path, *args: str) -> Iterator[str]:
    """A real `vlkg serve` (production WSGI server) on a free loopback port; yields its base URL."""
    process, url = start_server(store, "--executors", "2", *args)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def server(build: Path) -> Iterator[str]:
    with serving(build) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    root = tmp_path_factory.mktemp("chromium")
    running = Browser(root / "profile", root / "chromium.log")
    yield running
    running.close()


# Installed before any page script runs: records every Content-Security-Policy violation of the page.
CSP_WATCH = ("window.vlkgCspViolations = [];"
             "document.addEventListener('securitypolicyviolation', e => window.vlkgCspViolations.push("
             "[e.effectiveDirective, e.blockedURI, e.sourceFile, e.lineNumber].join(' ')));")


def open_page(browser: Browser, url: str) -> Page:
    page = browser.new_page()
    page.call("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    page.goto(url)
    page.wait_for(READY, what="the query page to set itself up")
    return page


def assert_stayed_on(page: Page, server: str) -> None:
    """With the network cut, the page still worked and asked nothing of any other host."""
    foreign = [u for u in page.requested_urls() if not u.startswith((server + "/", "data:", "blob:"))]
    assert foreign == [], f"the page contacted other hosts: {foreign}"
    assert page.console_errors() == []
    assert page.evaluate("window.vlkgCspViolations") == [], "the page broke its Content-Security-Policy"


def test_policy_blocks_injected_script_and_the_page_still_works(browser: Browser, server: str) -> None:
    """The query page runs under its Content-Security-Policy, and the policy is really enforced."""
    with urllib.request.urlopen(server + "/") as response:
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in policy
    page = open_page(browser, server + "/?" + urllib.parse.urlencode({"query": COMMUNES_QUERY, "run": "1"}))
    page.wait_for(f"{ACTIVE}.querySelectorAll('.yasr table.dataTable tbody tr').length > 10",
                  what="result rows under the policy")
    assert page.evaluate("window.vlkgCspViolations") == []
    page.evaluate("(() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                  " document.body.append(s); })()")
    violations = page.wait_for("window.vlkgCspViolations.length && window.vlkgCspViolations",
                               what="the blocked inline script")
    assert page.evaluate("window.injected === undefined")
    assert [v.split(" ")[:2] for v in violations] == [["script-src-elem", "inline"]]


def test_example_query_runs_and_shows_rows(browser: Browser, server: str, tmp_path: Path) -> None:
    page = open_page(browser, server + "/")
    assert page.evaluate("document.querySelectorAll('a.example').length") == 2
    page.evaluate("document.querySelector('a.example[data-example=\"01-districts\"]').click()")
    tab_name = page.evaluate("vlkgYasgui.getTab().getName()")
    assert tab_name == "Các huyện và tên tiếng Việt"
    page.evaluate(f"{RUN_BUTTON}.click()")  # the editor's own run button
    page.wait_for(f"{TABLE_TEXT}.includes('Huyện Yên Định')", what="result rows")
    names = page.evaluate(column_cells(2))
    assert names == ["Huyện Thọ Xuân", "Huyện Vĩnh Lộc", "Huyện Yên Định"]  # ORDER BY ?name, shown plainly
    assert page.evaluate(f"{ACTIVE}.querySelector('.yasr tbody span.literal').title") == "@vi"
    assert page.evaluate(f"{ACTIVE}.querySelectorAll('.yasr table.dataTable tbody tr').length") == 3
    assert page.evaluate("document.getElementById('vlkg-notice').hidden")  # nothing to warn about

    # The address bar now carries the query: reloading it brings the same query back.
    location = page.evaluate("location.href")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["query"][0]
    assert "?district a kg:District" in query and query.startswith("PREFIX kg:")

    # YASGUI's share button gives our own short form, not its endpoint-carrying one.
    share = page.evaluate("vlkgYasgui.getTab().getShareableLink()")
    assert share == server + "/?" + urllib.parse.urlencode({"query": query, "run": "1"})

    # Result IRIs in our namespace lead to this server's entity pages, not to the canonical host.
    link = f"{ACTIVE}.querySelector('.yasr table.dataTable tbody a')"
    page.evaluate(f"{link}.dispatchEvent(new MouseEvent('mouseover', {{bubbles: true}}))")
    assert page.evaluate(f"{link}.href") == server + "/id/au/395/2004-08-31"

    # Download links give the full result from /sparql in the chosen format.
    href = page.evaluate("document.querySelector('#vlkg-downloads a[data-format=\"csv\"]').href")
    with urllib.request.urlopen(href) as response:
        rows = list(csv.reader(io.StringIO(response.read().decode("utf-8"))))
    assert rows[0] == ["district", "name"]
    assert sorted(r[1] for r in rows[1:]) == sorted(vi for vi, _ in DISTRICTS.values())

    shot = page.screenshot(Path(os.environ.get("VLKG_SCREENSHOT_DIR", tmp_path)) / "query-page.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_stayed_on(page, server)


def test_bookmarked_query_runs_and_truncation_is_flagged(browser: Browser, server: str) -> None:
    url = server + "/?" + urllib.parse.urlencode({"query": COMMUNES_QUERY, "run": "1"})
    page = open_page(browser, url)
    notice = page.wait_for("!document.getElementById('vlkg-notice').hidden && "
                           "document.getElementById('vlkg-notice').innerText", what="the truncation notice")
    assert "chỉ hiển thị 1000 dòng đầu tiên" in notice
    assert "only the first 1000 rows are shown" in notice
    assert page.evaluate("vlkgYasgui.getTab().getQuery()") == COMMUNES_QUERY
    assert "1000 results" in page.evaluate(f"{ACTIVE}.querySelector('.yasr').innerText")
    assert_stayed_on(page, server)


def test_malformed_query_gets_the_parser_message(browser: Browser, server: str) -> None:
    url = server + "/?" + urllib.parse.urlencode({"query": "SELECT ?x WHERE { ?x ?y }", "run": "1"})
    page = open_page(browser, url)
    text = page.wait_for(f"{PROBLEM} && {PROBLEM}.innerText", what="the error message")
    assert page.evaluate(f"{PROBLEM}.dataset.status") == "400"
    assert "The query is malformed" in text and "Truy vấn không hợp lệ" in text
    # The parser's own position, passed through verbatim (the server's wording: "1:26" or "Line 1, column 26").
    assert "1:26" in text or "Line 1, column 26" in text
    assert "{" not in text.split("\n")[0]  # a sentence, not the raw JSON body
    assert_stayed_on(page, server)


def test_update_is_refused_with_a_reason(browser: Browser, server: str) -> None:
    update = "PREFIX kg: <https://vinhloc-kg.example/def/>\nINSERT DATA { kg:a kg:b kg:c }"
    page = open_page(browser, server + "/?" + urllib.parse.urlencode({"query": update, "run": "1"}))
    text = page.wait_for(f"{PROBLEM} && {PROBLEM}.innerText", what="the refusal")
    assert page.evaluate(f"{PROBLEM}.dataset.status") == "403"
    assert "read-only" in text


def test_timeout_gets_a_plain_message(browser: Browser, build: Path) -> None:
    with serving(build, "--timeout", "2", "--max-timeout", "2") as quick:
        page = open_page(browser, quick + "/?" + urllib.parse.urlencode({"query": RUNAWAY_QUERY, "run": "1"}))
        text = page.wait_for(f"{PROBLEM} && {PROBLEM}.innerText", what="the timeout message")
        assert page.evaluate(f"{PROBLEM}.dataset.status") == "503"
        assert "stopped at the time limit" in text and "giới hạn thời gian" in text
        assert "2 s" in text  # the server's own sentence names the limit that applied
        assert_stayed_on(page, quick)


def test_editor_completes_our_prefixes_without_outside_services(browser: Browser, server: str) -> None:
    page = open_page(browser, server + "/")
    yasqe = "vlkgYasgui.getTab().getYasqe()"
    # Only completers that need no web service are on (LOV's class/property completers are not).
    assert page.evaluate(f"Object.keys({yasqe}.autocompleters).sort()") == ["prefixes", "variables"]
    page.evaluate(f"(() => {{ const y = {yasqe}; y.focus(); y.setValue('PREFIX k'); y.setCursor(0, 8);"
                  " y.autocomplete(); })()")
    hints = page.wait_for("document.querySelector('.CodeMirror-hints') && "
                          "document.querySelector('.CodeMirror-hints').innerText", what="prefix completions")
    assert "kg: <https://vinhloc-kg.example/def/>" in hints
    assert server + "/ui/prefixes.json" in page.requested_urls()
    assert_stayed_on(page, server)


def test_typed_construct_query_offers_rdf_downloads(browser: Browser, server: str) -> None:
    page = open_page(browser, server + "/")
    formats = "[...document.querySelectorAll('#vlkg-downloads a')].map(a => a.dataset.format).join(' ')"
    assert page.evaluate(formats) == "csv csv-excel tsv json xml"
    page.evaluate("(() => { const y = vlkgYasgui.getTab().getYasqe(); y.setValue(''); y.focus(); })()")
    typed = ("PREFIX kg: <https://vinhloc-kg.example/def/>\n"
             "CONSTRUCT { ?d a kg:District } WHERE { ?d a kg:District }")
    page.call("Input.insertText", {"text": typed})  # real keyboard input into the editor
    assert page.wait_for(f"{formats} === 'turtle ntriples jsonld rdfxml'", what="RDF download formats")
    href = page.evaluate("document.querySelector('#vlkg-downloads a[data-format=\"ntriples\"]').href")
    with urllib.request.urlopen(href) as response:
        lines = response.read().decode("utf-8").splitlines()
    assert len(lines) == len(DISTRICTS)
    page.evaluate(f"{RUN_BUTTON}.click()")
    page.wait_for(LABELLED, what="triples in the table, labelled")
    classes = page.evaluate(f"[...{ACTIVE}.querySelectorAll('.yasr tbody a.iri[data-iri=\"{KG_DISTRICT}\"]')]"
                            ".map(a => a.innerText)")
    assert classes == [CLASS_LABELS["District"][0]] * len(DISTRICTS)  # its Vietnamese skos:prefLabel
    assert_stayed_on(page, server)


def test_bare_store_lists_shipped_examples_and_runs_a_query(browser: Browser, live_server: str) -> None:
    """conftest's server over a bare store (no build, no queries folder): the shipped examples are listed."""
    from vlkg.server.catalogue import examples_dir, load_examples

    ensure_vendor()
    shipped = load_examples(examples_dir(None))
    page = open_page(browser, live_server + "/")
    listed = page.evaluate("[...document.querySelectorAll('a.example')].map(a => a.dataset.example)")
    assert listed == [e.id for e in shipped]
    query = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
             "SELECT ?label WHERE { ?unit skos:prefLabel ?label FILTER(lang(?label) = 'vi') }")
    page = open_page(browser, live_server + "/?" + urllib.parse.urlencode({"query": query, "run": "1"}))
    text = page.wait_for(f"{TABLE_TEXT}.includes('Xã Vĩnh Thịnh') && {TABLE_TEXT}", what="result rows")
    assert "Huyện Vĩnh Lộc" in text and "Tỉnh Thanh Hóa" in text
    assert_stayed_on(page, live_server)


def test_real_build_example_runs(browser: Browser, built: Path) -> None:
    """The build of data/: its own example catalogue, and one example run from a click shows its rows."""
    ensure_vendor()
    with serving(built) as url:
        page = open_page(browser, url + "/")
        example = "document.querySelector('a.example[data-example=\"targets-2022\"]')"
        assert page.evaluate(f"{example}.innerText").startswith("Các chỉ tiêu năm 2022 của huyện Vĩnh Lộc")
        page.evaluate(f"{example}.click()")
        page.evaluate(f"{RUN_BUTTON}.click()")
        text = page.wait_for(f"{TABLE_TEXT}.includes('thu nhập bình quân đầu người') && {TABLE_TEXT}",
                             what="rows of the 2022 targets")
        assert "55.9" in text and "triệu đồng" in text
        assert_stayed_on(page, url)


def run_in_page(page: Page, query: str) -> None:
    """Types nothing: sets the editor's text and presses the editor's own run button."""
    page.evaluate(f"vlkgYasgui.getTab().getYasqe().setValue({json.dumps(query)})")
    page.evaluate(f"{RUN_BUTTON}.click()")


def test_slow_query_shows_elapsed_time_and_can_be_cancelled(browser: Browser, build: Path) -> None:
    """A cross product runs for seconds: the page counts the time and the cancel button stops the request."""
    with serving(build, "--timeout", "20", "--max-timeout", "20") as slow:
        page = open_page(browser, slow + "/?" + urllib.parse.urlencode({"query": RUNAWAY_QUERY, "run": "1"}))
        first = page.wait_for(f"!{PROGRESS}.hidden && {PROGRESS}.innerText", what="the running indicator")
        assert "Đang chạy truy vấn" in first and "Running the query" in first
        later = page.wait_for(f"/Running the query… [1-9]\\.\\d s/.test({PROGRESS}.innerText) && {PROGRESS}.innerText",
                              what="the elapsed time passing one second")
        assert later != first
        shots = Path(os.environ.get("VLKG_SCREENSHOT_DIR", build))
        page.screenshot(shots / "running.png")
        started = time.monotonic()
        page.evaluate(f"{PROGRESS}.querySelector('button.cancel').click()")
        text = page.wait_for(f"{PROBLEM} && {PROBLEM}.innerText", what="the cancel result", timeout=10)
        assert time.monotonic() - started < 5  # the request was dropped, not answered at the 20 s limit
        assert page.evaluate(f"{PROBLEM}.dataset.status") == "cancelled"
        assert re.search(r"Query cancelled after [1-9]\.\d s\.", text), text
        assert "Đã huỷ truy vấn sau" in text
        assert page.evaluate(f"{PROGRESS}.hidden")
        assert page.evaluate(f"{ACTIVE}.querySelector('.yasr table.dataTable')") is None
        page.screenshot(shots / "after-cancel.png")
        # The editor is free again: the next query runs and answers, and no timeout turns up for the first.
        run_in_page(page, "SELECT ?n WHERE { VALUES ?n { 1 2 3 } }")
        page.wait_for(f"{TABLE_TEXT}.includes('3')", what="the next query's rows")
        assert page.evaluate(f"{PROBLEM}") is None
        assert_stayed_on(page, slow)


def test_results_show_labels_link_entity_pages_and_plain_literals(browser: Browser, server: str,
                                                                   tmp_path: Path) -> None:
    query = ("PREFIX kg: <https://vinhloc-kg.example/def/>\n"
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "SELECT ?district ?type ?name ?count ?note WHERE {\n"
             "  VALUES ?type { kg:District } ?district a ?type ; rdfs:label ?name FILTER(lang(?name) = 'en')\n"
             "  BIND(42 AS ?count)\n"
             "  BIND(CONCAT(?name, ': ', 'một ghi chú rất dài để kiểm tra việc xuống dòng trong bảng kết quả, "
             "a very long note to check that wide cells wrap instead of being cut off at the column edge; "
             "and more words again so that it cannot fit on one line of the table at this width') AS ?note)\n"
             "} ORDER BY ?name")
    page = open_page(browser, server + "/?" + urllib.parse.urlencode({"query": query, "run": "1"}))
    page.wait_for(LABELLED, what="the result table, labelled")
    assert page.evaluate(column_names()) == ["", "district", "type", "name", "count", "note"]
    # Districts: their Vietnamese label (the English one is there too), the IRI on hover, a link here.
    assert page.evaluate(column_cells(1)) == ["Huyện Thọ Xuân", "Huyện Vĩnh Lộc", "Huyện Yên Định"]
    first = f"{ACTIVE}.querySelector('.yasr tbody tr td:nth-child(2) a.iri')"
    assert page.evaluate(f"{first}.title") == "https://vinhloc-kg.example/id/au/395/2004-08-31"
    assert page.evaluate(f"{first}.href") == server + "/id/au/395/2004-08-31"
    assert page.evaluate(f"{first}.target") == ""  # entity pages open here
    assert page.evaluate(column_cells(2)) == ["Huyện"] * 3  # kg:District's skos:prefLabel@vi
    # Literals plainly: no quotes, no @en, no ^^xsd:integer; language or datatype on hover.
    assert page.evaluate(column_cells(3)) == ["Thọ Xuân district", "Vĩnh Lộc district", "Yên Định district"]
    assert page.evaluate(column_cells(4)) == ["42"] * 3
    literal = f"{ACTIVE}.querySelector('.yasr tbody tr td:nth-child(5) span.literal')"
    assert page.evaluate(f"{literal}.title") == "^^xsd:integer"
    # The entity page the link leads to is served (the label's page, not the canonical host).
    with urllib.request.urlopen(page.evaluate(f"{first}.href")) as response:
        assert response.status == 200 and "Huyện Thọ Xuân" in response.read().decode("utf-8")
    # The wide column wraps: the note cell spans several lines and the table fits its panel.
    note = f"{ACTIVE}.querySelector('.yasr tbody tr td:nth-child(6)')"
    line = page.evaluate(f"parseFloat(getComputedStyle({note}).lineHeight) || 20")
    assert page.evaluate(f"{note}.getBoundingClientRect().height") > 2 * line
    assert page.evaluate(f"{note}.innerText").endswith("at this width")
    assert page.evaluate(f"{ACTIVE}.querySelector('.yasr table.dataTable').scrollWidth <= "
                         f"{ACTIVE}.querySelector('.yasr').clientWidth + 1")
    # The time shown says what it measures.
    chip = page.evaluate(f"{ACTIVE}.querySelector('.yasr_response_chip').innerText")
    # The server's own time (Server-Timing) is shown beside the browser's, or "cache" when it answered.
    assert re.search(r"3 results · \d+\.\d+ s \(measured in the browser, transfer included"
                     r"(; server \d+\.\d+ s)?\)", chip), chip
    assert "3 kết quả" in chip
    page.screenshot(Path(os.environ.get("VLKG_SCREENSHOT_DIR", tmp_path)) / "labels.png")
    assert_stayed_on(page, server)


def test_an_iri_without_label_shows_its_prefixed_name_and_english_is_the_fallback(browser: Browser,
                                                                                  server: str) -> None:
    query = ("PREFIX kg: <https://vinhloc-kg.example/def/>\n"
             "SELECT ?class ?p WHERE { VALUES (?class ?p) { (kg:Commune kg:noLabel) } }")
    page = open_page(browser, server + "/?" + urllib.parse.urlencode({"query": query, "run": "1"}))
    page.wait_for(LABELLED, what="the result table, labelled")
    assert page.evaluate(column_cells(1)) == [CLASS_LABELS["Commune"][1]]  # English only: English
    assert page.evaluate(column_cells(2)) == ["kg:noLabel"]  # no label: the prefixed name, no <…>
    no_label = f"{ACTIVE}.querySelector('.yasr tbody tr td:nth-child(3) a.iri')"
    assert page.evaluate(f"{no_label}.title") == "https://vinhloc-kg.example/def/noLabel"
    assert page.evaluate(f"{no_label}.href") == server + "/def/noLabel"


@pytest.mark.parametrize(("query", "columns"), [
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 3", ["s", "p", "o"]),
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 3", ["s", "p", "o"]),
    ("SELECT ?o ?s ?p WHERE { ?s ?p ?o } LIMIT 3", ["o", "s", "p"]),
    ("SELECT * WHERE { # ?comment <not ?iri>\n ?zeta ?p ?alpha . BIND('?x' AS ?mid) } LIMIT 3",
     ["zeta", "p", "alpha", "mid"]),
])
def test_columns_follow_the_query(browser: Browser, server: str, query: str, columns: list[str]) -> None:
    """Columns in SELECT order; for `SELECT *` in the order the query mentions the variables."""
    page = open_page(browser, server + "/?" + urllib.parse.urlencode({"query": query, "run": "1"}))
    page.wait_for(LABELLED, what="the result table")
    assert page.evaluate(column_names()) == ["", *columns]
    assert_stayed_on(page, server)
