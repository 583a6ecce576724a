"""Linksets (issue 9, item 4): data/links/*.csv -> one void:Linkset graph per file (ingest/links.py).

The graphs are built from data/ and from temporary files with one error each; a wrong file stops the build with
the file, the line and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Store

from vlkg.ingest.links import build_links
from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.ingest.ontology import build_ontology
from vlkg.namespaces import GRAPH, ID, OWL, RDF, SKOS, VOID, XSD

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SDG = "http://metadata.un.org/sdg/"
DCT = "http://purl.org/dc/terms/"
LINKSET = NamedNode(ID + "dataset/vlkg/graph/links/sdg-indicators")
UNIT_A = NamedNode(ID + "au/15382/2019-12-01")
UNIT_B = NamedNode(ID + "au/15382/2025-07-01")

HEADER = """# title@en: test links
# title@vi: liên kết thử
# source: https://example.org/source
# method: by hand
# creator: id:org/vlkg-team
# licence: https://creativecommons.org/licenses/by/4.0/
# date: 2026-12-01
# subjects-target: id:dataset/vlkg
# objects-target: id:dataset/ext/test
subject,predicate,object,note
"""
GOOD_ROW = "id:indicator/poverty-rate,skos:closeMatch,sdg:C010202,households not people\n"


@pytest.fixture(scope="module")
def known() -> list[GraphBuild]:
    """The ontology (indicators) and two unit versions, standing in for the registry graphs."""
    units = GraphBuild(NamedNode(GRAPH + "ref/test"), "t", "t", "test")
    for unit in (UNIT_A, UNIT_B):
        units.add(unit, RDF.type, NamedNode(ID.replace("/id/", "/def/") + "AdminUnitVersion"))
    return [build_ontology(), units]


@pytest.fixture(scope="module")
def sdg(known) -> GraphBuild:
    graphs = build_links(DATA, known)
    by_name = {g.graph.value: g for g in graphs}
    return by_name[GRAPH + "links/sdg-indicators"]


def _objects(g: GraphBuild, s: NamedNode, p: NamedNode) -> set:
    return {t.object for t in g.triples if t.subject == s and t.predicate == p}


def test_every_link_file_becomes_its_own_graph(known):
    files = sorted(p.stem for p in (DATA / "links").glob("*.csv"))
    graphs = build_links(DATA, known)
    assert [g.graph.value for g in graphs] == [GRAPH + "links/" + f for f in files]
    assert "sdg-indicators" in files
    assert not list((DATA / "links").glob("*.ttl"))


def test_sdg_linkset_is_described_in_void(sdg):
    assert _objects(sdg, LINKSET, RDF.type) >= {VOID.Linkset}
    assert _objects(sdg, LINKSET, VOID.subjectsTarget) == {NamedNode(ID + "dataset/vlkg")}
    assert _objects(sdg, LINKSET, VOID.objectsTarget) == {NamedNode(ID + "dataset/ext/un-sdg-kos")}
    assert _objects(sdg, LINKSET, VOID.linkPredicate) == {SKOS.closeMatch, SKOS.relatedMatch}
    assert _objects(sdg, LINKSET, VOID.triples) == {Literal("7", datatype=XSD.integer)}
    assert _objects(sdg, LINKSET, NamedNode(DCT + "license")) == {
        NamedNode("https://creativecommons.org/licenses/by/4.0/")}
    assert _objects(sdg, LINKSET, NamedNode(DCT + "creator")) == {NamedNode(ID + "org/vlkg-team")}
    assert NamedNode("https://unstats.un.org/sdgs/metadata/") in _objects(sdg, LINKSET, NamedNode(DCT + "source"))
    assert {o.value for o in _objects(sdg, LINKSET, NamedNode(DCT + "created"))} == {"2026-12-02"}
    assert {o.language for o in _objects(sdg, LINKSET, NamedNode(DCT + "title"))} == {"vi", "en"}
    # One sub-linkset per predicate, with its own count (VoID: one link predicate per linkset).
    subsets = _objects(sdg, LINKSET, VOID.subset)
    counts = {next(iter(_objects(sdg, s, VOID.linkPredicate))): next(iter(_objects(sdg, s, VOID.triples))).value
              for s in subsets}
    assert counts == {SKOS.closeMatch: "2", SKOS.relatedMatch: "5"}
    target = NamedNode(ID + "dataset/ext/un-sdg-kos")
    assert {o.value for o in _objects(sdg, target, VOID.uriSpace)} == {SDG}


def test_sdg_links_are_honest(sdg):
    links = {(t.subject.value.removeprefix(ID), t.predicate, t.object.value.removeprefix(SDG)) for t in sdg.triples
             if t.predicate in (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, SKOS.broadMatch,
                                SKOS.narrowMatch)}
    assert links == {
        ("indicator/poverty-rate", SKOS.closeMatch, "C010202"),
        ("indicator/poverty-rate", SKOS.closeMatch, "C010201"),
        ("indicator/poverty-rate-reduction", SKOS.relatedMatch, "1.2"),
        ("indicator/income-per-capita", SKOS.relatedMatch, "C100101"),
        ("indicator/trained-labour-rate", SKOS.relatedMatch, "4.4"),
        ("indicator/underweight-under5-rate", SKOS.relatedMatch, "2.2"),
        ("indicator/health-insurance-coverage", SKOS.relatedMatch, "3.8"),
    }
    assert not any(t.predicate in (OWL.sameAs, SKOS.exactMatch) for t in sdg.triples)


def test_every_link_has_a_note_in_english_and_vietnamese(sdg):
    statements = [t.subject for t in sdg.triples if t.predicate == RDF.type and t.object == RDF.Statement]
    assert len(statements) == 7
    for st in statements:
        assert {o.language for o in _objects(sdg, st, SKOS.note)} == {"en", "vi"}
        s, p, o = (next(iter(_objects(sdg, st, x))) for x in (RDF.subject, RDF.predicate, RDF.object))
        assert any(t.subject == s and t.predicate == p and t.object == o for t in sdg.triples)
    assert sdg.stats == {"links": 7, "skos:closeMatch": 2, "skos:relatedMatch": 5}


def test_every_link_file_states_source_method_licence():
    for path in (DATA / "links").glob("*.csv"):
        head = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        keys = {line[1:].split(":", 1)[0].strip() for line in head}
        assert {"source", "method", "licence", "creator", "date"} <= keys, path.name
    readme = (DATA / "links" / "README.md").read_text(encoding="utf-8")
    for path in (DATA / "links").glob("*.csv"):
        assert f"`{path.name}`" in readme


def test_code_list_says_which_list_and_editions():
    """ontology/links.ttl: kg:dvhc-codes names its source documents, its editions and how to read a code."""
    g = build_ontology()
    scheme = NamedNode(ID.replace("/id/", "/def/") + "dvhc-codes")
    edition = NamedNode(ID.replace("/id/", "/def/") + "codeListEdition")
    assert {o.value for o in _objects(g, scheme, edition)} == {"2004-08-31", "2025-07-01"}
    assert NamedNode(ID + "doc/gso-dvhc-register") in _objects(g, scheme, NamedNode(DCT + "source"))
    notes = _objects(g, scheme, SKOS.scopeNote)
    assert {n.language for n in notes} == {"vi", "en"}
    assert any("124/2004/QĐ-TTg" in n.value and "2019-04-01" in n.value for n in notes)
    assert {o.language for o in _objects(g, edition, NamedNode("http://www.w3.org/2000/01/rdf-schema#label"))} == {
        "vi", "en"}


# --- a wrong file stops the build: file, line, what -------------------------------------------------------------


def _build(tmp_path: Path, text: str, known, name: str = "bad.csv") -> list[GraphBuild]:
    folder = tmp_path / "links"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return build_links(tmp_path, known)


def test_a_good_temporary_file_builds(tmp_path, known):
    [g] = _build(tmp_path, HEADER + GOOD_ROW, known, "good.csv")
    assert g.graph.value == GRAPH + "links/good"
    assert g.stats == {"links": 1, "skos:closeMatch": 1}
    assert VOID.subset not in {t.predicate for t in g.triples}  # one predicate: no sub-linksets


def test_note_vi_may_be_left_off_a_row(tmp_path, known):
    text = HEADER.replace("object,note", "object,note,note_vi") + GOOD_ROW
    text += "id:indicator/poverty-rate,skos:closeMatch,sdg:C010201,households,hộ\n"
    [g] = _build(tmp_path, text, known, "two.csv")
    assert g.stats["links"] == 2
    assert len([t for t in g.triples if t.predicate == SKOS.note]) == 3


@pytest.mark.parametrize(("text", "line", "words"), [
    (HEADER + "id:indicator/poverty-rate,skos:closeMatch,sdg:C010202\n", 11, "3 fields, expected 4"),
    (HEADER + "id:indicator/poverty-rate,skos:closeMatch,sdg:C010202,a,b\n", 11, "5 fields"),
    (HEADER + "id:indicator/poverty-rate,skos:closeMatch,sdg:C010202,\n", 11, "'note' is empty"),
    (HEADER + GOOD_ROW + "id:indicator/poverty-rat,skos:closeMatch,sdg:C010202,typo\n", 12,
     "unknown local IRI id:indicator/poverty-rat"),
    (HEADER + "id:au/15382/2019-12-32,skos:closeMatch,sdg:C010202,no such version\n", 11, "unknown local IRI"),
    (HEADER + "id:indicator/poverty-rate,owl:sameAs,sdg:C010202,same\n", 11, "owl:sameAs is not allowed"),
    (HEADER + "id:au/15382/2019-12-01,owl:sameAs,id:au/15382/2025-07-01,same place\n", 11,
     "owl:sameAs is not allowed"),
    (HEADER + "id:au/15382/2019-12-01,skos:exactMatch,id:au/15382/2025-07-01,same code\n", 11,
     "skos:exactMatch between two unit versions"),
    (HEADER + "id:indicator/poverty-rate,rdfs:seeAlso,sdg:C010202,see\n", 11, "not a SKOS mapping property"),
    (HEADER + "id:indicator/poverty-rate,skos:closeMatch,foo:C010202,prefix\n", 11, "unknown prefix 'foo'"),
    (HEADER + "id:indicator/poverty-rate,skos:closeMatch,<not an iri>,spaces\n", 11, "is not an IRI"),
    (HEADER + GOOD_ROW + GOOD_ROW, 12, "the same link is already on line 11"),
    (HEADER.replace("subject,predicate,object,note", "subject,object,note"), 10, "column names"),
    (HEADER.replace("# licence: https://creativecommons.org/licenses/by/4.0/\n", "") + GOOD_ROW, 9, "lack licence"),
    (HEADER.replace("# method: by hand\n", "# method:\n") + GOOD_ROW, 4, "'method' has no value"),
    (HEADER.replace("# date: 2026-12-01", "# date: 1 Dec 2026") + GOOD_ROW, 7, "is not a date"),
    (HEADER.replace("# date: 2026-12-01", "# date: 2026-12-01\n# colour: blue") + GOOD_ROW, 8,
     "unknown header key 'colour'"),
    ("# just a comment without key\n" + HEADER + GOOD_ROW, 1, "must be '# key: value'"),
    (HEADER, 10, "no links"),
])
def test_a_wrong_file_stops_the_build_with_file_line_and_reason(tmp_path, known, text, line, words):
    with pytest.raises(BuildError) as err:
        _build(tmp_path, text, known)
    message = str(err.value)
    assert message.startswith(f"data/links/bad.csv:{line}: "), message
    assert words in message, message


def test_a_turtle_link_file_is_refused(tmp_path, known):
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "old.ttl").write_text("", encoding="utf-8")
    with pytest.raises(BuildError, match=r"data/links/old\.ttl: link files are CSV"):
        build_links(tmp_path, known)


def test_no_link_folder_no_graphs(tmp_path, known):
    assert build_links(tmp_path, known) == []


# --- the real build -----------------------------------------------------------------------------------------------


def test_built_store_holds_the_linkset_graph(built_store: Store):
    graph = NamedNode(GRAPH + "links/sdg-indicators")
    quads = list(built_store.quads_for_pattern(None, None, None, graph))
    assert len(quads) > 7
    ask = (f"ASK {{ GRAPH <{graph.value}> {{ <{ID}indicator/poverty-rate> <{SKOS.closeMatch.value}> <{SDG}C010202> }}"
           f" GRAPH <{GRAPH}meta> {{ <{ID}dataset/vlkg> <{VOID.subset.value}> <{LINKSET.value}> }} }}")
    assert built_store.query(ask)
    # No owl:sameAs anywhere in the build.
    assert not built_store.query(f"ASK {{ GRAPH ?g {{ ?s <{OWL.sameAs.value}> ?o }} }}")
