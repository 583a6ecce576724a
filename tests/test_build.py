"""The build: exact registry counts, dumps that reload identically, determinism, atomic failure."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store, Triple, parse

from vlkg.ingest.build import run_build
from vlkg.ingest.dumps import graph_file_stem
from vlkg.ingest.model import BuildError
from vlkg.namespaces import GRAPH

REPO = Path(__file__).resolve().parent.parent
KG = "https://vinhloc-kg.example/def/"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def count(store, where: str) -> int:
    q = (f"PREFIX kg: <{KG}> PREFIX schema: <http://schema.org/> "
         f"PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")
    return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)


# Every version 2003-2025 has schema:validFrom now: the two registers are the versions open on the last day
# before the reform (validThrough 2025-06-30) and those starting with it (validFrom 2025-07-01); no district
# survives the reform. The totals are all versions of each level from the first register on.
@pytest.mark.parametrize(("level", "era", "expected"), [
    ("Province", 'schema:validThrough "2025-06-30"^^xsd:date', 63),
    ("District", 'schema:validThrough "2025-06-30"^^xsd:date', 696),
    ("Commune", 'schema:validThrough "2025-06-30"^^xsd:date', 10035),
    ("Province", 'schema:validFrom "2025-07-01"^^xsd:date', 34),
    ("District", 'schema:validFrom "2025-07-01"^^xsd:date', 0),
    ("Commune", 'schema:validFrom "2025-07-01"^^xsd:date', 3321),
    ("Province", "schema:validFrom ?d", 162),
    ("District", "schema:validFrom ?d", 1058),
    ("Commune", "schema:validFrom ?d", 16586),
])
def test_registry_counts_are_exact(built_store, level, era, expected):
    assert count(built_store, f"?u a kg:{level} ; {era}") == expected


def test_build_layout(built):
    for name in ("store", "dumps", "current"):
        assert (built / name).is_symlink()
    manifest = (built / "current" / "manifest.json")
    assert manifest.is_file()
    assert (built / "dumps" / "SHA256SUMS").is_file()
    assert sorted(p.name for p in (built / "current" / "queries").glob("*.rq"))


def test_one_named_graph_per_source(built_store):
    graphs = {g.value.removeprefix("https://vinhloc-kg.example/graph/") for g in built_store.named_graphs()}
    assert {"ontology", "meta", "ref/dvhc-legacy", "ref/dvhc-2025", "src/000_e1149b89a4266354"} <= graphs


def _dump_quads(path: Path, fmt: RdfFormat) -> set[Quad]:
    with gzip.open(path, "rb") as f:
        return set(parse(f.read(), format=fmt))


@pytest.fixture(scope="module")
def store_quads(built_store) -> set[Quad]:
    return set(built_store)


@pytest.fixture(scope="module")
def nquads(built) -> set[Quad]:
    return _dump_quads(built / "dumps" / "vlkg.nq.gz", RdfFormat.N_QUADS)


def test_the_build_has_no_blank_nodes(store_quads):
    """The dumps are compared with the store quad by quad (no isomorphism check) because no term is a blank node:
    two parsers give the same quads. A blank node in the build must bring back rdflib.compare.isomorphic."""
    blank = [q for q in store_quads if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)]
    assert store_quads and not blank[:5]


def test_nquads_dump_reloads_to_the_same_quads(nquads, store_quads):
    assert nquads == store_quads


def test_trig_and_jsonld_dumps_match_nquads(built, nquads):
    assert _dump_quads(built / "dumps" / "vlkg.trig.gz", RdfFormat.TRIG) == nquads
    assert _dump_quads(built / "dumps" / "vlkg.jsonld.gz", RdfFormat.JSON_LD) == nquads


def _rdflib_term(term):
    import rdflib

    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=None if term.datatype.value == XSD_STRING else term.datatype.value)


def _same_graph(expected, got) -> bool:
    """Set equality of two rdflib graphs; isomorphism only where blank nodes make it necessary."""
    from rdflib import BNode
    from rdflib.compare import isomorphic

    if any(isinstance(term, BNode) for graph in (expected, got) for t in graph for term in t):
        return isomorphic(expected, got)
    return set(expected) == set(got)


def test_dumps_reload_into_rdflib(built, store_quads):
    """A second, independent parser reads the dumps to the quads the store holds: every small graph whole (its
    N-Triples file), and from the N-Quads dump of everything the lines of each kind (graph, predicate, kind of
    object: IRI, language, datatype) -- parsing all 350k quads in rdflib took a minute and added nothing."""
    import rdflib

    by_graph: dict[str, list] = {}
    for q in store_quads:
        by_graph.setdefault(q.graph_name.value, []).append(q)
    small = [g for g, qs in by_graph.items() if len(qs) < 20_000]
    assert {GRAPH + "ontology", GRAPH + "meta"} <= set(small)
    for graph in small:
        got = rdflib.Graph()
        with gzip.open(built / "dumps" / f"{graph_file_stem(graph)}.nt.gz", "rb") as f:
            got.parse(data=f.read(), format="nt")
        expected = rdflib.Graph()
        for q in by_graph[graph]:
            expected.add(tuple(_rdflib_term(t) for t in (q.subject, q.predicate, q.object)))
        assert _same_graph(expected, got), graph

    with gzip.open(built / "dumps" / "vlkg.nq.gz", "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.splitlines()
    sample: dict[tuple, list[tuple[str, Quad]]] = {}
    for line, q in zip(lines, parse(text, format=RdfFormat.N_QUADS), strict=True):
        o = q.object
        kind = "iri" if isinstance(o, NamedNode) else "@" + o.language if o.language else o.datatype.value
        kept = sample.setdefault((q.graph_name.value, q.predicate.value, kind), [])
        if len(kept) < 3:
            kept.append((line, q))
    picked = [pair for kept in sample.values() for pair in kept]
    assert len(picked) > 300 and {g for g, _, _ in sample} == set(by_graph)
    assert {q for _, q in picked} <= store_quads
    ds = rdflib.Dataset()
    ds.parse(data="\n".join(line for line, _ in picked), format="nquads")
    got = {(s, p, o, str(g)) for s, p, o, g in ds.quads() if g is not None}
    expected = {(*(_rdflib_term(t) for t in (q.subject, q.predicate, q.object)), q.graph_name.value)
                for _, q in picked}
    assert got == expected


def test_turtle_union_dump_parses(built, store_quads):
    with gzip.open(built / "dumps" / "vlkg-union.ttl.gz", "rb") as f:
        union = {q.triple for q in parse(f.read(), format=RdfFormat.TURTLE)}
    assert union == {q.triple for q in store_quads}


def test_sha256sums_match_files(built):
    import hashlib

    for line in (built / "dumps" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((built / "dumps" / name).read_bytes()).hexdigest() == digest


# A second build in another process (another PYTHONHASHSEED, so set and dict orders differ: an in-process rebuild
# could not see that): every ingest step over the whole data/ and the meta graph, each graph rendered as its dump
# files exactly as the build writes them (ingest/dumps.py: render_graph_dumps, whose bytes write_dumps writes). The
# per-graph files hold every triple of the build; the whole-dataset and union dumps are the same sorted graphs
# serialised together. Writing the store and the big dumps again took half a minute and checked nothing more.
SECOND_BUILD = """
import sys
from pathlib import Path
from vlkg.ingest.build import Progress, _meta_graph, check_no_duplicate_graphs, collect_graphs
from vlkg.ingest.dumps import plan_dumps, render_graph_dumps
from vlkg.ingest.meta import load_dataset_config
from vlkg.namespaces import GRAPH_META

