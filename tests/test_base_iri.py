"""`vlkg build --base-iri`: the real graph built for another base IRI, and served under it.

One full build under NEW (the session fixture `rebased`, made in the background); everything else reads it.
"""

from __future__ import annotations

import gzip
import json
import os
import urllib.parse
from pathlib import Path

import pytest
from build_fixture import REBASED_IRI
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, Triple

from vlkg.cli import main
from vlkg.ingest.model import BuildError
from vlkg.ingest.rebase import Rebaser, check_base_iri
from vlkg.namespaces import BASE, PREFIXES, prefixes_for

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
NEW = REBASED_IRI  # the session fixture `rebased` (build_fixture.py) is the real build under it
OLD = BASE
OLD_HOST = b"vinhloc-kg.example"


@pytest.fixture(scope="module")
def rebased_store(rebased: tuple[Path, dict]):
    store = Store.read_only(str((rebased[0] / "store").resolve()))
    yield store
    del store


# ---- the store, the dumps, the manifest ----

def test_no_term_of_the_store_is_under_the_old_base(rebased_store) -> None:
    """The store as N-Quads text (every IRI, datatype and literal, a regex's escaped dot included) never names the
    old host; reading it as text in Rust takes a second, term by term in Python seven."""
    text = rebased_store.dump(format=RdfFormat.N_QUADS)
    for needle in (OLD_HOST, b"vinhloc-kg\\\\.example"):  # the host, and as a regex escapes it
        at = text.find(needle)
        assert at < 0, text[text.rfind(b"\n", 0, at) + 1:text.find(b"\n", at)].decode()
    assert text.count(f"<{NEW}".encode()) > 1_000_000  # subjects, graphs, predicates and objects under NEW


def test_no_dump_mentions_the_old_base(rebased: tuple[Path, dict]) -> None:
    out, manifest = rebased
    files = sorted((out / "dumps").glob("*.gz"))
    assert len(files) == len(manifest["dumps"]) >= 15
    for f in files:
        data = gzip.decompress(f.read_bytes())
        assert OLD_HOST not in data, f.name
    dataset = gzip.decompress((out / "dumps" / "vlkg.nq.gz").read_bytes())
    assert f"<{NEW}id/au/15382/2019-12-01>".encode() in dataset
    turtle = gzip.decompress((out / "dumps" / "graph-ref-dvhc-2025.ttl.gz").read_bytes())
    assert f"@prefix kg: <{NEW}def/> .".encode() in turtle  # the dumps' prefixes follow the base too


def test_manifest_records_the_base_and_its_graphs_follow(rebased: tuple[Path, dict]) -> None:
    from vlkg.ingest.dumps import graph_file_stem

    out, manifest = rebased
    assert manifest["base_iri"] == NEW
    assert all(g.startswith(NEW + "graph/") for g in manifest["graphs"])
    assert NEW + "graph/ref/dvhc-2025" in manifest["graphs"]
    graph_dumps = [d for d in manifest["dumps"] if d["scope"] == "graph"]
    assert all(d["graph"].startswith(NEW + "graph/") for d in graph_dumps)
    # file names do not depend on the base: the same names as a build under the default base
    assert {d["file"] for d in graph_dumps} >= {"graph-ref-dvhc-2025.nt.gz", "graph-meta.ttl.gz"}
    assert graph_file_stem(OLD + "graph/src/x") == graph_file_stem(NEW + "graph/src/x", NEW) == "graph-src-x"
    queries = sorted((out / "current" / "queries").glob("*.rq"))
    assert queries and not any(OLD in q.read_text(encoding="utf-8") for q in queries)


def test_code_15382_versions_exist_under_the_new_base(rebased_store, rebased: tuple[Path, dict]) -> None:
    base = NamedNode(NEW + "id/au/15382/2019-12-01")
    merged = NamedNode(NEW + "id/au/15382/2025-07-01")
    for version in (base, merged):
        assert next(rebased_store.quads_for_pattern(version, None, None), None) is not None, version
        assert next(rebased_store.quads_for_pattern(NamedNode(OLD + version.value[len(NEW):]), None, None),
                    None) is None
    # the example query, rebased with the build, finds the code through its datatype <NEW def/dvhcCode>
    query = (rebased[0] / "current" / "queries" / "code-history.rq").read_text(encoding="utf-8")
    units = {row["unit"].value for row in rebased_store.query(query, use_default_graph_as_union=True)}
    assert {base.value, merged.value} <= units


