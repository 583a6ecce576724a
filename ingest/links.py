"""Curated linksets: each `data/links/{stem}.csv` becomes the named graph `graph/links/{stem}`, a `void:Linkset`.

A link file is a CSV with a header of `# key: value` comment lines (what the linkset is, where its links come
from, how they were made, under which licence), then the columns `subject,predicate,object,note[,note_vi]`, one
link per row (data/links/README.md). Terms are full IRIs in angle brackets or not, or CURIEs of the published
prefixes (`id:indicator/poverty-rate`, `sdg:C010202`). The graph holds:

- the links themselves, as written (`id:indicator/poverty-rate skos:closeMatch sdg:C010202`);
- the linkset `id/dataset/vlkg/graph/links/{stem}` (the very node graph/meta describes as the graph's VoID subset):
  `void:Linkset`, `void:subjectsTarget`, `void:objectsTarget`, `void:linkPredicate`, `void:triples`, titles,
  `dcterms:source`, `dcterms:creator`, `dcterms:license`, `dcterms:created`, the method as `dcterms:description`;
  one sub-linkset per predicate (`…/{stem}/{predicate local name}`) when a file uses several;
- each link's note (why close, why exact) on an `rdf:Statement` `…/{stem}/link/{12 hex of sha1(link)}` naming it;
- the objects' target data set, when the header describes it (`objects-target-title`, `-uri-space`, `-page`).

The build stops with `file:line: what is wrong` on a malformed file, an IRI of our namespace that no graph
defines, a predicate other than a SKOS mapping property, `owl:sameAs`, or `skos:exactMatch` between two unit
versions (a version is exactly only itself: use the succession links, or closeMatch for a different source's
notion of the same place).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pyoxigraph import NamedNode

from vlkg.ingest.model import BuildError, GraphBuild, date_lit, lit
from vlkg.namespaces import BASE, DCTERMS, FOAF, GRAPH, ID, OWL, PREFIXES, RDF, RDFS, SKOS, VOID

COLUMNS = ["subject", "predicate", "object", "note"]
OPTIONAL_COLUMNS = ["note_vi"]
REQUIRED_KEYS = ["title@en", "title@vi", "source", "method", "creator", "licence", "date",
                 "subjects-target", "objects-target"]
OPTIONAL_KEYS = ["objects-target-title", "objects-target-uri-space", "objects-target-page", "description@en",
                 "description@vi"]
MAPPING = {SKOS.exactMatch.value, SKOS.closeMatch.value, SKOS.relatedMatch.value, SKOS.broadMatch.value,
           SKOS.narrowMatch.value}
# Nodes of graph/meta, which the build writes after the links (ingest/meta.py).
META_NODES = {ID + "dataset/vlkg", ID + "org/vlkg-team"}
UNIT_VERSION = re.compile(re.escape(ID) + r"au/\d+/\d{4}-\d{2}-\d{2}$")
IRI_CHARS = re.compile(r'^[^\s<>"{}|\\^`]+$')


class _Where:
    """Error messages that name the file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, line: int, what: str) -> BuildError:
        return BuildError(f"data/links/{self.path.name}:{line}: {what}")


def build_links(data_dir: Path, known: Iterable[GraphBuild] = ()) -> list[GraphBuild]:
    """One `GraphBuild` per `data/links/*.csv`. `known` are the graphs built before (ontology, registry,
    articles): every IRI of our namespace that a link file uses must be a subject in one of them."""
    known_iris: set[str] = set(META_NODES)
    for g in known:
        known_iris.update(t.subject.value for t in g.triples if isinstance(t.subject, NamedNode))
    for path in sorted((data_dir / "links").glob("*.ttl")):
        raise BuildError(f"data/links/{path.name}: link files are CSV now (data/links/README.md); "
                         "write its links as data/links/{stem}.csv.")
    return [build_linkset(path, known_iris) for path in sorted((data_dir / "links").glob("*.csv"))]