data = Path(sys.argv[1])
cfg = load_dataset_config(data)
graphs = collect_graphs(data, Progress(False))
check_no_duplicate_graphs(graphs)
content = {g.graph: g.triples for g in graphs}
rendered = render_graph_dumps(content)
meta = _meta_graph(cfg, graphs, plan_dumps([*content, GRAPH_META]), content, rendered)
rendered.update(render_graph_dumps({meta.graph: meta.triples}))
for file, dump in sorted(rendered.items()):
    print(file, dump.sha256)
"""


def test_a_second_build_gives_identical_dump_bytes(built):
    import hashlib
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": str(int(os.environ.get("PYTHONHASHSEED") or 0) + 7919)}
    done = subprocess.run([sys.executable, "-c", SECOND_BUILD, str(REPO / "data")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    second = dict(line.split() for line in done.stdout.splitlines())
    first = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (built / "dumps").glob("graph-*.gz")}
    assert len(first) >= 12 and second == first


def _broken_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    return data


def _previous_build(built: Path, out: Path) -> None:
    """`out` holds a finished build: the session's, hard-linked (no bytes copied; a failed build must not write)."""
    shutil.copytree(built, out, symlinks=True, copy_function=os.link)


def _snapshot(out: Path) -> tuple[str, bytes]:
    return str((out / "current").readlink()), (out / "dumps" / "SHA256SUMS").read_bytes()


