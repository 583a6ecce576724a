"""`vlkg build`: sources -> named graphs -> SHACL -> store and dumps, written aside and swapped in atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph
from pyoxigraph import NamedNode, Quad, Store, Triple

from vlkg import __version__
from vlkg.ingest.datacube import check_datacube
from vlkg.ingest.dumps import Rendered, plan_dumps, render_graph_dumps, store_literals, write_dumps
from vlkg.ingest.meta import build_meta, load_dataset_config
from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.ingest.rebase import check_base_iri, rebase_graphs
from vlkg.layout import UNIT_INDEX, Layout
from vlkg.namespaces import BASE, GRAPH_META, GRAPH_ONTOLOGY, ID
from vlkg.units import Registry

T = TypeVar("T")
KEEP_RELEASES = 3  # a running server may still read an older release; keep a few


class Progress:
    """Step-by-step progress on stderr, with the time each step took."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()

    def step(self, label: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        if self.enabled:
            print(f"  {label} …", end="", file=sys.stderr, flush=True)
        result = fn()
        if self.enabled:
            print(f" {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        return result

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def collect(data_dir: Path, progress: Progress) -> tuple[list[GraphBuild], Registry]:
    """Run every ingest step: ontology, the registry 2003 to today, every article, curated links; return the graphs
    and the unit registry (written beside the store as the index that search and reconciliation load)."""
    from vlkg.ingest.articles import build_articles
    from vlkg.ingest.links import build_links
    from vlkg.ingest.ontology import build_ontology
    from vlkg.ingest.registry import build_registry

    ontology = progress.step("ontology", build_ontology)
    registry = progress.step("registry (data/registry: 2003 to today)", lambda: build_registry(data_dir))
    articles = progress.step("articles", lambda: build_articles(data_dir, registry.registry))
    links = progress.step("links", lambda: build_links(data_dir, [ontology, registry.legacy, registry.new, *articles]))
    return [ontology, registry.legacy, registry.new, *articles, *links], registry.registry


def collect_graphs(data_dir: Path, progress: Progress) -> list[GraphBuild]:
    """The graphs of `collect` alone."""
    return collect(data_dir, progress)[0]


def write_unit_index(registry: Registry, path: Path) -> None:
    """units.json.gz: every unit version and link, for search and reconciliation (IRIs relative to id/)."""
    registry.write(path, ID)


def check_no_duplicate_graphs(graphs: list[GraphBuild]) -> None:
    seen: set[str] = set()
    for g in graphs:
        if g.graph.value in seen:
            raise BuildError(f"two sources write the same named graph {g.graph.value}")
        seen.add(g.graph.value)


def run_build(out: Path, data_dir: Path, progress: bool = True, base_iri: str = BASE) -> dict[str, Any]:
    """Build everything into a fresh release under `out` and switch `out/current` to it; return the manifest.

    Every IRI of our namespace is published under `base_iri` (ingest/rebase.py); SHACL judges the graphs
    under the canonical base, before they are rebased. A failure at any step leaves the previous release,
    `out/store` and `out/dumps` untouched.
    """
    try:
        check_base_iri(base_iri)
    except ValueError as exc:
        raise BuildError(f"--base-iri: {exc}") from None
    p = Progress(progress)
    if progress:
        print(f"vlkg build → {out}" + ("" if base_iri == BASE else f" (base IRI {base_iri})"), file=sys.stderr)
    cfg = p.step("dataset description", lambda: load_dataset_config(data_dir))
    graphs, registry = collect(data_dir, p)
    check_no_duplicate_graphs(graphs)
    content = {g.graph: g.triples for g in graphs}
    p.step("SHACL validation", lambda: _validate(graphs))
    p.step("Data Cube integrity constraints", lambda: check_datacube(graphs))  # ingest/datacube.py

    plan = plan_dumps([*content, GRAPH_META])
    rendered = p.step("per-graph dumps", lambda: render_graph_dumps(content, base_iri))  # sizes, SHA-256 for meta
    meta = _meta_graph(cfg, graphs, plan, content, rendered)
    if base_iri != BASE:
        graphs = p.step(f"rebase to {base_iri}", lambda: rebase_graphs([*graphs, meta], base_iri))
        *graphs, meta = graphs
    all_graphs = {**{g.graph: g.triples for g in graphs}, meta.graph: meta.triples}

    out.mkdir(parents=True, exist_ok=True)
    layout = Layout(out)
    layout.releases.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=layout.releases))
    try:
        stored = p.step("store", lambda: _write_store(all_graphs, staging / "store"))
        dumps = p.step("dumps", lambda: write_dumps(stored, staging / "dumps", base_iri, rendered))
        _copy_queries(staging / "queries", base_iri)
        write_unit_index(registry, staging / UNIT_INDEX)
        manifest = _manifest(cfg, [*graphs, meta], dumps, p.elapsed, base_iri)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        release = layout.releases / f"{manifest['built_at'].replace(':', '')}-{manifest['build_id'][:12]}"
        staging.rename(release)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _switch(out, release)
    _prune(layout, keep=release)
    if progress:
        _print_summary(manifest, [*graphs, meta], p.elapsed)
    return manifest


