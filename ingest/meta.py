"""The `graph/meta` named graph: VoID + DCAT description of the dataset, its graphs and its dump files.

Checksums: a dump that contains this graph cannot state its own size or SHA-256 (writing them would change the
file). So every per-graph dump of the *other* graphs carries `dcat:byteSize` (xsd:decimal, the range DCAT 2 gives:
the store would turn xsd:nonNegativeInteger into xsd:integer) and an `spdx:checksum` (an IRI node
`…/dump/{file}/sha256`, SHA-256), of the files `dumps.render_graph_dumps` renders ahead and `write_dumps` writes
as rendered. The dumps that contain graph/meta (the whole-dataset and union dumps, graph-meta.*) say so in an
rdfs:comment and point to `dumps/SHA256SUMS`, which lists every dump's SHA-256 and is written after all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pyoxigraph import NamedNode

from vlkg.ingest.dumps import PlannedDump, Rendered
from vlkg.ingest.model import BuildError, GraphBuild, date_lit, lit
from vlkg.namespaces import (
    BASE,
    DCAT,
    DCTERMS,
    FOAF,
    GRAPH_META,
    ID,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SD,
    VOID,
    XSD,
    Namespace,
)

SPDX = Namespace("http://spdx.org/rdf/terms#")

DATASET = NamedNode(ID + "dataset/vlkg")
GZIP = NamedNode("http://www.iana.org/assignments/media-types/application/gzip")
VOCABULARIES = ("org", "skos", "prov", "oa", "qb", "schema", "vl", "geo", "dcterms", "odrl", "foaf")


def load_dataset_config(data_dir: Path) -> dict[str, Any]:
    """Read data/dataset.yaml (title, version, issued date, licence, sources)."""
    path = data_dir / "dataset.yaml"
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BuildError(f"{path} is missing: it gives the dataset's title, version, issued date and licence.") from exc
    for key in ("version", "issued", "title", "license"):
        if key not in cfg:
            raise BuildError(f"{path}: the key '{key}' is missing.")
    return cfg


def build_meta(cfg: dict[str, Any], graph_builds: list[GraphBuild], dumps: list[PlannedDump],
               dataset_triples: int, union_triples: int, rendered: Mapping[str, Rendered] | None = None) -> GraphBuild:
    """Describe the dataset, each named graph (a VoID subset) and each dump (a DCAT distribution)."""
    gb = GraphBuild(GRAPH_META, "Dataset description (VoID, DCAT)", "Mô tả bộ dữ liệu (VoID, DCAT)",
                    "data/dataset.yaml and the build")
    issued = date_lit(str(cfg["issued"]))
    gb.add_all(DATASET, [
        (RDF.type, VOID.Dataset), (RDF.type, DCAT.Dataset),
        (DCTERMS.title, lit(cfg["title"]["vi"], "vi")), (DCTERMS.title, lit(cfg["title"]["en"], "en")),
        (RDFS.label, lit(cfg["title"]["vi"], "vi")), (RDFS.label, lit(cfg["title"]["en"], "en")),
        (DCTERMS.description, lit(cfg["description"]["vi"].strip(), "vi")),
        (DCTERMS.description, lit(cfg["description"]["en"].strip(), "en")),
        (DCTERMS.license, NamedNode(cfg["license"])), (DCTERMS.issued, issued), (DCTERMS.created, issued),
        (DCAT.version, lit(str(cfg["version"]))),
        (VOID.uriSpace, lit(ID)), (VOID.triples, lit(dataset_triples)),
        (VOID.sparqlEndpoint, NamedNode(BASE + "sparql")),
        (VOID.exampleResource, NamedNode(ID + "au/15382/2019-12-01")),
        (VOID.exampleResource, NamedNode(ID + "au/15382/2025-07-01")),
    ])
    publisher = NamedNode(ID + "org/vlkg-team")
    gb.add_all(DATASET, [(DCTERMS.publisher, publisher)])
    gb.add_all(publisher, [(RDF.type, FOAF.Organization), (RDFS.label, lit(cfg["publisher"]["vi"], "vi")),
                           (RDFS.label, lit(cfg["publisher"]["en"], "en"))])
    for prefix in VOCABULARIES:
        gb.add(DATASET, VOID.vocabulary, NamedNode(PREFIXES[prefix]))
    for source in cfg.get("sources", []):
        node = NamedNode(f"{ID}dataset/vlkg/source/{source['id']}")
        gb.add(DATASET, DCTERMS.source, node)
        gb.add_all(node, [(RDF.type, PROV.Entity), (RDFS.label, lit(source["title"], "en")),
                          (FOAF.page, NamedNode(source["url"]) if source.get("url") else None),
                          (RDFS.comment, lit(source["note"], "en") if source.get("note") else None)])
    for g in sorted(graph_builds, key=lambda g: g.graph.value):
        _describe_graph(gb, g, len(set(g.triples)))
    rights = cfg.get("rights")
    if rights:  # what the licence does not cover (the articles' own text)
        node = NamedNode(ID + "dataset/vlkg/rights")
        gb.add(DATASET, DCTERMS.rights, node)
        gb.add_all(node, [(RDF.type, DCTERMS.RightsStatement), (RDFS.label, lit(rights["vi"].strip(), "vi")),
                          (RDFS.label, lit(rights["en"].strip(), "en"))])
    for d in dumps:
        _describe_dump(gb, d, (rendered or {}).get(d.file))
    gb.add(DATASET, VOID.dataDump, NamedNode(BASE + "dumps/" + dumps[0].file))
    gb.stats["union_triples"] = union_triples
    return gb


def _describe_graph(gb: GraphBuild, g: GraphBuild, triples: int) -> None:
    subset = NamedNode(f"{ID}dataset/vlkg/{g.graph.value.removeprefix(BASE)}")
    gb.add(DATASET, VOID.subset, subset)
    gb.add_all(subset, [
        (RDF.type, VOID.Dataset), (RDF.type, SD.NamedGraph), (SD.name, g.graph),
        (RDFS.label, lit(g.title_vi, "vi")), (RDFS.label, lit(g.title_en, "en")),
        (DCTERMS.source, lit(g.source)), (VOID.triples, lit(triples)),
    ])


def _describe_dump(gb: GraphBuild, d: PlannedDump, digest: Rendered | None) -> None:
    url = NamedNode(BASE + "dumps/" + d.file)
    node = NamedNode(f"{ID}dataset/vlkg/dump/{d.file}")
    gb.add(DATASET, DCAT.distribution, node)
    scope = {"dataset": "all named graphs", "union": "union of all graphs", "graph": d.graph}
    gb.add_all(node, [
        (RDF.type, DCAT.Distribution), (DCAT.downloadURL, url), (DCAT.accessURL, NamedNode(BASE + "dumps/")),
        (DCAT.mediaType, NamedNode("https://www.iana.org/assignments/media-types/" + d.media_type)),
        (DCAT.compressFormat, GZIP), (DCTERMS.format, lit(d.format)),
        (RDFS.label, lit(f"{d.format} dump ({scope[d.scope]}), gzip", "en")),
        (DCTERMS.isPartOf, NamedNode(f"{ID}dataset/vlkg/{d.graph.removeprefix(BASE)}") if d.graph else None),
        (RDFS.seeAlso, NamedNode(BASE + "dumps/SHA256SUMS")),
    ])
    if digest is not None and d.graph != GRAPH_META.value:
        size, sha256 = digest.size, digest.sha256
        checksum = NamedNode(f"{node.value}/sha256")
        gb.add_all(node, [(DCAT.byteSize, lit(size, datatype=XSD.decimal)), (SPDX.checksum, checksum)])
        gb.add_all(checksum, [(RDF.type, SPDX.Checksum), (SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
                              (SPDX.checksumValue, lit(sha256, datatype=XSD.hexBinary)),
                              (RDFS.label, lit(f"SHA-256 of {d.file}", "en"))])
    else:
        gb.add(node, RDFS.comment, lit(
            "This file contains the dataset description (graph/meta), which therefore cannot state the file's own "
            "size or checksum: both are in dumps/SHA256SUMS and /dumps/." if d.scope != "graph" or
            d.graph == GRAPH_META.value else "Size and SHA-256: see dumps/SHA256SUMS.", "en"))