def test_shape_violation_fails_with_node_and_rule(built, tmp_path):
    """A build that fails (here at SHACL, after every ingest step) names the node and the rule, and leaves the
    previous build as it was. A wrong quote offset fails earlier, at the article: tests/test_articles.py."""
    out = tmp_path / "out"
    _previous_build(built, out)
    before = _snapshot(out)
    data = _broken_data(tmp_path)
    # Latitude and longitude swapped in the registry's points: Huyện Vĩnh Lộc at 105.65 N violates the
    # AdminUnitVersion shape (latitude 6..24). (data/links/*.ttl, which could add any triple, are CSV files of
    # SKOS mapping links now, checked by ingest/links.py before SHACL runs.)
    points = data / "registry" / "points.csv"
    row = "393,2025-06-30,20.063973,105.652983,,\n"
    text = points.read_text(encoding="utf-8")
    assert text.count(row) == 1
    points.write_text(text.replace(row, "393,2025-06-30,105.652983,20.063973,,\n"), encoding="utf-8")
    with pytest.raises(BuildError) as err:
        run_build(out=out, data_dir=data, progress=False)
    message = str(err.value)
    assert "https://vinhloc-kg.example/id/au/393/2004-08-31" in message
    assert "geo:lat" in message and "between 6 and 24" in message
    assert _snapshot(out) == before


def test_cli_build_failure_message(tmp_path):
    from click.testing import CliRunner

    from vlkg.cli import main

    data = _broken_data(tmp_path)
    (data / "dataset.yaml").unlink()
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "o"), "--data", str(data), "--quiet"])
    assert result.exit_code == 1
    assert "dataset.yaml is missing" in result.output


def test_store_opens_and_is_complete(built):
    store = Store.read_only(str((built / "store").resolve()))
    assert len(store) > 200_000


def test_entity_fixture_writes_a_manifest_shaped_like_the_real_one(built, tmp_path):
    """tests/entity_fixture.py stands in for a build in the server tests: same layout, same manifest keys and
    value types (top level, per graph, per dump file) as the build writes."""
    from entity_fixture import make_build

    from vlkg.layout import Layout

    def shape(m: dict) -> tuple:
        return ({k: type(v).__name__ for k, v in m.items()},
                {k: type(v).__name__ for g in m["graphs"].values() for k, v in g.items()},
                {k: type(v).__name__ for d in m["dumps"] for k, v in d.items() if v is not None})

    fixture = Layout(make_build(tmp_path))
    assert fixture.is_build() and Layout(built).is_build()
    assert shape(fixture.manifest()) == shape(Layout(built).manifest())
    for name in ("store", "dumps", "current"):
        assert (tmp_path / name).is_symlink() and (tmp_path / name).resolve().is_dir()
    listed = {d["file"]: d for d in fixture.manifest()["dumps"]}
    assert sorted(listed) == sorted(p.name for p in fixture.dumps.glob("*.gz"))


def test_a_dump_rendered_ahead_is_written_only_for_the_graph_it_was_rendered_from(tmp_path):
    """graph/meta gives the size and SHA-256 of per-graph dumps rendered before the store is written; write_dumps
    reuses those bytes, and stops the build if the store's graph is not what was rendered."""
    from pyoxigraph import Literal, NamedNode

    from vlkg.ingest.dumps import render_graph_dumps, write_dumps
    from vlkg.ingest.model import BuildError
    from vlkg.namespaces import GRAPH, XSD

    g = NamedNode(GRAPH + "src/x")
    s, p = NamedNode("https://vinhloc-kg.example/id/x"), NamedNode("https://vinhloc-kg.example/def/p")
    graph = {g: [Triple(s, p, Literal("8.0", datatype=XSD.decimal))]}
    rendered = render_graph_dumps(graph)
    assert next(r.triples for r in rendered.values())[0].object.value == "8"  # as the store keeps it
    stored = {g: [Triple(s, p, Literal("8", datatype=XSD.decimal))]}
    written = {d.file: d for d in write_dumps(stored, tmp_path / "ok", rendered=rendered)}
    for file, r in rendered.items():
        assert (tmp_path / "ok" / file).read_bytes() == r.blob and written[file].sha256 == r.sha256
    other = {g: [Triple(s, p, Literal("9", datatype=XSD.decimal))]}
    with pytest.raises(BuildError, match="rendered ahead"):
        write_dumps(other, tmp_path / "bad", rendered=rendered)