def _validate(graphs: list[GraphBuild]) -> None:
    from vlkg.ingest.shacl import validate_triples

    data = [t for g in graphs if g.graph != GRAPH_ONTOLOGY for t in g.triples]
    ontology = [t for g in graphs if g.graph == GRAPH_ONTOLOGY for t in g.triples]
    conforms, report, _ = validate_triples(data, ontology)
    if not conforms:
        raise BuildError("the data violates the SHACL shapes in ontology/shapes.ttl.\n" + report)


def _meta_graph(cfg: dict[str, Any], graphs: list[GraphBuild], plan, content: dict,
                rendered: dict[str, Rendered] | None = None) -> GraphBuild:
    """The meta graph counts itself. Its size does not depend on the numbers it holds, so a first version with
    placeholder counts gives the size that the real counts need."""
    per_graph = sum(len(set(ts)) for ts in content.values())
    union = set().union(*(set(ts) for ts in content.values()))
    sizing = set(build_meta(cfg, graphs, plan, 0, 0, rendered).triples)
    return build_meta(cfg, graphs, plan, per_graph + len(sizing), len(union | sizing), rendered)


def _write_store(graphs: dict[NamedNode, list[Triple]], path: Path) -> dict[NamedNode, list[Triple]]:
    """Load the store; return its triples by graph as the store holds them (literals in canonical form, e.g.
    "8.0"^^xsd:decimal becomes "8"), so that the dumps hold exactly what the store serves. The canonical forms
    come from a round trip of the distinct typed literals through an in-memory store (dumps.store_literals):
    reading 640,000 quads back from RocksDB took 5 s; tests/test_build.py compares the dumps with the store."""
    store = Store(str(path))
    store.bulk_extend(Quad(t.subject, t.predicate, t.object, g) for g, ts in graphs.items() for t in ts)
    store.flush()
    store.optimize()
    del store  # closes RocksDB before the directory is renamed
    canonical = store_literals([t for ts in graphs.values() for t in ts])
    return {g: [Triple(t.subject, t.predicate, canonical.get(t.object, t.object)) for t in dict.fromkeys(ts)]
            for g, ts in graphs.items()}


def _copy_queries(dest: Path, base_iri: str = BASE) -> None:
    """The example catalogue travels with the build, so the server shows the queries that match its data
    (their IRIs and PREFIX lines under the build's base IRI)."""
    dest.mkdir()
    folder = Path(str(resources.files("vlkg.queries")))
    for rq in sorted(folder.glob("*.rq")):
        if base_iri == BASE:
            shutil.copyfile(rq, dest / rq.name)
        else:
            text = rq.read_text(encoding="utf-8").replace(BASE, base_iri)
            (dest / rq.name).write_text(text, encoding="utf-8", newline="")


def _manifest(cfg: dict[str, Any], graphs: list[GraphBuild], dumps, elapsed: float,
              base_iri: str = BASE) -> dict[str, Any]:
    build_id = hashlib.sha256("".join(d.sha256 for d in dumps).encode()).hexdigest()[:32]
    return {
        "build_id": build_id,
        "base_iri": base_iri,
        "dataset_version": str(cfg["version"]),
        "issued": str(cfg["issued"]),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "build_seconds": round(elapsed, 2),
        "vlkg_version": __version__,
        "pyoxigraph_version": pyoxigraph.__version__,
        "graphs": {g.graph.value: {"triples": len(set(g.triples)), "title_en": g.title_en, "title_vi": g.title_vi,
                                   "source": g.source, "stats": g.stats, "warnings": g.warnings}
                   for g in sorted(graphs, key=lambda g: g.graph.value)},
        "dumps": [d.to_json() for d in dumps],
    }


def _switch(out: Path, release: Path) -> None:
    """Point out/current at the new release with one atomic rename; out/store and out/dumps follow it."""
    tmp_link = out / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("releases") / release.name)
    os.replace(tmp_link, out / "current")
    for name in ("store", "dumps"):
        link = out / name
        if link.is_symlink() and os.readlink(link) == f"current/{name}":
            continue
        if link.exists() and not link.is_symlink():
            raise BuildError(f"{link} exists and is not a link made by `vlkg build`; move it away and build again.")
        link.unlink(missing_ok=True)
        link.symlink_to(Path("current") / name)


def _prune(layout: Layout, keep: Path) -> None:
    releases = sorted((r for r in layout.releases.iterdir() if r.is_dir() and not r.name.startswith(".")),
                      key=lambda r: r.name)
    for old in releases[:-KEEP_RELEASES]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def _print_summary(manifest: dict[str, Any], graphs: list[GraphBuild], elapsed: float) -> None:
    err = sys.stderr
    print("\nTriples per named graph:", file=err)
    for iri, info in manifest["graphs"].items():
        print(f"  {info['triples']:>9,}  {iri}", file=err)
    total = next(d["triples"] for d in manifest["dumps"] if d["scope"] == "dataset")
    print(f"  {total:>9,}  (all graphs)", file=err)
    size = sum(d["bytes"] for d in manifest["dumps"])
    print(f"\nDumps: {len(manifest['dumps'])} files, {size / 1e6:.1f} MB gzipped", file=err)
    warnings = [(g.graph.value, w) for g in graphs for w in g.warnings]
    if warnings:
        print(f"\nWarnings ({len(warnings)}):", file=err)
        for graph, w in warnings:
            print(f"  [{graph.rsplit('/', 1)[-1]}] {w}", file=err)
    print(f"\nBuild {manifest['build_id'][:12]} done in {elapsed:.1f} s.", file=err)
