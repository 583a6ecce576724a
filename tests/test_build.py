"""The build: exact registry counts, dumps that reload identically, determinism, atomic failure."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest
from pyoxigraph import Quad, RdfFormat, Store, parse

from vlkg.ingest.build import run_build
from vlkg.ingest.model import BuildError

REPO = Path(__file__).resolve().parent.parent
KG = "https://vinhloc-kg.example/def/"


def count(store, where: str) -> int:
    q = f"PREFIX kg: <{KG}> PREFIX schema: <http://schema.org/> SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)


@pytest.mark.parametrize(("level", "era", "expected"), [
    ("Province", "schema:validThrough", 63),
    ("District", "schema:validThrough", 696),
    ("Commune", "schema:validThrough", 10035),
    ("Province", "schema:validFrom", 34),
    ("Commune", "schema:validFrom", 3321),
])
def test_registry_counts_are_exact(built_store, level, era, expected):
    assert count(built_store, f"?u a kg:{level} ; {era} ?d") == expected


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


def test_nquads_dump_reloads_to_the_same_quads(built, built_store):
    assert _dump_quads(built / "dumps" / "vlkg.nq.gz", RdfFormat.N_QUADS) == set(built_store)


def test_trig_and_jsonld_dumps_match_nquads(built):
    nq = _dump_quads(built / "dumps" / "vlkg.nq.gz", RdfFormat.N_QUADS)
    # blank nodes (SHACL property shapes) are relabelled by each parser: compare the rest exactly, count them
    def ground(qs):
        return {q for q in qs if "_:" not in str(q)}, sum("_:" in str(q) for q in qs)
    assert ground(_dump_quads(built / "dumps" / "vlkg.trig.gz", RdfFormat.TRIG)) == ground(nq)
    assert ground(_dump_quads(built / "dumps" / "vlkg.jsonld.gz", RdfFormat.JSON_LD)) == ground(nq)


def test_dumps_reload_into_rdflib_isomorphic(built, built_store):
    import rdflib
    from rdflib.compare import isomorphic

    ds = rdflib.Dataset()
    with gzip.open(built / "dumps" / "vlkg.nq.gz", "rb") as f:
        ds.parse(data=f.read(), format="nquads")
    ours = {(g.value) for g in built_store.named_graphs()}
    theirs = {str(c.identifier) for c in ds.graphs() if len(c)}
    assert ours == theirs
    for graph_iri in ours:
        expected = rdflib.Graph()
        triples = [f"{q.subject} {q.predicate} {q.object} ." for q in
                   built_store.quads_for_pattern(None, None, None, __import__("pyoxigraph").NamedNode(graph_iri))]
        expected.parse(data="\n".join(triples), format="nt")
        assert isomorphic(expected, ds.graph(rdflib.URIRef(graph_iri))), graph_iri


def test_turtle_union_dump_parses(built, built_store):
    with gzip.open(built / "dumps" / "vlkg-union.ttl.gz", "rb") as f:
        union = {t for t in parse(f.read(), format=RdfFormat.TURTLE) if "_:" not in str(t)}
    stored = {(q.subject, q.predicate, q.object) for q in built_store if "_:" not in str(q)}
    assert {(t.subject, t.predicate, t.object) for t in union} == stored


def test_sha256sums_match_files(built):
    import hashlib

    for line in (built / "dumps" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((built / "dumps" / name).read_bytes()).hexdigest() == digest


def test_two_builds_give_identical_dumps(built, tmp_path):
    second = tmp_path / "again"
    run_build(out=second, data_dir=REPO / "data", progress=False)
    first_files = sorted(p.name for p in (built / "dumps").iterdir())
    assert first_files == sorted(p.name for p in (second / "dumps").iterdir())
    for name in first_files:
        assert (built / "dumps" / name).read_bytes() == (second / "dumps" / name).read_bytes(), name


def _broken_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    return data


def _snapshot(out: Path) -> tuple[str, bytes]:
    return str((out / "current").readlink()), (out / "dumps" / "SHA256SUMS").read_bytes()


def test_wrong_quote_fails_and_keeps_previous_build(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    before = _snapshot(out)
    data = _broken_data(tmp_path)
    facts = next((data / "facts").glob("*.yaml"))
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("start: 2206", "start: 2207", 1), encoding="utf-8")
    with pytest.raises(BuildError, match="2207"):
        run_build(out=out, data_dir=data, progress=False)
    assert _snapshot(out) == before
    assert not [p for p in (out / "releases").iterdir() if p.name.startswith(".staging")]


def test_shape_violation_fails_with_node_and_rule(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built, out, symlinks=True)
    before = _snapshot(out)
    data = _broken_data(tmp_path)
    (data / "links").mkdir(exist_ok=True)
    # a second, conflicting code on a unit version violates the AdminUnitVersion shape
    (data / "links" / "bad.ttl").write_text(
        '<https://vinhloc-kg.example/id/au/15382/base> skos:notation "99999"^^kg:dvhcCode .\n', encoding="utf-8")
    with pytest.raises(BuildError) as err:
        run_build(out=out, data_dir=data, progress=False)
    message = str(err.value)
    assert "https://vinhloc-kg.example/id/au/15382/base" in message
    assert "notation" in message
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
