"""The timeline on a unit version's entity page: versions, events, acts and quoted clauses (issue 7, item 6)."""

from __future__ import annotations

import gc
import io
import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse

from vlkg.namespaces import DEF, ID, PREFIXES
from vlkg.server import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
P = PREFIXES


@pytest.fixture(scope="module")
def client(built: Path) -> Iterator[Any]:
    """A test client over the full real build (the session's `built`)."""
    app = create_app({"store": str(built)})
    yield app.test_client()
    app.extensions["vlkg"].close()


def html(client: Any, path: str) -> str:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200, r.data[:500]
    assert r.mimetype == "text/html"
    return r.get_data(as_text=True)


def timeline(page: str) -> str:
    start = page.index('<section class="timeline" id="timeline">')
    return page[start:page.index("</section>", start)]


def entries(page: str) -> dict[str, str]:
    """The timeline's entries by the Vietnamese name of their unit, in page order."""
    out: dict[str, str] = {}
    for chunk in timeline(page).split('<li id="tl-')[1:]:
        name = re.search(r'class="res tl-unit"[^>]*><span lang="vi">([^<]*)</span>', chunk)
        assert name, chunk[:300]
        out[unescape(name.group(1))] = chunk
    return out


def text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_code_15382_timeline_versions_events_acts_and_clause(client, built_store: Store) -> None:
    page = html(client, "/id/au/15382/2019-12-01")
    found = entries(page)
    names = list(found)
    assert names.index("Xã Vĩnh Tân") < names.index("Xã Minh Tân") < names.index("Xã Biện Thượng"), names

    vinh_tan = text(found["Xã Vĩnh Tân"])
    assert "2004-08-31 – 2019-11-30" in vinh_tan and "first recorded" in vinh_tan
    assert "predecessor" in vinh_tan and "same code" in vinh_tan

    minh_tan = found["Xã Minh Tân"]
    assert 'aria-current="page"' in minh_tan and 'class="tl-entry this"' in minh_tan
    assert "2019-12-01 – 2025-06-30" in text(minh_tan) and "first recorded" not in text(minh_tan)
    assert re.search(r'<a class="tl-act" href="/id/doc/act/786-nq-ubtvqh14"[^>]*><span class="tl-act-id">'
                     r"786/NQ-UBTVQH14</span>", minh_tan)
    assert "merger" in text(minh_tan) and "rename" in text(minh_tan)  # kinds, in vi and en
    assert "nhập" in text(minh_tan)

    bien_thuong = found["Xã Biện Thượng"]
    shown = text(bien_thuong)
    assert "2025-07-01 – nay · now" in shown and "current" in shown and "successor" in shown
    assert "1686/NQ-UBTVQH15" in shown and "Clause 63" in shown
    assert 'href="/id/doc/act/1686-nq-ubtvqh15/clause/63"' in bien_thuong
    quote = re.search(r'<blockquote class="quote tl-quote" lang="vi">\s*<p>(.*?)</p>(.*?)</blockquote>',
                      bien_thuong, re.S)
    assert quote, bien_thuong
    exact, footer = unescape(quote.group(1)), quote.group(2)
    assert "Biện Thượng" in exact
    # the offsets are shown and link to the act with the span marked; they are the clause's place in the act
    offsets = re.search(r'href="/id/doc/act/1686-nq-ubtvqh15\?start=(\d+)&amp;end=(\d+)#quote"', footer)
    assert offsets, footer
    start, end = int(offsets.group(1)), int(offsets.group(2))
    assert f"{start}–{end}" in footer
    act_text = next(built_store.quads_for_pattern(NamedNode(ID + "doc/act/1686-nq-ubtvqh15"),
                                                  NamedNode(P["schema"] + "text"), None)).object.value
    assert act_text[start:end] == exact

    # the event shared by an end and a start is shown in full once, the end links to it
    assert "786/NQ-UBTVQH14" not in found["Xã Vĩnh Tân"]
    assert re.search(r'<a href="#tl-\d+">', found["Xã Vĩnh Tân"])


def test_merged_commune_shows_its_successor_as_inferred(client, built_store: Store) -> None:
    found = entries(html(client, "/id/au/15370/2004-08-31"))
    assert "Xã Vĩnh Minh" in found and 'aria-current="page"' in found["Xã Vĩnh Minh"]
    minh_tan = text(found["Xã Minh Tân"])
    assert "successor" in minh_tan and "2019-12-01 – 2025-06-30" in minh_tan
    link = NamedNode(ID + "succession/15370/2004-08-31/15382/2019-12-01")
    rule = next(built_store.quads_for_pattern(link, NamedNode(DEF + "inferenceRule"), None)).object
    rule_en = next(q.object.value for q in built_store.quads_for_pattern(rule, NamedNode(P["skos"] + "prefLabel"), None)
                   if q.object.language == "en")
    assert re.search(r"suy luận · inferred \(.*?" + re.escape(rule_en) + r"\s*\)", minh_tan)
    # a link stated by the register is not called inferred
    assert "inferred" not in text(found["Xã Vĩnh Minh"])


