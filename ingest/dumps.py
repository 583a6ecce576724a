"""Deterministic, gzip-compressed dumps: same quads in, byte-identical files out."""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, Triple, serialize

from vlkg.ingest.model import BuildError
from vlkg.ingest.rebase import Rebaser
from vlkg.namespaces import BASE, GRAPH, PREFIXES, prefixes_for

DUMP_NAME = "vlkg"
# scope -> formats. "dataset": all graphs, graph names kept; "union": all graphs merged into one;
# "graph": one file per named graph.
FORMATS: dict[str, tuple[tuple[RdfFormat, str], ...]] = {
    "dataset": ((RdfFormat.N_QUADS, "nq"), (RdfFormat.TRIG, "trig"), (RdfFormat.JSON_LD, "jsonld")),
    "union": ((RdfFormat.TURTLE, "ttl"), (RdfFormat.N_TRIPLES, "nt")),
    "graph": ((RdfFormat.TURTLE, "ttl"), (RdfFormat.N_TRIPLES, "nt")),
}


@dataclass(frozen=True)
class PlannedDump:
    """A dump file to write: known before writing, so the dataset description can list it."""

    file: str
    format: str
    media_type: str
    scope: str
    graph: str | None  # the named graph for scope "graph", else None


@dataclass(frozen=True)
class DumpFile(PlannedDump):
    """A written dump, as listed in the manifest, SHA256SUMS and /dumps/."""

    triples: int
    bytes: int
    sha256: str

    def to_json(self) -> dict:
        return asdict(self)


def graph_file_stem(graph: NamedNode | str, base: str = BASE) -> str:
    """'https://…/graph/ref/dvhc-2025' -> 'graph-ref-dvhc-2025' (the same name under any base IRI)."""
    value = graph.value if isinstance(graph, NamedNode) else graph
    return "graph-" + value.removeprefix(base + GRAPH[len(BASE):]).replace("/", "-")


def plan_dumps(graphs: list[NamedNode], base: str = BASE) -> list[PlannedDump]:
    """Every dump file a build writes for these graphs (named under `base`), in a stable order."""
    plan = [PlannedDump(f"{DUMP_NAME}.{ext}.gz", fmt.name, fmt.media_type, "dataset", None)
            for fmt, ext in FORMATS["dataset"]]
    plan += [PlannedDump(f"{DUMP_NAME}-union.{ext}.gz", fmt.name, fmt.media_type, "union", None)
             for fmt, ext in FORMATS["union"]]
    for g in sorted(graphs, key=lambda g: g.value):
        plan += [PlannedDump(f"{graph_file_stem(g, base)}.{ext}.gz", fmt.name, fmt.media_type, "graph", g.value)
                 for fmt, ext in FORMATS["graph"]]
    return plan


def sorted_triples(triples) -> list[Triple]:
    """Distinct triples in N-Triples text order."""
    return sorted(set(triples), key=str)


def _gzip(data: bytes) -> bytes:
    # mtime=0 and no file name in the header: the gzip bytes then depend on the content only.
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return buffer.getvalue()


def _write_gz(path: Path, data: bytes) -> tuple[int, str]:
    blob = _gzip(data)
    path.write_bytes(blob)
    return len(blob), hashlib.sha256(blob).hexdigest()


def store_literals(triples: list[Triple]) -> dict[Literal, Literal]:
    """Each typed literal as the store will keep it ("8.0"^^xsd:decimal -> "8"), found by a round trip through
    an in-memory store: the dumps serialise what the store holds, so a digest computed ahead must use it too."""
    plain = {PREFIXES["xsd"] + "string", PREFIXES["rdf"] + "langString"}
    typed = sorted({t.object for t in triples
                    if isinstance(t.object, Literal) and t.object.datatype.value not in plain}, key=str)
    store, p = Store(), NamedNode("urn:vlkg:literal")
    store.bulk_extend(Quad(NamedNode(f"urn:vlkg:literal:{i}"), p, lit, DefaultGraph()) for i, lit in enumerate(typed))
    stored = {int(q.subject.value.rsplit(":", 1)[1]): q.object for q in store}
    return {lit: stored[i] for i, lit in enumerate(typed) if stored[i] != lit}