def test_the_rebased_graphs_conform_to_the_rebased_shapes(rebased_store) -> None:
    """SHACL ran before rebasing; the rebased data meets the rebased shapes (sh:pattern on indicator IRIs
    included), and the rebased pattern still rejects an IRI outside it."""
    from vlkg.ingest.shacl import shapes_triples
    from vlkg.ingest.shacl_core import Validator

    meta, ontology_graph = NamedNode(NEW + "graph/meta"), NamedNode(NEW + "graph/ontology")
    data, ontology = [], []
    for q in rebased_store:  # as the build validates: every graph but the meta graph (written after SHACL)
        if q.graph_name == meta:
            continue
        (ontology if q.graph_name == ontology_graph else data).append(Triple(q.subject, q.predicate, q.object))
    validator = Validator(Rebaser(NEW).triples(shapes_triples()))
    assert [v for v in validator.validate(data, ontology) if v.severity == "Violation"] == []

    indicator = NamedNode(NEW + "def/indicator")
    observation = next(t for t in data if t.predicate == indicator).subject  # one observation is enough here
    broken = [t for t in data if t.subject == observation and t.predicate != indicator]
    broken.append(Triple(observation, indicator, NamedNode(OLD + "id/indicator/x")))
    found = [v for v in validator.validate(broken, ontology) if v.severity == "Violation"]
    assert any(v.path == indicator.value and "Pattern" in v.component for v in found), found


# ---- serving the build ----

def test_served_under_the_builds_base_iri(rebased: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    from vlkg.server import create_app

    monkeypatch.delenv("VLKG_BASE_IRI", raising=False)
    app = create_app({"store": str(rebased[0])})
    try:
        assert app.config["VLKG"]["base_iri"] == NEW  # from the manifest, no --base-iri given
        client = app.test_client()
        page = client.get("/id/au/15382/2019-12-01")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert f"{NEW}id/au/15382/2019-12-01" in html and "Minh Tân" in html
        assert OLD not in html
        versions = html[html.index('id="versions"'):]  # the code's versions, found through <NEW def/code>
        versions = versions[:versions.index("</section>")]
        assert all(f'href="/id/au/15382/{day}"' in versions for day in ("2004-08-31", "2019-12-01", "2025-07-01"))
        turtle = client.get("/id/au/15382/2019-12-01.ttl")
        assert turtle.status_code == 200
        text = turtle.get_data(as_text=True)
        assert f"<{NEW}id/au/15382/2019-12-01>" in text or f"<{NEW}id/>" in text
        assert OLD not in text
        # the predefined prefixes kg: and id: follow the served base
        query = "SELECT ?p ?n WHERE { BIND(kg:code AS ?p) BIND(id:x AS ?n) }"
        answer = client.get("/sparql?format=csv&query=" + urllib.parse.quote(query))
        assert answer.status_code == 200
        assert answer.get_data(as_text=True).splitlines()[1] == f"{NEW}def/code,{NEW}id/x"
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?v kg:denotedVersion ?x }"
        rows = client.get("/sparql?format=csv&query=" + urllib.parse.quote(count)).get_data(as_text=True)
        assert int(rows.splitlines()[1]) > 0
        # the published JSON-LD context, and the documents that inline it, name kg: at the served base
        context = client.get("/context.jsonld").get_json()["@context"]
        assert (context["kg"], context["id"]) == (NEW + "def/", NEW + "id/")
        doc = client.get("/id/au/15382/2019-12-01.jsonld").get_json()
        assert doc["@context"]["kg"] == NEW + "def/" and "kg:level" in json.dumps(doc)
        assert "@prefix kg: <" + NEW + "def/> ." in text
        assert OLD not in client.get("/.well-known/void").get_data(as_text=True)
        # the entity page groups our terms as it does under the default base: kg:level under hierarchy
        hierarchy = html[html.index('<section class="facts" id="hierarchy">'):]
        assert "kg:level" in hierarchy[:hierarchy.index("</section>")]
    finally:
        app.extensions["vlkg"].close()