def test_event_seen_between_two_registers_shows_its_window(client, built_store: Store) -> None:
    window, date, unit = None, None, None
    for q in built_store.quads_for_pattern(None, NamedNode(DEF + "windowStart"), None):
        started = next(built_store.quads_for_pattern(None, NamedNode(P["vl"] + "startEvent"), q.subject), None)
        if started is not None:
            window = q.object.value
            date = next(built_store.quads_for_pattern(q.subject, NamedNode(P["dcterms"] + "date"), None)).object.value
            unit = started.subject.value
            break
    assert unit is not None, "the build has an event with kg:windowStart that started a unit version"
    shown = text(timeline(html(client, "/" + unit[len("https://vinhloc-kg.example/"):])))
    assert f"between {window} and {date}" in shown


def test_rdf_is_still_the_subject_triples(client, built_store: Store) -> None:
    iri = ID + "au/15382/2019-12-01"
    expected = {(str(q.subject), str(q.predicate), str(q.object))
                for q in built_store.quads_for_pattern(NamedNode(iri), None, None)}
    for ext, fmt in (("nt", RdfFormat.N_TRIPLES), ("ttl", RdfFormat.TURTLE)):
        r = client.get(f"/id/au/15382/2019-12-01.{ext}")
        assert r.status_code == 200
        got = {(str(t.subject), str(t.predicate), str(t.object)) for t in parse(io.BytesIO(r.data), fmt)}
        assert got == expected


def test_only_unit_versions_have_a_timeline(client) -> None:
    for path in ("/id/doc/act/1686-nq-ubtvqh15", "/id/code/dvhc/15382", "/id/event/2019-12-01/au/15382"):
        assert 'id="timeline"' not in html(client, path)


def test_timeline_page_answers_within_seconds(client) -> None:
    """A generous guard against a regression to a scan (the old quotes query took 90 ms a page; a scan of every
    unit takes seconds). Speed itself is measured by benchmarks, not by tests on this shared machine."""
    html(client, "/id/au/15382/2019-12-01")  # warm
    t0 = time.perf_counter()
    html(client, "/id/au/15382/2019-12-01?n=1")
    assert time.perf_counter() - t0 < 2.0


# --- escaping, on a store of our own -------------------------------------------------------------

EVIL = '<script>alert(1)</script> "&" <b>'


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A bare store with two unit versions, an event, an act and a clause whose texts hold markup."""
    path = tmp_path_factory.mktemp("timeline-escape") / "store"
    store = Store(str(path))
    g = NamedNode("https://vinhloc-kg.example/graph/ref/dvhc-legacy")
    old, new = NamedNode(ID + "au/99999/2004-08-31"), NamedNode(ID + "au/99999/2025-07-01")
    event, act = NamedNode(ID + "event/2025-07-01/au/99999"), NamedNode(ID + "doc/act/evil")
    clause, sr = NamedNode(ID + "doc/act/evil/clause/1"), NamedNode(ID + "doc/act/evil/q/0-10")
    sel = NamedNode(ID + "doc/act/evil/q/0-10/quote")
    n = NamedNode
    triples = [
        (old, n(P["rdf"] + "type"), n(DEF + "AdminUnitVersion")),
        (new, n(P["rdf"] + "type"), n(DEF + "AdminUnitVersion")),
        (old, n(P["rdfs"] + "label"), Literal("Xã " + EVIL, language="vi")),
        (new, n(P["rdfs"] + "label"), Literal("Xã mới " + EVIL, language="vi")),
        (old, n(P["schema"] + "validFrom"), Literal("2004-08-31")),
        (old, n(P["schema"] + "validThrough"), Literal("2025-06-30")),
        (new, n(P["schema"] + "validFrom"), Literal("2025-07-01")),
        (old, n(P["vl"] + "successor"), new), (new, n(P["vl"] + "startEvent"), event),
        (old, n(P["vl"] + "endEvent"), event),
        (event, n(P["dcterms"] + "date"), Literal("2025-07-01")),
        (event, n(DEF + "windowStart"), Literal("2025-01-02" + EVIL)),
        (event, n(DEF + "legalBasis"), act), (event, n(DEF + "legalClause"), clause),
        (act, n(P["rdfs"] + "label"), Literal("Act " + EVIL, language="vi")),
        (act, n(P["dcterms"] + "identifier"), Literal("1/" + EVIL)),
        (clause, n(DEF + "clauseNumber"), Literal("1" + EVIL)), (clause, n(P["dcterms"] + "isPartOf"), act),
        (clause, n(P["prov"] + "wasDerivedFrom"), sr),
        (sr, n(P["rdf"] + "type"), n(P["oa"] + "SpecificResource")), (sr, n(P["oa"] + "hasSource"), act),
        (sr, n(P["oa"] + "hasSelector"), sel), (sel, n(P["oa"] + "exact"), Literal("Clause " + EVIL)),
    ]
    store.extend([Quad(s, p, o, g) for s, p, o in triples])
    store.flush()
    del store
    gc.collect()
    app = create_app({"store": str(path)})
    yield app.test_client()
    app.extensions["vlkg"].close()


def test_timeline_escapes_names_acts_and_quotes(evil_client) -> None:
    page = html(evil_client, "/id/au/99999/2025-07-01")
    section = timeline(page)
    assert "<script>alert(1)" not in page and "<b>" not in section
    assert section.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # names, window, act, clause, quote
    assert "Xã mới " + EVIL in text(section) and "Clause " + EVIL in text(section)
    assert "<script" not in section  # no inline script in the timeline