@dataclass(frozen=True)
class Rendered:
    """A per-graph dump rendered ahead of the store, so that graph/meta can give its size and SHA-256; `write_dumps`
    writes these very bytes when the store's graph holds exactly `triples`."""

    triples: list[Triple]  # the graph as the store will hold it, in dump order
    blob: bytes  # the gzipped file

    @property
    def size(self) -> int:
        return len(self.blob)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.blob).hexdigest()


def render_graph_dumps(graphs: dict[NamedNode, list[Triple]], base: str = BASE) -> dict[str, Rendered]:
    """file -> the per-graph dumps of `graphs` (named under the canonical base), exactly as `write_dumps` writes them
    for a build under `base`: IRIs rebased, literals as the store keeps them.

    The dataset description (graph/meta) gives size and SHA-256 for every per-graph dump but its own: a file cannot
    hold its own checksum, so the dumps that contain graph/meta (the whole-dataset and union dumps, graph-meta.*) are
    only in SHA256SUMS (ingest/meta.py)."""
    rebase = Rebaser(base).triples if base != BASE else list
    prefixes = prefixes_for(base)
    formats = dict(FORMATS["graph"])
    out: dict[str, Rendered] = {}
    for g in sorted(graphs, key=lambda g: g.value):
        triples = rebase(list(graphs[g]))
        canonical = store_literals(triples)
        if canonical:
            triples = [Triple(t.subject, t.predicate, canonical.get(t.object, t.object)) for t in triples]
        data = sorted_triples(triples)
        for fmt, ext in formats.items():
            blob = _gzip(serialize(data, format=fmt, prefixes=prefixes))
            out[f"{graph_file_stem(g)}.{ext}.gz"] = Rendered(data, blob)
    return out


def write_dumps(graphs: dict[NamedNode, list[Triple]], out: Path, base: str = BASE,
                rendered: Mapping[str, Rendered] | None = None) -> list[DumpFile]:
    """Write every planned dump of `graphs` (named under `base`) into `out`, plus SHA256SUMS; return what was
    written. A per-graph dump in `rendered` (whose size and SHA-256 graph/meta gives) is written as rendered, not
    serialised a second time; if the store's graph differs from what was rendered, graph/meta would describe
    another file, and the build stops."""
    prefixes = prefixes_for(base)
    out.mkdir(parents=True, exist_ok=True)
    # Each triple's N-Triples text once: sorting the graphs and then the union by str() took 7 s.
    text = {t: str(t) for ts in graphs.values() for t in ts}
    by_graph = {g.value: sorted(set(ts), key=text.__getitem__) for g, ts in graphs.items()}
    quads = [Quad(t.subject, t.predicate, t.object, NamedNode(g)) for g in sorted(by_graph) for t in by_graph[g]]
    union = sorted(text, key=text.__getitem__)
    formats = {fmt.name: fmt for scoped in FORMATS.values() for fmt, _ in scoped}
    written: list[DumpFile] = []
    for plan in plan_dumps(list(graphs), base):
        data = quads if plan.scope == "dataset" else union if plan.scope == "union" else by_graph[plan.graph]
        ahead = (rendered or {}).get(plan.file)
        if ahead is not None and ahead.triples != data:
            raise BuildError(f"{plan.file}: the graph rendered ahead for graph/meta's checksum is not the graph the "
                             "store holds (a literal the store writes otherwise?); this is a bug in ingest/dumps.py")
        blob = ahead.blob if ahead is not None else _gzip(serialize(data, format=formats[plan.format],
                                                                    prefixes=prefixes))
        (out / plan.file).write_bytes(blob)
        written.append(DumpFile(**asdict(plan), triples=len(data), bytes=len(blob),
                                sha256=hashlib.sha256(blob).hexdigest()))
    (out / "SHA256SUMS").write_text("".join(f"{d.sha256}  {d.file}\n" for d in written), encoding="utf-8")
    return written