def build_linkset(path: Path, known_iris: set[str]) -> GraphBuild:
    """Read one link file (see the module docstring) into its named graph."""
    where = _Where(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise BuildError(f"data/links/{path.name}: not UTF-8 ({exc}); save it as UTF-8.") from None
    header, body_start = _header(lines, where)
    stem = path.stem
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", stem):
        raise where.error(1, f"the file name {path.name!r} must be lower-case letters, digits and '-' "
                             "(it becomes the graph IRI graph/links/{name}).")
    linkset = NamedNode(f"{ID}dataset/vlkg/graph/links/{stem}")
    gb = GraphBuild(NamedNode(f"{GRAPH}links/{stem}"), f"Linkset: {header['title@en'][0]}",
                    f"Tập liên kết: {header['title@vi'][0]}", f"data/links/{path.name}")
    minted = {linkset.value}

    def term(value: str, line: int, what: str) -> NamedNode:
        return _term(value, line, what, where)

    subjects_target = term(header["subjects-target"][0], header["subjects-target"][1], "subjects-target")
    objects_target = term(header["objects-target"][0], header["objects-target"][1], "objects-target")
    if objects_target.value.startswith(BASE):
        minted.add(objects_target.value)  # an external data set described here, under our namespace
    creator = term(header["creator"][0], header["creator"][1], "creator")
    licence = term(header["licence"][0], header["licence"][1], "licence")
    sources = [term(s, header["source"][1], "source") for s in header["source"][0].split()]
    try:
        created = date.fromisoformat(header["date"][0])
    except ValueError:
        raise where.error(header["date"][1], f"date {header['date'][0]!r} is not a date YYYY-MM-DD.") from None
    for key in ("subjects-target", "creator"):
        node = term(header[key][0], header[key][1], key)
        if node.value.startswith(BASE) and node.value not in known_iris:
            raise where.error(header[key][1], f"{key} {header[key][0]} is an IRI of our namespace that no graph "
                                              "defines.")

    reader = csv.reader(lines[body_start:])
    first = next(reader, [])
    if [c.strip() for c in first][:4] != COLUMNS:
        raise where.error(body_start + 1, "the first line after the header comments must be the column names "
                                          f"{','.join(COLUMNS)}[,note_vi]; found {','.join(first) or 'nothing'}.")
    columns = [c.strip() for c in first]
    extra = [c for c in columns[4:] if c not in OPTIONAL_COLUMNS]
    if extra:
        raise where.error(body_start + 1, f"unknown column(s) {', '.join(extra)}; allowed: "
                                          f"{', '.join(COLUMNS + OPTIONAL_COLUMNS)}.")
    links: dict[tuple[str, str, str], int] = {}
    per_predicate: dict[str, int] = {}
    for row in reader:
        line = body_start + reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(COLUMNS) <= len(row) < len(columns):
            row = row + [""] * (len(columns) - len(row))  # the optional columns may be left off a row
        if len(row) != len(columns):
            raise where.error(line, f"{len(row)} fields, expected {len(columns)} ({','.join(columns)}); "
                                    "quote a note that contains a comma.")
        cells = dict(zip(columns, (c.strip() for c in row), strict=True))
        for col in COLUMNS:
            if not cells[col]:
                raise where.error(line, f"the column {col!r} is empty; every link needs a subject, a predicate, "
                                        "an object and a note saying why the match is close or exact.")
        s = term(cells["subject"], line, "subject")
        p = term(cells["predicate"], line, "predicate")
        o = term(cells["object"], line, "object")
        if p == OWL.sameAs:
            raise where.error(line, "owl:sameAs is not allowed in a linkset: it would merge everything said about "
                                    "two resources (a unit version with another version or another source's "
                                    "place). Use skos:exactMatch for the same concept, skos:closeMatch otherwise.")
        if p.value not in MAPPING:
            raise where.error(line, f"predicate {cells['predicate']} is not a SKOS mapping property; use "
                                    "skos:exactMatch, skos:closeMatch, skos:relatedMatch, skos:broadMatch or "
                                    "skos:narrowMatch.")
        for node, cell in ((s, cells["subject"]), (o, cells["object"])):
            if node.value.startswith(BASE) and node.value not in known_iris:
                raise where.error(line, f"unknown local IRI {cell}: no graph of the build defines <{node.value}> "
                                        "(a typo, or a unit version that does not exist: IRIs are id/au/{code}/"
                                        "{validFrom}).")
        if s == o:
            raise where.error(line, f"{cells['subject']} is linked to itself.")
        if p == SKOS.exactMatch and UNIT_VERSION.match(s.value) and UNIT_VERSION.match(o.value):
            raise where.error(line, "skos:exactMatch between two unit versions: a version is exactly only itself. "
                                    "Successions are vl:successor links of the registry; use skos:closeMatch for a "
                                    "different notion of the same place.")
        key = (s.value, p.value, o.value)
        if key in links:
            raise where.error(line, f"the same link is already on line {links[key]}.")
        links[key] = line
        per_predicate[p.value] = per_predicate.get(p.value, 0) + 1
        gb.add(s, p, o)
        digest = hashlib.sha1(" ".join(key).encode()).hexdigest()[:12]  # stable when rows move
        statement = NamedNode(f"{linkset.value}/link/{digest}")
        gb.add_all(statement, [
            (RDF.type, RDF.Statement), (RDF.subject, s), (RDF.predicate, p), (RDF.object, o),
            (SKOS.note, lit(cells["note"], "en")),
            (SKOS.note, lit(cells["note_vi"], "vi") if cells.get("note_vi") else None),
            (DCTERMS.isPartOf, linkset),
        ])
    if not links:
        raise where.error(body_start + 1, "no links: a link file needs at least one row.")

    gb.add_all(linkset, [
        (RDF.type, VOID.Linkset), (RDF.type, VOID.Dataset),
        (DCTERMS.title, lit(header["title@en"][0], "en")), (DCTERMS.title, lit(header["title@vi"][0], "vi")),
        (RDFS.label, lit(header["title@en"][0], "en")), (RDFS.label, lit(header["title@vi"][0], "vi")),
        (DCTERMS.description, lit(header["method"][0], "en")),
        (RDFS.comment, lit(header["description@en"][0], "en") if "description@en" in header else None),
        (RDFS.comment, lit(header["description@vi"][0], "vi") if "description@vi" in header else None),
        (VOID.subjectsTarget, subjects_target), (VOID.objectsTarget, objects_target),
        (VOID.triples, lit(len(links))),
        (DCTERMS.creator, creator), (DCTERMS.license, licence), (DCTERMS.created, date_lit(created.isoformat())),
    ])
    for src in sources:
        gb.add(linkset, DCTERMS.source, src)
    for predicate, count in sorted(per_predicate.items()):
        gb.add(linkset, VOID.linkPredicate, NamedNode(predicate))
        if len(per_predicate) > 1:  # VoID: a linkset with one predicate per subset
            sub = NamedNode(f"{linkset.value}/{predicate.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}")
            gb.add(linkset, VOID.subset, sub)
            gb.add_all(sub, [
                (RDF.type, VOID.Linkset), (VOID.linkPredicate, NamedNode(predicate)), (VOID.triples, lit(count)),
                (VOID.subjectsTarget, subjects_target), (VOID.objectsTarget, objects_target),
                (RDFS.label, lit(f"{header['title@en'][0]}: {_curie(predicate)}", "en")),
                (RDFS.label, lit(f"{header['title@vi'][0]}: {_curie(predicate)}", "vi")),
            ])
    if objects_target.value.startswith(BASE):
        gb.add_all(objects_target, [
            (RDF.type, VOID.Dataset),
            (RDFS.label, lit(header["objects-target-title"][0], "en") if "objects-target-title" in header
             else None),
            (VOID.uriSpace, lit(header["objects-target-uri-space"][0]) if "objects-target-uri-space" in header
             else None),
            (FOAF.page, term(*header["objects-target-page"], "objects-target-page")
             if "objects-target-page" in header else None),
        ])
    gb.stats = {"links": len(links), **{_curie(p): n for p, n in sorted(per_predicate.items())}}
    return gb


def _header(lines: list[str], where: _Where) -> tuple[dict[str, tuple[str, int]], int]:
    """The leading `# key: value` lines as {key: (value, line number)}; the index of the first other line."""
    header: dict[str, tuple[str, int]] = {}
    i = 0
    while i < len(lines) and lines[i].lstrip().startswith("#"):
        text = lines[i].lstrip()[1:].strip()
        if text:
            m = re.fullmatch(r"([a-z@-]+):\s*(.*)", text)
            if not m:
                raise where.error(i + 1, f"a header line must be '# key: value'; found {lines[i]!r}.")
            key, value = m.group(1), m.group(2).strip()
            if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
                keys = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
                raise where.error(i + 1, f"unknown header key {key!r}; keys: {keys}.")
            if key in header:
                raise where.error(i + 1, f"header key {key!r} given twice (first on line {header[key][1]}).")
            if not value:
                raise where.error(i + 1, f"header key {key!r} has no value.")
            header[key] = (value, i + 1)
        i += 1
    missing = [k for k in REQUIRED_KEYS if k not in header]
    if missing:
        raise where.error(i + 1, f"the header comments lack {', '.join(missing)} (every link file states its "
                                 "title in vi and en, source, method, creator, licence, date and both targets).")
    return header, i


def _term(value: str, line: int, what: str, where: _Where) -> NamedNode:
    """A NamedNode from `<iri>`, an absolute IRI, or a CURIE of the published prefixes."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    elif ":" in text and not re.match(r"^[a-z][a-z0-9+.-]*://", text):
        prefix, local = text.split(":", 1)
        if prefix not in PREFIXES:
            raise where.error(line, f"{what} {value!r}: unknown prefix {prefix!r}; use one of "
                                    f"{', '.join(sorted(PREFIXES))} or write the full IRI.")
        text = PREFIXES[prefix] + local
    if not re.match(r"^[a-z][a-z0-9+.-]*:", text) or not IRI_CHARS.match(text):
        raise where.error(line, f"{what} {value!r} is not an IRI or a CURIE (prefix:local).")
    return NamedNode(text)


def _curie(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and ns != BASE:
            return f"{prefix}:{iri[len(ns):]}"
    return iri