def test_serve_warns_when_the_base_iri_is_not_the_builds(rebased: tuple[Path, dict],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VLKG_BASE_IRI", raising=False)
    result = CliRunner().invoke(main, ["serve", "--store", str(rebased[0]), "--base-iri", OLD,
                                       "--get", "/id/au/15382/2019-12-01"])
    assert result.exit_code == 1  # the entity is not under the base asked for: 404
    assert f"serving with base IRI {OLD}" in result.stderr
    assert f"was made for {NEW}" in result.stderr
    result = CliRunner().invoke(main, ["serve", "--store", str(rebased[0]), "--get", "/id/au/15382/2019-12-01"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert f"{NEW}id/au/15382/2019-12-01" in result.stdout


# ---- the option, the pieces ----

@pytest.mark.parametrize(("iri", "message"), [
    ("ftp://data.example.org/", "is not an absolute http(s) IRI"),
    ("data.example.org/vlkg/", "is not an absolute http(s) IRI"),
    ("https://data.example.org/vlkg", "must end with \"/\""),
    ("https://data.example.org/a b/", "cannot hold"),
    ("https://data.example.org/?x=1/", "cannot hold"),
])
def test_a_bad_base_iri_is_refused_with_a_message(iri: str, message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--quiet", "--out", str(tmp_path / "b"), "--base-iri", iri])
    assert result.exit_code == 2
    assert "Invalid value for '--base-iri'" in result.output and message in result.output
    assert not (tmp_path / "b").exists()
    from vlkg.ingest.build import run_build

    with pytest.raises(BuildError, match="--base-iri"):
        run_build(out=tmp_path / "b", data_dir=DATA, progress=False, base_iri=iri)


def test_good_base_iris_pass() -> None:
    for iri in (NEW, "http://localhost:8000/", "https://example.org/", OLD):
        assert check_base_iri(iri) == iri


def test_rebaser_maps_iris_datatypes_and_mentions_only() -> None:
    r = Rebaser(NEW)
    assert r.term(NamedNode(OLD + "id/au/1/base")) == NamedNode(NEW + "id/au/1/base")
    assert r.term(NamedNode("http://schema.org/name")) == NamedNode("http://schema.org/name")
    assert r.term(NamedNode("http://other.example/vinhloc-kg.example/")) == \
        NamedNode("http://other.example/vinhloc-kg.example/")
    assert r.term(Literal("1", datatype=NamedNode(OLD + "def/dvhcCode"))) == \
        Literal("1", datatype=NamedNode(NEW + "def/dvhcCode"))
    assert r.term(Literal(f"dump ({OLD}graph/meta)", language="en")) == \
        Literal(f"dump ({NEW}graph/meta)", language="en")
    assert r.term(Literal("^https://vinhloc-kg\\.example/id/indicator/[a-z]+$")) == \
        Literal("^https://data\\.example\\.org/vlkg/id/indicator/[a-z]+$")
    assert r.term(Literal("Vĩnh Lộc", language="vi")) == Literal("Vĩnh Lộc", language="vi")


def test_predefined_prefixes_follow_the_base() -> None:
    from vlkg.server.settings import default, resolve_settings
    from vlkg.server.sparql_help import PREDEFINED, predefined_for

    assert default("base_iri") == BASE  # the setting's default is the namespaces' base (backend relies on it)
    assert resolve_settings({})["base_iri"] == BASE or "VLKG_BASE_IRI" in os.environ
    assert prefixes_for(BASE) is PREFIXES and predefined_for(None) is PREDEFINED
    new = predefined_for(NEW)
    assert new["kg"] == NEW + "def/" and new["id"] == NEW + "id/"
    assert {p: i for p, i in new.items() if p not in ("kg", "id")} == \
        {p: i for p, i in PREFIXES.items() if p not in ("kg", "id")}
    assert list(new) == list(PREFIXES)


def test_entity_page_shows_the_code_history_under_the_new_base(rebased: tuple[Path, dict],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from vlkg.server import create_app

    monkeypatch.delenv("VLKG_BASE_IRI", raising=False)
    app = create_app({"store": str(rebased[0])})
    try:
        html = app.test_client().get("/id/au/15382/2019-12-01").get_data(as_text=True)
        assert "Every version with the same code" in html and "Xã Biện Thượng" in html
    finally:
        app.extensions["vlkg"].close()


def test_void_and_ui_follow_the_new_base(rebased: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """The dataset description is the build's meta graph (not the minimal fallback), and the UI's prefixes
    and the service description's predefined kg: follow the served base."""
    from vlkg.server import create_app

    monkeypatch.delenv("VLKG_BASE_IRI", raising=False)
    app = create_app({"store": str(rebased[0])})
    base = rebased[1]["base_iri"]
    try:
        client = app.test_client()
        void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).get_data(as_text=True)
        assert "dcat:distribution" in void or "distribution" in void
        assert "vinhloc-kg.example" not in void
        assert client.get("/ui/prefixes.json").get_json()["kg"] == base + "def/"
        sd = client.get("/sparql", headers={"Accept": "text/turtle"}).get_data(as_text=True)
        assert f"{base}def/" in sd
    finally:
        app.extensions["vlkg"].close()
